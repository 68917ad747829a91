//! Atomic replacement of a file: a reader sees the old content or the new,
//! never a mix; the file is never more permissive than asked for, not even
//! for a moment; and a run killed half-way leaves no copy of the content.
//!
//! The new content goes into a file without a name (`O_TMPFILE`) in the
//! target's folder, created owner-only, then given its final owner and mode on
//! the descriptor, written and fsynced. It gets a name only when complete: by
//! `linkat` straight to the target when nothing is there, else to a temp name
//! renamed over the target at once (`linkat` cannot replace a file). The folder
//! is fsynced so the rename survives a power cut. Where the filesystem has no
//! `O_TMPFILE` (EOPNOTSUPP, EISDIR on old kernels, EINVAL), the temp file is a
//! named one (`.<name>.runbook-tmp.<pid>.<n>`, `O_EXCL`), removed on error.
//!
//! A kill -9 can therefore leave at most a named temp file of a folder without
//! `O_TMPFILE`, or, elsewhere, a complete one in the instant between link and
//! rename: every write into a folder first removes such leftovers of writers
//! that are gone.

use std::fs::File;
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use nix::errno::Errno;
use nix::fcntl::{AT_FDCWD, AtFlags, OFlag, openat, renameat};
use nix::sys::stat::Mode;
use nix::unistd::{Gid, Uid, UnlinkatFlags, fchown, geteuid, linkat, unlinkat};

use super::FileMode;
use super::open::Dir;
use crate::host::{HostError, HostResult};

pub use super::backup::{backup_name, timestamp};

const TMP_MARK: &str = ".runbook-tmp.";

/// A temp file older than this is stale even if its pid runs (pids are reused).
const STALE_AFTER: Duration = Duration::from_secs(3600);

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn io(what: &str, path: &Path, e: Errno) -> HostError {
    HostError::io(what, path, std::io::Error::from(e))
}

/// The folder and file name of `target`.
pub fn split(target: &Path) -> HostResult<(PathBuf, String)> {
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .ok_or_else(|| {
            HostError::invalid(format!("{} has no parent directory", target.display()))
        })?;
    let name = target.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
        HostError::invalid(format!(
            "{} does not end in a UTF-8 file name",
            target.display()
        ))
    })?;
    Ok((dir.to_path_buf(), name.to_string()))
}

/// The prefix of every temp file written for `name`.
pub fn temp_prefix(name: &str) -> String {
    format!(".{name}{TMP_MARK}")
}

fn temp_name(name: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{}{}.{n}", temp_prefix(name), std::process::id())
}

/// The pid of the writer of a temp file name, or `None` for other names.
fn temp_writer(file_name: &str) -> Option<u32> {
    if !file_name.starts_with('.') {
        return None;
    }
    let (_, rest) = file_name.rsplit_once(TMP_MARK)?;
    let (pid, n) = rest.split_once('.')?;
    n.parse::<u64>().ok()?;
    pid.parse().ok()
}

fn runs(pid: u32) -> bool {
    let Ok(p) = i32::try_from(pid) else {
        return false;
    };
    !matches!(
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(p), None),
        Err(Errno::ESRCH)
    )
}

/// Removes the temp files that interrupted writes left in `dir`, for any file
/// of the folder: they may hold a secret nobody asked to keep. Kept: this
/// process's own (in flight) and those of a writer that still runs, unless
/// older than an hour.
pub fn remove_stale(dir: &Dir) -> HostResult<usize> {
    let entries = match std::fs::read_dir(dir.path()) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(HostError::io("cannot list", dir.path(), e)),
    };
    let me = std::process::id();
    let mut n = 0;
    for entry in entries.flatten() {
        let fname = entry.file_name();
        let Some(f) = fname.to_str() else { continue };
        let Some(pid) = temp_writer(f) else { continue };
        let Ok(meta) = entry.metadata() else { continue };
        if pid == me || meta.is_dir() {
            continue;
        }
        let old = meta
            .modified()
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > STALE_AFTER);
        if runs(pid) && !old {
            continue;
        }
        match unlinkat(dir.fd(), f, UnlinkatFlags::NoRemoveDir) {
            Ok(()) => n += 1,
            Err(Errno::ENOENT) => {}
            Err(e) => return Err(io("cannot remove stale temp file", &dir.join(f), e)),
        }
    }
    Ok(n)
}

/// Can an `O_TMPFILE` file be given a name here: through `/proc/self/fd`, or
/// as root with `AT_EMPTY_PATH`.
fn can_link_unnamed() -> bool {
    Path::new("/proc/self/fd").is_dir() || geteuid().is_root()
}

