//! The host lock: two runs never interleave their writes.

use std::fs::{File, OpenOptions};
use std::path::PathBuf;
use std::time::Duration;

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

use crate::host::Cancel;

/// Held for the whole run; released when dropped (or when the process dies).
pub struct HostLock {
    _lock: Flock<File>,
    pub path: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another runbook run holds the host lock {0}; wait for it to finish, or run again without --no-wait to wait"
    )]
    Busy(PathBuf),
    #[error("cannot open the host lock {path}: {err}; set RUNBOOK_LOCK_FILE to a writable path")]
    Open { path: PathBuf, err: std::io::Error },
    #[error("interrupted while waiting for the host lock")]
    Interrupted,
}

/// `RUNBOOK_LOCK_FILE`, else `/run/lock/runbook.lock` when writable, else one per user in /tmp.
pub fn default_path() -> PathBuf {
    if let Some(p) = std::env::var_os("RUNBOOK_LOCK_FILE") {
        return PathBuf::from(p);
    }
    let run_lock = PathBuf::from("/run/lock");
    if nix::unistd::access(&run_lock, nix::unistd::AccessFlags::W_OK).is_ok() {
        return run_lock.join("runbook.lock");
    }
    PathBuf::from(format!("/tmp/runbook-{}.lock", nix::unistd::getuid()))
}

pub fn acquire(
    path: PathBuf,
    wait: bool,
    cancel: &Cancel,
    on_wait: impl FnOnce(&PathBuf),
) -> Result<HostLock, LockError> {
    let open = || {
        OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|err| LockError::Open {
                path: path.clone(),
                err,
            })
    };
    let mut file = open()?;
    let mut on_wait = Some(on_wait);
    loop {
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => return Ok(HostLock { _lock: lock, path }),
            Err((f, Errno::EWOULDBLOCK)) => {
                if !wait {
                    return Err(LockError::Busy(path));
                }
                if let Some(f) = on_wait.take() {
                    f(&path);
                }
                if cancel.is_cancelled() {
                    return Err(LockError::Interrupted);
                }
                std::thread::sleep(Duration::from_millis(200));
                file = f;
            }
            Err((_, errno)) => {
                return Err(LockError::Open {
                    path,
                    err: errno.into(),
                });
            }
        }
    }
}
