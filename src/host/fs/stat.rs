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

fn from_meta(m: &std::fs::Metadata) -> Stat {
    let ft = m.file_type();
    let kind = if ft.is_symlink() {
        Kind::Symlink
    } else if ft.is_dir() {
        Kind::Dir
    } else if ft.is_file() {
        Kind::File
    } else {
        Kind::Other
    };
    Stat {
        kind,
        size: m.len(),
        mode: FileMode::from_bits(m.mode()),
        uid: m.uid(),
        gid: m.gid(),
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
