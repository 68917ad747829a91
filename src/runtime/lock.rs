//! The host lock: two runs never interleave their writes.
//!
//! The lock lives in a folder only its owner can enter (`/run/runbook/`, 0700,
//! root's), so no other user can hold it, pre-create it, or swap it for a link:
//! in the world-writable `/run/lock` anyone could block root's runs forever.

use std::fs::File;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

use crate::host::Cancel;

/// The folder of root's lock.
pub const ROOT_DIR: &str = "/run/runbook";

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
    #[error(
        "refusing the host lock {path}: {why}; another user could hold or replace it. Remove it (runbook makes it again, safely), or set RUNBOOK_LOCK_FILE"
    )]
    Unsafe { path: PathBuf, why: String },
    #[error("interrupted while waiting for the host lock")]
    Interrupted,
}

/// `RUNBOOK_LOCK_FILE` if set; for root `/run/runbook/runbook.lock`; for
/// another user `$XDG_RUNTIME_DIR/runbook.lock`, else `/tmp/runbook-<uid>/runbook.lock`.
pub fn default_path() -> PathBuf {
    if let Some(p) = std::env::var_os("RUNBOOK_LOCK_FILE") {
        return PathBuf::from(p);
    }
    let uid = nix::unistd::geteuid();
    if uid.is_root() {
        return Path::new(ROOT_DIR).join("runbook.lock");
    }
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("runbook.lock");
    }
    PathBuf::from(format!("/tmp/runbook-{uid}/runbook.lock"))
}

/// Whom a lock folder or file may belong to: root or the user running.
fn trusted_owner(uid: u32) -> bool {
    uid == 0 || uid == nix::unistd::geteuid().as_raw()
}

fn unsafe_lock(path: &Path, why: impl Into<String>) -> LockError {
    LockError::Unsafe {
        path: path.to_path_buf(),
        why: why.into(),
    }
}

/// Makes the lock's folder (0700) when it is one of runbook's own, and checks
/// any folder: a real folder, owned by root or this user, writable by nobody
/// else (unless sticky, as `/tmp`, where others cannot replace our entries).
pub fn secure_dir(dir: &Path, make: bool) -> Result<(), LockError> {
    if make {
        match std::fs::DirBuilder::new().mode(0o700).create(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(err) => {
                return Err(LockError::Open {
                    path: dir.to_path_buf(),
                    err,
                });
            }
        }
    }
    let meta = std::fs::symlink_metadata(dir).map_err(|err| LockError::Open {
        path: dir.to_path_buf(),
        err,
    })?;
    if !meta.file_type().is_dir() {
        return Err(unsafe_lock(dir, "its folder is not a folder (a link?)"));
    }
    if !trusted_owner(meta.uid()) {
        return Err(unsafe_lock(
            dir,
            format!(
                "its folder belongs to uid {}, not to root or to us",
                meta.uid()
            ),
        ));
    }
    let mode = meta.mode() & 0o7777;
    if make && mode & 0o077 != 0 {
        return Err(unsafe_lock(
            dir,
            format!("its folder has mode {mode:04o}, not 0700"),
        ));
    }
    if mode & 0o022 != 0 && mode & 0o1000 == 0 {
        return Err(unsafe_lock(
            dir,
            format!("its folder has mode {mode:04o}: others can write there"),
        ));
    }
    Ok(())
}

/// Opens (creating 0600) the lock file itself: never through a link, only a
/// regular file, owned by root or this user.
fn open_lock(path: &Path) -> Result<File, LockError> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK | nix::libc::O_CLOEXEC)
        .open(path)
        .map_err(|err| {
            if err.raw_os_error() == Some(nix::libc::ELOOP) {
                unsafe_lock(path, "it is a symbolic link")
            } else {
                LockError::Open {
                    path: path.to_path_buf(),
                    err,
                }
            }
        })?;
    let meta = file.metadata().map_err(|err| LockError::Open {
        path: path.to_path_buf(),
        err,
    })?;
    if !meta.file_type().is_file() {
        return Err(unsafe_lock(path, "it is not a regular file"));
    }
    if !trusted_owner(meta.uid()) {
        return Err(unsafe_lock(
            path,
            format!("it belongs to uid {}, not to root or to us", meta.uid()),
        ));
    }
    Ok(file)
}

pub fn acquire(
    path: PathBuf,
    wait: bool,
    cancel: &Cancel,
    on_wait: impl FnOnce(&PathBuf),
) -> Result<HostLock, LockError> {
    // runbook's own folders are made here (0700); any other folder is only checked.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let tmp_own = format!("/tmp/runbook-{}", nix::unistd::geteuid());
        let own = dir == Path::new(ROOT_DIR) || dir == Path::new(&tmp_own);
        secure_dir(dir, own)?;
    }
    let mut file = open_lock(&path)?;
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

#[cfg(test)]
#[path = "lock_tests.rs"]
mod tests;
