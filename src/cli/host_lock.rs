//! The host lock for each command: `run` holds it for the whole run; `eval`
//! holds it for its evaluation and the REPL for each input, unless in check
//! mode (which changes nothing), so neither loses a concurrent run's update.

use super::error::CliError;
use crate::host::Cancel;
use crate::report::Level;
use crate::runtime::Session;
use crate::runtime::lock::{self, HostLock};

/// Waits for the lock (saying so once), or fails at once with `wait: false`.
pub fn take(session: &Session, wait: bool, cancel: &Cancel) -> Result<HostLock, CliError> {
    lock::acquire(lock::default_path(), wait, cancel, |p| {
        session.reporter.message(
            Level::Warn,
            &format!("waiting for another runbook run to release {}", p.display()),
        )
    })
    .map_err(CliError::Lock)
}

/// The lock unless check mode: what `eval` and the REPL hold while they run code.
pub fn unless_check(session: &Session, cancel: &Cancel) -> Result<Option<HostLock>, CliError> {
    if session.options.mode.is_check() {
        return Ok(None);
    }
    take(session, true, cancel).map(Some)
}
