//! Directories: `mkdir` (create, or fix mode and ownership) and `remove`.

use std::os::unix::fs::DirBuilderExt;
use std::path::Path;

use nix::sys::stat::{Mode, mkdirat};
use nix::unistd::geteuid;

use super::atomic::split;
use super::open::Dir;
use super::plan::{self, AttrPlan, DirPlan};
use super::{
    DEFAULT_DIR_MODE, Kind, MkdirOpts, absolute, attr_summary, attrs, check_owner_change,
    destination, lstat, missing_dir_error,
};
use crate::host::attr_diff::AttrDiff;
use crate::host::{Ctx, ErrorKind, HostError, HostResult, Outcome};

const VERB: &str = "create or change a directory";

/// Creates the missing folders of `dir` (0755, narrowed by the umask).
pub(super) fn create_parents(dir: &Path) -> HostResult<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(dir)
        .map_err(|e| HostError::io("cannot create directory", dir, e))
}

/// Creates a directory, or fixes its mode and ownership.
pub fn mkdir(ctx: &Ctx, path: &str, opts: &MkdirOpts) -> HostResult<Outcome> {
    let wanted = opts.attrs.resolve()?;
    if let Some(m) = wanted.mode {
        m.check_special(true, opts.allow.special_bits)?;
    }
    let p = destination(&absolute(path)?, opts.allow.follow_symlinks, VERB)?;
    let (parent, name) = split(&p)?;
    let d = Dir::open(&parent, false)?;
    let existing = match &d {
        Some(d) => d.open_any(&name, VERB)?,
        None => None,
    };
    if let Some(h) = &existing
        && h.stat.kind != Kind::Dir
    {
        return Err(HostError::new(
            ErrorKind::Conflict,
            format!(
                "{} exists but is a {}, not a directory",
                p.display(),
                h.stat.what
            ),
        )
        .with_hint("remove or rename it first, or choose another path"));
    }
    let actual = existing.as_ref().map(|h| h.stat.attrs());
    match plan::plan_mkdir(&wanted, DEFAULT_DIR_MODE, actual.as_ref()) {
        DirPlan::Nothing => Ok(Outcome::ok("directory as desired")),
        DirPlan::Attrs(ap) => {
            check_owner_change(&p, &ap)?;
            if ctx.mode.is_apply()
                && let (Some(h), Some(old)) = (&existing, &actual)
            {
                attrs::apply(h, old, &ap, wanted.mode)?;
            }
            Ok(Outcome::change(ctx.mode, attr_summary(&ap)))
        }
        DirPlan::Create { mode } => {
            if d.is_none() && !opts.parents {
                return Err(missing_dir_error(&p, &parent));
            }
            check_owner_change(
                &p,
                &AttrPlan {
                    uid: wanted
                        .uid
                        .map(|u| (geteuid().as_raw(), u))
                        .filter(|(a, b)| a != b),
                    ..Default::default()
                },
            )?;
            if ctx.mode.is_apply() {
                let d = match d {
                    Some(d) => d,
                    None => {
                        create_parents(&parent)?;
                        Dir::open(&parent, false)?.ok_or_else(|| missing_dir_error(&p, &parent))?
                    }
                };
                // Owner-only until owner, group and the exact mode (regardless
                // of umask) are set on its descriptor.
                mkdirat(d.fd(), name.as_str(), Mode::from_bits_truncate(0o700))
                    .map_err(|e| HostError::io("cannot create directory", &p, e.into()))?;
                let h = d
                    .open_any(&name, VERB)?
                    .filter(|h| h.stat.kind == Kind::Dir)
                    .ok_or_else(|| {
                        HostError::new(
                            ErrorKind::Conflict,
                            format!("{} changed while it was created", p.display()),
                        )
                    })?;
                if wanted.uid.is_some() || wanted.gid.is_some() {
                    h.chown(wanted.uid, wanted.gid)?;
                }
                h.chmod(mode)?;
            }
            let diff = ctx.diff.then(|| {
                let mut attrs = vec![
                    ("kind".to_string(), "directory".to_string()),
                    ("mode".to_string(), mode.to_string()),
                ];
                // Unset, the owner is whoever runs this: nothing to review.
                attrs.extend(wanted.uid.map(|u| ("uid".to_string(), u.to_string())));
                attrs.extend(wanted.gid.map(|g| ("gid".to_string(), g.to_string())));
                AttrDiff::new(path).added(&attrs).build()
            });
            Ok(Outcome::change(ctx.mode, format!("create directory, mode {mode}")).with_diff(diff))
        }
    }
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
    // What goes, for --diff: its attributes (not its content, which may be secret).
    let diff = ctx.diff.then(|| {
        AttrDiff::new(path)
            .removed(&[
                ("kind".into(), st.kind.as_str().into()),
                ("mode".into(), st.mode.to_string()),
                ("uid".into(), st.uid.to_string()),
                ("gid".into(), st.gid.to_string()),
                ("size".into(), format!("{} bytes", st.size)),
            ])
            .build()
    });
    Ok(Outcome::change(ctx.mode, format!("remove {}", st.kind.as_str())).with_diff(diff))
}
