//! The embedding: engine, session, parameters, bundled catalog, diagnostics.

pub mod catalog;
pub mod diagnostic;
pub mod engine;
pub mod header;
pub mod limits;
pub mod lint;
pub mod lock;
pub mod params;
pub mod pretty;
mod resolver;
mod rhai_types;
pub mod session;
mod sources;

pub use catalog::Script;
pub use diagnostic::Diagnostic;
pub use resolver::Resolver;
pub use session::{Options, Output, RunError, Session};
pub use sources::Sources;