/// Gives the unnamed file `file` the name `name` in `dir`.
fn link_unnamed(file: &File, dir: &Dir, name: &str) -> nix::Result<()> {
    let proc = format!("/proc/self/fd/{}", file.as_raw_fd());
    match linkat(
        AT_FDCWD,
        proc.as_str(),
        dir.fd(),
        name,
        AtFlags::AT_SYMLINK_FOLLOW,
    ) {
        Err(Errno::ENOENT) if !Path::new("/proc/self/fd").is_dir() => {
            linkat(file.as_fd(), "", dir.fd(), name, AtFlags::AT_EMPTY_PATH)
        }
        r => r,
    }
}

/// A temp file next to its target; nothing of it is left on drop unless committed.
pub struct TempFile {
    dir: Dir,
    /// The target's name in `dir`.
    target: String,
    file: Option<File>,
    /// The temp file's name, for the named fallback; `None` while unnamed.
    named: Option<String>,
}

impl TempFile {
    /// A temp file for `target`, after removing stale ones of its folder.
    pub fn create(
        target: &Path,
        mode: FileMode,
        uid: Option<u32>,
        gid: Option<u32>,
    ) -> HostResult<Self> {
        let (dir, name) = split(target)?;
        let d = Dir::open(&dir, false)?.ok_or_else(|| {
            HostError::not_found(format!("directory {} does not exist", dir.display()))
        })?;
        remove_stale(&d)?;
        Self::create_in(&d, &name, mode, uid, gid)
    }

    /// A temp file for `name` in the open folder `dir`, with the final owner
    /// and mode already set on it, so the content is never readable by anyone
    /// who may not read the target.
    pub fn create_in(
        dir: &Dir,
        name: &str,
        mode: FileMode,
        uid: Option<u32>,
        gid: Option<u32>,
    ) -> HostResult<Self> {
        Self::create_with(dir, name, mode, uid, gid, can_link_unnamed())
    }

    fn create_with(
        dir: &Dir,
        name: &str,
        mode: FileMode,
        uid: Option<u32>,
        gid: Option<u32>,
        unnamed: bool,
    ) -> HostResult<Self> {
        // Owner-only at first: until fchown and fchmod, only this process's user can open it.
        let first = Mode::from_bits_truncate(mode.bits() & 0o700);
        let tmp_flags = OFlag::O_TMPFILE | OFlag::O_WRONLY | OFlag::O_CLOEXEC;
        let unnamed_fd = if unnamed {
            match openat(dir.fd(), ".", tmp_flags, first) {
                Ok(fd) => Some(fd),
                Err(Errno::EOPNOTSUPP | Errno::EISDIR | Errno::EINVAL) => None,
                Err(e) => return Err(io("cannot create temp file in", dir.path(), e)),
            }
        } else {
            None
        };
        let (fd, named) = match unnamed_fd {
            Some(fd) => (fd, None),
            None => {
                let n = temp_name(name);
                let flags = OFlag::O_WRONLY
                    | OFlag::O_CREAT
                    | OFlag::O_EXCL
                    | OFlag::O_NOFOLLOW
                    | OFlag::O_CLOEXEC;
                let fd = openat(dir.fd(), n.as_str(), flags, first)
                    .map_err(|e| io("cannot create temp file", &dir.join(&n), e))?;
                (fd, Some(n))
            }
        };
        let tmp = TempFile {
            dir: dir.try_clone()?,
            target: name.to_string(),
            file: Some(File::from(fd)),
            named,
        };
        tmp.set_attrs(mode, uid, gid)?;
        Ok(tmp)
    }

    fn set_attrs(&self, mode: FileMode, uid: Option<u32>, gid: Option<u32>) -> HostResult<()> {
        let file = self
            .file
            .as_ref()
            .ok_or_else(|| HostError::failed("temp file closed"))?;
        // Owner first: chown clears setuid/setgid bits, so the mode comes after.
        if uid.is_some() || gid.is_some() {
            fchown(file, uid.map(Uid::from_raw), gid.map(Gid::from_raw))
                .map_err(|e| io("cannot set the owner of a temp file for", &self.path(), e))?;
        }
        file.set_permissions(std::fs::Permissions::from_mode(mode.bits()))
            .map_err(|e| HostError::io("cannot set the mode of a temp file for", &self.path(), e))
    }

    /// The target's path, for messages (the temp file may have no name).
    pub fn path(&self) -> PathBuf {
        self.dir.join(&self.target)
    }

    /// Whether the content is in a file without a name (`O_TMPFILE`).
    pub fn is_unnamed(&self) -> bool {
        self.named.is_none()
    }

    pub fn file(&mut self) -> HostResult<&mut File> {
        self.file
            .as_mut()
            .ok_or_else(|| HostError::failed("temp file closed"))
    }

