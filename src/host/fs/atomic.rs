//! Atomic replacement of a file: a reader sees the old content or the new,
//! never a mix, and the file is never more permissive than asked for.
//!
//! A temp file in the target's directory is created with `O_EXCL` and the
//! final mode (umask can only narrow it; fchmod then sets it exactly), given
//! its final owner, written, fsynced, renamed over the target, and the
//! directory is fsynced so the rename survives a power cut.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use nix::unistd::{Gid, Uid, fchown};

use super::FileMode;
use crate::host::{HostError, HostResult};

const TMP_MARK: &str = ".runbook-tmp.";

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn split(target: &Path) -> HostResult<(PathBuf, String)> {
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

/// Removes temp files an interrupted earlier write of `target` left behind:
/// they may hold a secret nobody asked to keep.
pub fn remove_stale(target: &Path) -> HostResult<usize> {
    let (dir, name) = split(target)?;
    let prefix = temp_prefix(&name);
    let mine = format!("{prefix}{}.", std::process::id());
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(HostError::io("cannot list", &dir, e)),
    };
    let mut n = 0;
    for entry in entries.flatten() {
        let fname = entry.file_name();
        let Some(f) = fname.to_str() else { continue };
        // Skip our own in-flight temp files; anything else with the mark is stale.
        if f.starts_with(&prefix) && !f.starts_with(&mine) {
            let p = entry.path();
            match std::fs::remove_file(&p) {
                Ok(()) => n += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(HostError::io("cannot remove stale temp file", &p, e)),
            }
        }
    }
    Ok(n)
}

/// A temp file next to its target; removed on drop unless committed.
pub struct TempFile {
    file: Option<File>,
    path: PathBuf,
    target: PathBuf,
    dir: PathBuf,
}

impl TempFile {
    /// Creates the temp file with the final mode and owner already set, so
    /// the content is never readable by anyone who may not read the target.
    pub fn create(
        target: &Path,
        mode: FileMode,
        uid: Option<u32>,
        gid: Option<u32>,
    ) -> HostResult<Self> {
        let (dir, name) = split(target)?;
        remove_stale(target)?;
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!("{}{}.{n}", temp_prefix(&name), std::process::id()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode.bits() & 0o777)
            .open(&path)
            .map_err(|e| HostError::io("cannot create temp file", &path, e))?;
        let mut tmp = TempFile {
            file: Some(file),
            path,
            target: target.to_path_buf(),
            dir,
        };
        tmp.set_attrs(mode, uid, gid)?;
        Ok(tmp)
    }

    fn set_attrs(&mut self, mode: FileMode, uid: Option<u32>, gid: Option<u32>) -> HostResult<()> {
        let file = self
            .file
            .as_ref()
            .ok_or_else(|| HostError::failed("temp file closed"))?;
        // Owner first: chown clears setuid/setgid bits, so the mode comes after.
        if uid.is_some() || gid.is_some() {
            fchown(file, uid.map(Uid::from_raw), gid.map(Gid::from_raw)).map_err(|e| {
                HostError::io(
                    "cannot set the owner of",
                    &self.path,
                    std::io::Error::from(e),
                )
            })?;
        }
        file.set_permissions(std::fs::Permissions::from_mode(mode.bits()))
            .map_err(|e| HostError::io("cannot set the mode of", &self.path, e))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn file(&mut self) -> HostResult<&mut File> {
        self.file
            .as_mut()
            .ok_or_else(|| HostError::failed("temp file closed"))
    }

    /// fsync, rename over the target, fsync the directory.
    pub fn commit(mut self) -> HostResult<()> {
        let file = self
            .file
            .take()
            .ok_or_else(|| HostError::failed("temp file closed"))?;
        file.sync_all()
            .map_err(|e| HostError::io("cannot flush", &self.path, e))?;
        drop(file);
        std::fs::rename(&self.path, &self.target)
            .map_err(|e| HostError::io("cannot rename temp file onto", &self.target, e))?;
        // Renamed: nothing left to clean up even if the directory sync fails.
        self.path = PathBuf::new();
        sync_dir(&self.dir)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            self.file.take();
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Makes a rename or a new entry in `dir` durable.
pub fn sync_dir(dir: &Path) -> HostResult<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| HostError::io("cannot sync directory", dir, e))
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
    let path = tmp.path().to_path_buf();
    tmp.file()?
        .write_all(content)
        .map_err(|e| HostError::io("cannot write", &path, e))?;
    tmp.commit()
}

/// `<target>.<YYYYmmddHHMMSS>.bak` for the current UTC time.
pub fn backup_path(target: &Path) -> PathBuf {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut s = target.as_os_str().to_owned();
    s.push(format!(".{}.bak", timestamp(secs)));
    PathBuf::from(s)
}

/// UTC `YYYYmmddHHMMSS` from Unix seconds (civil-from-days, no date crate).
pub fn timestamp(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_civil_time() {
        assert_eq!(timestamp(0), "19700101000000");
        assert_eq!(timestamp(951_782_400), "20000229000000");
        assert_eq!(timestamp(1_795_000_000), "20261118110640");
    }
}
