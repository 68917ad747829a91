//! Files and directories: facts (`exists`, `read`, `stat`) and idempotent
//! changes (`mkdir`, `write`, `chmod`, `chown`, `chgrp`, `remove`).
//!
//! Every change reads the actual state, plans with a pure function from
//! [`plan`], returns `ok` with no syscall when nothing differs, and mutates
//! only in apply mode.

pub mod atomic;
pub mod diff;
mod path;
mod perm;
pub mod plan;
mod stat;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use nix::unistd::{Gid, Uid, geteuid};

pub use path::absolute;
pub use perm::FileMode;
pub use plan::{AttrPlan, DirPlan, Wanted, WritePlan};
pub use stat::{Attrs, Kind, Stat, lstat, stat};

use super::{Ctx, ErrorKind, HostError, HostResult, Outcome, users};

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

#[derive(Clone, Debug, Default)]
pub struct WriteOpts {
    pub attrs: AttrOpts,
    /// Keep the previous version as `<name>.<YYYYmmddHHMMSS>.bak`.
    pub backup: bool,
    /// Create missing parent directories (mode 0755).
    pub parents: bool,
}

#[derive(Clone, Debug, Default)]
pub struct MkdirOpts {
    pub attrs: AttrOpts,
    pub parents: bool,
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

/// The file's text, or `None` when it does not exist.
pub fn read(path: &str) -> HostResult<Option<String>> {
    let p = absolute(path)?;
    match std::fs::read(&p) {
        Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|_| {
            HostError::invalid(format!(
                "{path} is not UTF-8 text; fs::read reads text files only"
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(HostError::io("cannot read", &p, e)),
    }
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

fn apply_attrs(path: &Path, p: &AttrPlan) -> HostResult<()> {
    if p.uid.is_some() || p.gid.is_some() {
        // chown before chmod: chown clears setuid/setgid bits.
        nix::unistd::chown(
            path,
            p.uid.map(|(_, u)| Uid::from_raw(u)),
            p.gid.map(|(_, g)| Gid::from_raw(g)),
        )
        .map_err(|e| perm_error("change the owner or group of", path, e))?;
    }
    if let Some((_, m)) = p.mode {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(m.bits()))
            .map_err(|e| HostError::io("cannot change the mode of", path, e))?;
    }
    Ok(())
}

fn perm_error(what: &str, path: &Path, e: nix::Error) -> HostError {
    if e == nix::Error::EPERM || e == nix::Error::EACCES {
        HostError::new(
            ErrorKind::AccessDenied,
            format!("not allowed to {what} {}: {e}", path.display()),
        )
        .with_hint("run it again with sudo: sudo runbook …")
    } else {
        HostError::io(&format!("cannot {what}"), path, std::io::Error::from(e))
    }
}

/// Fact: the attributes of an existing path of the expected kind.
fn existing(path: &Path, want_dir: bool) -> HostResult<Option<Stat>> {
    let Some(st) = stat(path)? else {
        return Ok(None);
    };
    let is_dir = st.kind == Kind::Dir;
    if is_dir != want_dir {
        return Err(HostError::new(
            ErrorKind::Conflict,
            format!(
                "{} exists but is a {}, not a {}",
                path.display(),
                st.kind.as_str(),
                if want_dir { "directory" } else { "file" }
            ),
        )
        .with_hint("remove or rename it first, or choose another path"));
    }
    Ok(Some(st))
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

/// Creates a directory, or fixes its mode and ownership.
pub fn mkdir(ctx: &Ctx, path: &str, opts: &MkdirOpts) -> HostResult<Outcome> {
    let p = absolute(path)?;
    let wanted = opts.attrs.resolve()?;
    let actual = existing(&p, true)?;
    match plan::plan_mkdir(
        &wanted,
        DEFAULT_DIR_MODE,
        actual.as_ref().map(|s| s.attrs()).as_ref(),
    ) {
        DirPlan::Nothing => Ok(Outcome::ok("directory as desired")),
        DirPlan::Attrs(ap) => {
            check_owner_change(&p, &ap)?;
            if ctx.mode.is_apply() {
                apply_attrs(&p, &ap)?;
            }
            Ok(Outcome::change(ctx.mode, attr_summary(&ap)))
        }
        DirPlan::Create { mode } => {
            let parent = p.parent().unwrap_or(Path::new("/"));
            if !opts.parents && stat(parent)?.is_none() {
                return Err(missing_dir_error(&p, parent));
            }
            let ap = AttrPlan {
                mode: None,
                uid: wanted.uid.map(|u| (geteuid().as_raw(), u)),
                gid: wanted.gid.map(|g| (0, g)),
            };
            check_owner_change(
                &p,
                &AttrPlan {
                    uid: ap.uid.filter(|(a, b)| a != b),
                    ..ap
                },
            )?;
            if ctx.mode.is_apply() {
                if opts.parents {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| HostError::io("cannot create directory", parent, e))?;
                }
                std::fs::create_dir(&p)
                    .map_err(|e| HostError::io("cannot create directory", &p, e))?;
                // Exact mode regardless of umask; owner first (see apply_attrs).
                apply_attrs(
                    &p,
                    &AttrPlan {
                        mode: Some((mode, mode)),
                        ..ap
                    },
                )?;
            }
            Ok(Outcome::change(
                ctx.mode,
                format!("create directory, mode {mode}"),
            ))
        }
    }
}

/// Writes `content` atomically unless content, mode and owner already match.
pub fn write(ctx: &Ctx, path: &str, content: Content, opts: &WriteOpts) -> HostResult<Outcome> {
    let mut p = absolute(path)?;
    let wanted = opts.attrs.resolve()?;
    // Write through a symlink to the file it names, rather than replacing the link.
    if lstat(&p)?.is_some_and(|s| s.kind == Kind::Symlink) && stat(&p)?.is_some() {
        p = std::fs::canonicalize(&p).map_err(|e| HostError::io("cannot resolve", &p, e))?;
    }
    if ctx.mode.is_apply() {
        // Leftovers of an interrupted write may hold a secret; clear them even
        // when this write turns out to be a no-op.
        atomic::remove_stale(&p)?;
    }
    let actual = existing(&p, false)?;
    let old = match &actual {
        Some(_) => Some(std::fs::read(&p).map_err(|e| HostError::io("cannot read", &p, e))?),
        None => None,
    };
    let default_mode = if content.secret {
        DEFAULT_SECRET_FILE_MODE
    } else {
        DEFAULT_FILE_MODE
    };
    let attrs = actual.as_ref().map(|s| s.attrs());
    let plan = plan::plan_write(
        &wanted,
        default_mode,
        attrs.as_ref().zip(old.as_deref()),
        content.bytes,
    );
    let diff = |o: &Outcome| -> Outcome {
        if !ctx.diff {
            return o.clone();
        }
        let old_text = old.as_deref().map(String::from_utf8_lossy);
        let new_text = String::from_utf8_lossy(content.bytes);
        o.clone()
            .with_diff(Some(ctx.redactor.redact(&diff::line_diff(
                path,
                old_text.as_deref(),
                &new_text,
                content.secret,
            ))))
    };
    match plan {
        WritePlan::Nothing => Ok(Outcome::ok("content, mode and owner as desired")),
        WritePlan::Attrs(ap) => {
            check_owner_change(&p, &ap)?;
            if ctx.mode.is_apply() {
                apply_attrs(&p, &ap)?;
            }
            Ok(Outcome::change(ctx.mode, attr_summary(&ap)))
        }
        WritePlan::Create { mode } => {
            let dir = p.parent().unwrap_or(Path::new("/"));
            let dir_missing = stat(dir)?.is_none();
            if dir_missing && !opts.parents {
                // In check mode an earlier step may only have planned the folder
                // (fs::mkdir reported would_change): say so instead of failing the plan.
                if ctx.mode.is_check() {
                    return Ok(diff(&Outcome::change(
                        ctx.mode,
                        format!(
                            "create, mode {mode}, once {} exists (it does not yet)",
                            dir.display()
                        ),
                    )));
                }
                return Err(missing_dir_error(&p, dir));
            }
            if let Some(u) = wanted.uid.filter(|u| *u != geteuid().as_raw()) {
                check_owner_change(
                    &p,
                    &AttrPlan {
                        uid: Some((geteuid().as_raw(), u)),
                        ..Default::default()
                    },
                )?;
            }
            if ctx.mode.is_apply() {
                if dir_missing {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| HostError::io("cannot create directory", dir, e))?;
                }
                atomic::write_atomic(&p, content.bytes, mode, wanted.uid, wanted.gid)?;
            }
            Ok(diff(&Outcome::change(
                ctx.mode,
                format!("create, {} bytes, mode {mode}", content.bytes.len()),
            )))
        }
        WritePlan::Replace {
            attrs: ap,
            final_mode,
        } => {
            check_owner_change(&p, &ap)?;
            let (Some(st), Some(old)) = (&actual, &old) else {
                return Err(HostError::failed(
                    "internal: replace planned without a file",
                ));
            };
            let mut summary = format!(
                "content changed, {} -> {} bytes",
                old.len(),
                content.bytes.len()
            );
            if !ap.is_empty() {
                summary.push_str(&format!(", {}", attr_summary(&ap)));
            }
            let backup = opts.backup.then(|| atomic::backup_path(&p));
            if let Some(b) = &backup {
                summary.push_str(&format!(", backup {}", b.display()));
            }
            if ctx.mode.is_apply() {
                if let Some(b) = &backup {
                    atomic::write_atomic(b, old, st.mode, Some(st.uid), Some(st.gid))?;
                }
                let uid = wanted.uid.unwrap_or(st.uid);
                let gid = wanted.gid.unwrap_or(st.gid);
                // Only ask for an owner change the process is allowed to make.
                let uid = (uid != geteuid().as_raw()).then_some(uid);
                atomic::write_atomic(&p, content.bytes, final_mode, uid, Some(gid))?;
            }
            Ok(diff(&Outcome::change(ctx.mode, summary)))
        }
    }
}

/// Sets the mode of an existing path.
pub fn chmod(ctx: &Ctx, path: &str, mode: &str) -> HostResult<Outcome> {
    let mode = FileMode::parse(mode)?;
    set_attrs(
        ctx,
        path,
        Wanted {
            mode: Some(mode),
            ..Default::default()
        },
    )
}

/// Sets owner and/or group of an existing path.
pub fn chown(
    ctx: &Ctx,
    path: &str,
    owner: Option<&str>,
    group: Option<&str>,
) -> HostResult<Outcome> {
    let wanted = AttrOpts {
        mode: None,
        owner: owner.map(str::to_string),
        group: group.map(str::to_string),
    }
    .resolve()?;
    set_attrs(ctx, path, wanted)
}

pub fn chgrp(ctx: &Ctx, path: &str, group: &str) -> HostResult<Outcome> {
    chown(ctx, path, None, Some(group))
}

fn set_attrs(ctx: &Ctx, path: &str, wanted: Wanted) -> HostResult<Outcome> {
    let p = absolute(path)?;
    let st = stat(&p)?.ok_or_else(|| {
        HostError::not_found(format!("{path} does not exist"))
            .with_hint("create it first (fs::write or fs::mkdir)")
    })?;
    let ap = plan::plan_attrs(&wanted, &st.attrs());
    if ap.is_empty() {
        return Ok(Outcome::ok("as desired"));
    }
    check_owner_change(&p, &ap)?;
    if ctx.mode.is_apply() {
        apply_attrs(&p, &ap)?;
    }
    Ok(Outcome::change(ctx.mode, attr_summary(&ap)))
}

/// Removes a file, a symlink or an empty directory; `ok` when already absent.
pub fn remove(ctx: &Ctx, path: &str) -> HostResult<Outcome> {
    let p = absolute(path)?;
    let Some(st) = lstat(&p)? else {
        return Ok(Outcome::ok("already absent"));
    };
    if st.kind == Kind::Dir {
        let empty = std::fs::read_dir(&p)
            .map_err(|e| HostError::io("cannot list", &p, e))?
            .next()
            .is_none();
        if !empty {
            return Err(HostError::new(
                ErrorKind::Conflict,
                format!("{path} is a directory that is not empty; fs::remove removes files and empty directories only"),
            )
            .with_hint("remove its contents first"));
        }
    }
    if ctx.mode.is_apply() {
        let r = if st.kind == Kind::Dir {
            std::fs::remove_dir(&p)
        } else {
            std::fs::remove_file(&p)
        };
        r.map_err(|e| HostError::io("cannot remove", &p, e))?;
    }
    Ok(Outcome::change(
        ctx.mode,
        format!("remove {}", st.kind.as_str()),
    ))
}
