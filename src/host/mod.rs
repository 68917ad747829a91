//! Host primitives in plain Rust: fact (read actual) -> plan (desired vs actual)
//! -> apply unless check mode -> [`Outcome`]. No Rhai types here.

pub mod attr_diff;
pub mod aws;
mod context;
mod duration;
mod error;
mod mode;
mod outcome;
mod unknown;

pub mod archive;
pub mod docker;
pub mod fs;
pub mod harden;
pub mod ini;
pub mod process;
pub mod systemd;
pub mod time;
pub mod users;
pub mod version;
pub mod wait;

pub use context::{Cancel, Ctx, NoProgress, NoRedact, Progress, Redact};
pub use duration::{format_duration, parse_duration};
pub use error::{ErrorKind, HostError, HostResult};
pub use mode::Mode;
pub use outcome::{Outcome, Status};
pub use unknown::{
    KNOWN_AFTER_APPLY, Planned, Unknown, deferred_change, deferred_wait, placeholder_in_apply,
};