    /// fsync, put in place of the target, fsync the folder.
    pub fn commit(mut self) -> HostResult<()> {
        let file = self
            .file
            .take()
            .ok_or_else(|| HostError::failed("temp file closed"))?;
        file.sync_all()
            .map_err(|e| HostError::io("cannot flush a temp file for", &self.path(), e))?;
        let dir = &self.dir;
        let target = self.path();
        match self.named.take() {
            Some(n) => {
                if let Err(e) = renameat(dir.fd(), n.as_str(), dir.fd(), self.target.as_str()) {
                    let _ = unlinkat(dir.fd(), n.as_str(), UnlinkatFlags::NoRemoveDir);
                    return Err(io("cannot rename temp file onto", &target, e));
                }
            }
            None => match link_unnamed(&file, dir, &self.target) {
                Ok(()) => {}
                // Something is there: a complete temp file for an instant, then renamed over it.
                Err(Errno::EEXIST) => {
                    let n = temp_name(&self.target);
                    link_unnamed(&file, dir, &n)
                        .map_err(|e| io("cannot link temp file next to", &target, e))?;
                    if let Err(e) = renameat(dir.fd(), n.as_str(), dir.fd(), self.target.as_str()) {
                        let _ = unlinkat(dir.fd(), n.as_str(), UnlinkatFlags::NoRemoveDir);
                        return Err(io("cannot rename temp file onto", &target, e));
                    }
                }
                Err(e) => return Err(io("cannot link temp file as", &target, e)),
            },
        }
        drop(file);
        dir.sync()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        self.file.take();
        if let Some(n) = self.named.take() {
            let _ = unlinkat(self.dir.fd(), n.as_str(), UnlinkatFlags::NoRemoveDir);
        }
    }
}

/// Replaces `name` in `dir` with `content` atomically, with the given final attributes.
pub fn write_in(
    dir: &Dir,
    name: &str,
    content: &[u8],
    mode: FileMode,
    uid: Option<u32>,
    gid: Option<u32>,
) -> HostResult<()> {
    let mut tmp = TempFile::create_in(dir, name, mode, uid, gid)?;
    let path = tmp.path();
    tmp.file()?
        .write_all(content)
        .map_err(|e| HostError::io("cannot write", &path, e))?;
    tmp.commit()
}

/// Replaces `target` with `content` atomically, with the given final attributes.
pub fn write_atomic(
    target: &Path,
    content: &[u8],
    mode: FileMode,
    uid: Option<u32>,
    gid: Option<u32>,
) -> HostResult<()> {
    let mut tmp = TempFile::create(target, mode, uid, gid)?;
    let path = tmp.path();
    tmp.file()?
        .write_all(content)
        .map_err(|e| HostError::io("cannot write", &path, e))?;
    tmp.commit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// Both ways (unnamed and the named fallback) end in the same file, and
    /// the unnamed one never shows a name before it is complete.
    #[test]
    fn unnamed_and_named_temp_files_replace_the_target() {
        for unnamed in [true, false] {
            let d = tempfile::tempdir().unwrap();
            let dir = Dir::open(d.path(), false).unwrap().unwrap();
            std::fs::write(d.path().join("f"), "old").unwrap();
            let mut t =
                TempFile::create_with(&dir, "f", FileMode::from_bits(0o640), None, None, unnamed)
                    .unwrap();
            assert_eq!(t.is_unnamed(), unnamed);
            t.file().unwrap().write_all(b"new").unwrap();
            let during = names(d.path());
            assert_eq!(during.len(), if unnamed { 1 } else { 2 }, "{during:?}");
            t.commit().unwrap();
            assert_eq!(names(d.path()), ["f"]);
            assert_eq!(std::fs::read(d.path().join("f")).unwrap(), b"new");
            let m = std::fs::metadata(d.path().join("f")).unwrap();
            assert_eq!(m.mode() & 0o7777, 0o640);

            // A new file, and a temp file dropped without commit: nothing is left.
            let mut t =
                TempFile::create_with(&dir, "g", FileMode::from_bits(0o600), None, None, unnamed)
                    .unwrap();
            t.file().unwrap().write_all(b"g").unwrap();
            t.commit().unwrap();
            assert_eq!(std::fs::read(d.path().join("g")).unwrap(), b"g");
            let t =
                TempFile::create_with(&dir, "h", FileMode::from_bits(0o600), None, None, unnamed)
                    .unwrap();
            drop(t);
            assert_eq!(names(d.path()), ["f", "g"]);
        }
    }

    #[test]
    fn temp_names_carry_the_writer() {
        let n = temp_name("credentials");
        assert!(n.starts_with(".credentials.runbook-tmp."), "{n}");
        assert_eq!(temp_writer(&n), Some(std::process::id()));
        assert_eq!(temp_writer(".a.b.runbook-tmp.42.7"), Some(42));
        for other in [
            "credentials",
            ".x.runbook-tmp.",
            ".x.runbook-tmp.1",
            "x.runbook-tmp.1.2",
        ] {
            assert_eq!(temp_writer(other), None, "{other}");
        }
    }
}
