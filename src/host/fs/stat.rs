//! The facts about one path, read just before an operation.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use serde::Serialize;

use super::FileMode;
use crate::host::{HostError, HostResult, users};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    File,
    Dir,
    Symlink,
    Other,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::File => "file",
            Kind::Dir => "dir",
            Kind::Symlink => "symlink",
            Kind::Other => "other",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stat {
    pub kind: Kind,
    pub size: u64,
    pub mode: FileMode,
    pub uid: u32,
    pub gid: u32,
    /// Device and inode: the identity of what was looked at, to tell whether
    /// what was opened later is still the same thing.
    pub dev: u64,
    pub ino: u64,
    /// The file type in words for messages: `named pipe (FIFO)`, `socket`, …
    pub what: &'static str,
}

impl Stat {
    pub fn owner(&self) -> String {
        users::user_name(self.uid)
    }

    pub fn group(&self) -> String {
        users::group_name(self.gid)
    }

    /// What a script sees: the facts plus the owner's and group's names.
    fn view(&self) -> StatView {
        StatView {
            kind: self.kind,
            size: self.size,
            mode: self.mode.to_string(),
            uid: self.uid,
            gid: self.gid,
            owner: self.owner(),
            group: self.group(),
        }
    }

    /// Mode and ownership, what the planners compare.
    pub fn attrs(&self) -> Attrs {
        Attrs {
            mode: self.mode,
            uid: self.uid,
            gid: self.gid,
        }
    }
}

#[derive(Serialize)]
struct StatView {
    kind: Kind,
    size: u64,
    /// Four octal digits, `"0540"`.
    mode: String,
    uid: u32,
    gid: u32,
    owner: String,
    group: String,
}

impl Serialize for Stat {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.view().serialize(s)
    }
}

/// Mode and ownership of an existing path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attrs {
    pub mode: FileMode,
    pub uid: u32,
    pub gid: u32,
}

/// Kind and words for the file-type bits of `st_mode`.
fn file_type(mode: u32) -> (Kind, &'static str) {
    use nix::libc;
    match mode & libc::S_IFMT {
        libc::S_IFREG => (Kind::File, "regular file"),
        libc::S_IFDIR => (Kind::Dir, "directory"),
        libc::S_IFLNK => (Kind::Symlink, "symbolic link"),
        libc::S_IFIFO => (Kind::Other, "named pipe (FIFO)"),
        libc::S_IFSOCK => (Kind::Other, "socket"),
        libc::S_IFCHR => (Kind::Other, "character device"),
        libc::S_IFBLK => (Kind::Other, "block device"),
        _ => (Kind::Other, "special file"),
    }
}

pub(super) fn from_meta(m: &std::fs::Metadata) -> Stat {
    let (kind, what) = file_type(m.mode());
    Stat {
        kind,
        size: m.len(),
        mode: FileMode::from_bits(m.mode()),
        uid: m.uid(),
        gid: m.gid(),
        dev: m.dev(),
        ino: m.ino(),
        what,
    }
}

/// The facts from a `fstat`/`fstatat` result.
pub(super) fn from_raw(st: &nix::sys::stat::FileStat) -> Stat {
    let (kind, what) = file_type(st.st_mode);
    Stat {
        kind,
        size: st.st_size as u64,
        mode: FileMode::from_bits(st.st_mode),
        uid: st.st_uid,
        gid: st.st_gid,
        dev: st.st_dev,
        ino: st.st_ino,
        what,
    }
}

/// `lstat`: a symlink is reported as one. `None` when nothing is there.
pub fn lstat(path: &Path) -> HostResult<Option<Stat>> {
    match std::fs::symlink_metadata(path) {
        Ok(m) => Ok(Some(from_meta(&m))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(HostError::io("cannot read", path, e)),
    }
}

/// `stat`, following symlinks. `None` when nothing is there.
pub fn stat(path: &Path) -> HostResult<Option<Stat>> {
    match std::fs::metadata(path) {
        Ok(m) => Ok(Some(from_meta(&m))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(HostError::io("cannot read", path, e)),
    }
}
