//! Files and directories: facts (`exists`, `read`, `stat`) and idempotent
//! changes (`mkdir`, `write`, `chmod`, `chown`, `chgrp`, `remove`).
//!
//! Every change reads the actual state, plans with a pure function from
//! [`plan`], returns `ok` with no syscall when nothing differs, and mutates
//! only in apply mode.
//!
//! Changes never go through a symbolic link unless the call says
//! `follow_symlinks: true`: a link where a file or folder is changed is
//! refused, files are opened relative to their folder's descriptor with
//! `O_NOFOLLOW`, and mode and owner are changed on the descriptor
//! (see [`open`]). A file holding a secret is only written into folders
//! nobody else can change ([`trust`]). Anything but a regular file is refused
//! before it is opened, so a FIFO cannot block a run.

pub mod atomic;
mod attrs;
mod backup;
pub mod diff;
mod dir;
pub mod open;
mod path;
mod perm;
pub mod plan;
mod stat;
pub mod trust;
mod write;

use std::path::{Path, PathBuf};

use nix::unistd::geteuid;

pub use attrs::{chgrp, chmod, chown};
pub use dir::{mkdir, remove};
pub use path::absolute;
pub use perm::FileMode;
pub use plan::{AttrPlan, DirPlan, Wanted, WritePlan};
pub use stat::{Attrs, Kind, Stat, lstat, stat};
pub use write::{preflight, write};

use super::{ErrorKind, HostError, HostResult, users};

/// Mode of a file created without an explicit one; a secret gets owner-only.
pub const DEFAULT_FILE_MODE: FileMode = FileMode::from_bits_const(0o644);
pub const DEFAULT_SECRET_FILE_MODE: FileMode = FileMode::from_bits_const(0o600);
pub const DEFAULT_DIR_MODE: FileMode = FileMode::from_bits_const(0o755);

/// Content to write; `secret` masks it in diffs.
#[derive(Clone, Copy, Debug)]
pub struct Content<'a> {
    pub bytes: &'a [u8],
    pub secret: bool,
}

impl<'a> Content<'a> {
    pub fn plain(bytes: &'a [u8]) -> Self {
        Content {
            bytes,
            secret: false,
        }
    }
    pub fn secret(bytes: &'a [u8]) -> Self {
        Content {
            bytes,
            secret: true,
        }
    }
}

/// Desired attributes as a script gives them: mode text, user and group names or ids.
#[derive(Clone, Debug, Default)]
pub struct AttrOpts {
    pub mode: Option<String>,
    pub owner: Option<String>,
    pub group: Option<String>,
}

impl AttrOpts {
    /// Parses the mode and looks up owner and group (errors name the input).
    pub fn resolve(&self) -> HostResult<Wanted> {
        Ok(Wanted {
            mode: self.mode.as_deref().map(FileMode::parse).transpose()?,
            uid: self
                .owner
                .as_deref()
                .map(users::user)
                .transpose()?
                .map(|a| a.id),
            gid: self
                .group
                .as_deref()
                .map(users::group)
                .transpose()?
                .map(|a| a.id),
        })
    }
}

/// What a call explicitly allows beyond the safe default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Allow {
    /// Act on what a symbolic link points to (at the path, and for a secret
    /// also its folder) instead of refusing the link.
    pub follow_symlinks: bool,
    /// Accept setuid, setgid and sticky bits in a mode (see [`FileMode::check_special`]).
    pub special_bits: bool,
}

#[derive(Clone, Debug, Default)]
pub struct WriteOpts {
    pub attrs: AttrOpts,
    /// Keep the previous version as `<name>.<YYYYmmddHHMMSS>.bak`.
    pub backup: bool,
    /// Create missing parent directories (mode 0755).
    pub parents: bool,
    pub allow: Allow,
}

#[derive(Clone, Debug, Default)]
pub struct MkdirOpts {
    pub attrs: AttrOpts,
    pub parents: bool,
    pub allow: Allow,
}

pub fn is_root() -> bool {
    geteuid().is_root()
}

/// An `access_denied` error unless running as root.
pub fn require_root(why: &str) -> HostResult<()> {
    if is_root() {
        return Ok(());
    }
    Err(HostError::new(
        ErrorKind::AccessDenied,
        format!(
            "{why} needs root, but runbook runs as {}",
            users::user_name(geteuid().as_raw())
        ),
    )
    .with_hint("run it again with sudo: sudo runbook …"))
}

pub fn exists(path: &str) -> HostResult<bool> {
    Ok(lstat(&absolute(path)?)?.is_some())
}

/// The file's text, or `None` when it does not exist. Symbolic links are
/// followed (a read changes nothing); anything but a regular file is refused.
pub fn read(path: &str) -> HostResult<Option<String>> {
    let p = absolute(path)?;
    let Some(bytes) = open::read_regular(&p, true, "read")? else {
        return Ok(None);
    };
    String::from_utf8(bytes).map(Some).map_err(|e| {
        HostError::invalid(format!(
            "{path} is not text (byte {} is not UTF-8; a binary file?): fs::read reads text files only",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// The text of a file the operator named on the command line (`--set
/// name=@FILE`, `--vars FILE`): relative paths and links are fine, but
/// anything other than a regular file is refused before it is opened, so a
/// FIFO cannot block the start of a run.
pub fn read_operator_file(path: &Path) -> HostResult<String> {
    let bytes = open::read_regular(path, true, "read")?
        .ok_or_else(|| HostError::not_found(format!("{} does not exist", path.display())))?;
    String::from_utf8(bytes)
        .map_err(|_| HostError::invalid(format!("{} is not UTF-8 text", path.display())))
}

/// `lstat` of a script-given path; `None` when nothing is there.
pub fn stat_path(path: &str) -> HostResult<Option<Stat>> {
    lstat(&absolute(path)?)
}

fn names() -> (impl Fn(u32) -> String, impl Fn(u32) -> String) {
    (users::user_name, users::group_name)
}

fn attr_summary(p: &AttrPlan) -> String {
    let (u, g) = names();
    p.summary(&u, &g)
}

/// Changing a file's owner needs root; say so before trying.
fn check_owner_change(path: &Path, p: &AttrPlan) -> HostResult<()> {
    if p.uid.is_some() && !is_root() {
        return require_root(&format!("changing the owner of {}", path.display()));
    }
    Ok(())
}

fn missing_dir_error(path: &Path, dir: &Path) -> HostError {
    HostError::not_found(format!(
        "cannot create {}: directory {} does not exist",
        path.display(),
        dir.display()
    ))
    .with_hint(format!(
        "create it first with fs::mkdir(\"{}\", #{{parents: true}}) or pass parents: true",
        dir.display()
    ))
}

/// The path a change acts on: `path` itself, refused when it is a symbolic
/// link unless `follow` — then the file it points to (which must exist).
fn destination(path: &Path, follow: bool, verb: &str) -> HostResult<PathBuf> {
    if !lstat(path)?.is_some_and(|s| s.kind == Kind::Symlink) {
        return Ok(path.to_path_buf());
    }
    let target = open::link_text(path);
    if !follow {
        return Err(open::symlink_refused(path, &target, verb));
    }
    std::fs::canonicalize(path).map_err(|e| {
        HostError::not_found(format!(
            "{} is a symbolic link to {target}, which cannot be followed: {e}",
            path.display()
        ))
        .with_hint("create the file the link points to first, or remove the link")
    })
}
