//! A value that will only exist after apply (an ARN, a key id) in check mode.

use std::fmt;

pub const KNOWN_AFTER_APPLY: &str = "(known after apply)";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Unknown;

impl fmt::Display for Unknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(KNOWN_AFTER_APPLY)
    }
}
