//! Values that only exist after apply (an ARN, a key id), and what an
//! operation does when its input is one of them.

use std::fmt;

use super::{HostError, HostResult, Mode, Outcome};

pub const KNOWN_AFTER_APPLY: &str = "(known after apply)";

/// The placeholder a check-mode run hands on for a value still to be created.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Unknown;

impl fmt::Display for Unknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(KNOWN_AFTER_APPLY)
    }
}

/// A value that exists now, or only after apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Planned<T> {
    Known(T),
    Unknown,
}

impl<T> Planned<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Planned::Known(t) => Some(t),
            Planned::Unknown => None,
        }
    }
}

impl<T: fmt::Display> fmt::Display for Planned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Planned::Known(t) => t.fmt(f),
            Planned::Unknown => f.write_str(KNOWN_AFTER_APPLY),
        }
    }
}

/// The error for an `Unknown` reaching an operation outside check mode: the
/// script kept a placeholder (from a check-mode REPL session, say) instead of
/// the value the creating step returned.
pub fn placeholder_in_apply(call: &str) -> HostError {
    HostError::invalid(format!(
        "{call}: an argument is still {KNOWN_AFTER_APPLY} in apply mode; \
         use the value returned by the step that creates it"
    ))
}

/// The outcome of a change whose input is only known after apply: planned
/// (`would_change`, no I/O) in check mode, refused in apply mode.
pub fn deferred_change(mode: Mode, call: &str, summary: impl Into<String>) -> HostResult<Outcome> {
    if mode.is_apply() {
        return Err(placeholder_in_apply(call));
    }
    Ok(Outcome::change(mode, summary))
}

/// The outcome of a wait or verification on something that only exists after
/// apply: `skipped` in check mode, refused in apply mode.
pub fn deferred_wait(mode: Mode, call: &str, summary: impl Into<String>) -> HostResult<Outcome> {
    if mode.is_apply() {
        return Err(placeholder_in_apply(call));
    }
    Ok(Outcome::skipped(summary))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::{ErrorKind, Status};

    #[test]
    fn a_placeholder_is_planned_in_check_mode() {
        let o = deferred_change(Mode::Check, "iam::delete_access_key", "delete it").unwrap();
        assert_eq!(o.status, Status::WouldChange);
        let o = deferred_wait(Mode::Check, "docker::wait_running", "not waiting").unwrap();
        assert_eq!(o.status, Status::Skipped);
    }

    // Regression: an Unknown in apply mode used to report `changed` and do nothing.
    #[test]
    fn a_placeholder_in_apply_mode_is_invalid_input() {
        for result in [
            deferred_change(Mode::Apply, "iam::delete_access_key", "delete it"),
            deferred_wait(Mode::Apply, "docker::wait_running", "not waiting"),
        ] {
            let e = result.unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidInput);
            assert!(e.message.contains(KNOWN_AFTER_APPLY), "{}", e.message);
        }
    }
}
