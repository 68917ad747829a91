//! Process hardening at start-up: no core dumps, since a crash would write the
//! secrets the process holds to disk (as ssh-agent and gpg-agent do).

use nix::sys::resource::{Resource, setrlimit};

/// Marks the process non-dumpable (no core file, no ptrace by other users,
/// `/proc/<pid>/mem` and `environ` owned by root) and sets `RLIMIT_CORE` to 0.
/// Failures are returned for a warning; the run goes on either way.
pub fn no_core_dumps() -> Result<(), String> {
    let mut failed = Vec::new();
    if let Err(e) = setrlimit(Resource::RLIMIT_CORE, 0, 0) {
        failed.push(format!("RLIMIT_CORE=0: {e}"));
    }
    if let Err(e) = nix::sys::prctl::set_dumpable(false) {
        failed.push(format!("PR_SET_DUMPABLE=0: {e}"));
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::resource::getrlimit;

    #[test]
    fn core_dumps_are_off_after_hardening() {
        no_core_dumps().unwrap();
        assert_eq!(getrlimit(Resource::RLIMIT_CORE).unwrap(), (0, 0));
        assert!(!nix::sys::prctl::get_dumpable().unwrap());
    }
}
