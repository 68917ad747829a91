//! The embedding: engine, session, parameters, bundled catalog, diagnostics.

pub mod header;
pub mod params;
