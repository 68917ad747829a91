//! `fs::write`: content, mode and ownership of a regular file, written atomically.

use std::path::{Path, PathBuf};

use nix::unistd::geteuid;

use super::atomic::{self, split};
use super::open::{self, Dir};
use super::plan::{self, AttrPlan, Wanted, WritePlan};
use super::{
    Content, DEFAULT_FILE_MODE, DEFAULT_SECRET_FILE_MODE, Kind, WriteOpts, absolute, attr_summary,
    attrs, check_owner_change, destination, diff, dir::create_parents, lstat, missing_dir_error,
    trust,
};
use crate::host::{Ctx, HostError, HostResult, Outcome};

/// Said when a secret's file lost what others could do (no mode was given).
const NARROWED: &str = " (nothing for others: it holds a secret)";

/// Where a write goes: the file, its folder and its name there.
struct Dest {
    path: PathBuf,
    dir: PathBuf,
    name: String,
}

/// The checks that need no content: special bits, the link at `path`, and
/// for a secret the folders on the way.
fn destination_of(path: &str, secret: bool, asked: &Wanted, opts: &WriteOpts) -> HostResult<Dest> {
    let requested = absolute(path)?;
    if let Some(m) = asked.mode {
        m.check_special(false, opts.allow.special_bits)?;
    }
    let follow = opts.allow.follow_symlinks;
    let p = destination(&requested, follow, "write")?;
    let (dir, name) = split(&p)?;
    if secret {
        trust::check_secret_dir(&dir, asked.uid, follow)?;
        if p != requested
            && let Some(link_dir) = requested.parent()
        {
            // The folder holding the followed link decides where it points.
            trust::check_secret_dir(link_dir, asked.uid, true)?;
        }
    }
    Ok(Dest { path: p, dir, name })
}

/// What [`write`] would refuse before reading anything, for a check run whose
/// content is only known after apply (a key not created yet): a link or a
/// FIFO at `path`, a folder others can change for a secret, special bits.
pub fn preflight(path: &str, secret: bool, opts: &WriteOpts) -> HostResult<()> {
    let asked = opts.attrs.resolve()?;
    let dest = destination_of(path, secret, &asked, opts)?;
    match lstat(&dest.path)? {
        Some(st) if st.kind != Kind::File => Err(open::not_regular(&dest.path, &st, "write")),
        _ => Ok(()),
    }
}

/// Writes `content` atomically unless content, mode and owner already match.
///
/// The path itself is written, never a link's target (unless
/// `follow_symlinks`); a FIFO or device there is refused before it is opened;
/// a secret goes only into folders nobody else can change ([`trust`]).
pub fn write(ctx: &Ctx, path: &str, content: Content, opts: &WriteOpts) -> HostResult<Outcome> {
    let asked = opts.attrs.resolve()?;
    let Dest { path: p, dir, name } = destination_of(path, content.secret, &asked, opts)?;
    let follow = opts.allow.follow_symlinks;
    let nofollow = content.secret && !follow;
    let d = Dir::open(&dir, nofollow)?;
    if ctx.mode.is_apply()
        && let Some(d) = &d
    {
        // Leftovers of interrupted writes may hold a secret; clear them even
        // when this write turns out to be a no-op.
        atomic::remove_stale(d)?;
    }
    let existing = match &d {
        Some(d) => d.open_file(&name, "write")?,
        None => None,
    };
    let old = existing.as_ref().map(|h| h.read_all()).transpose()?;
    let actual = existing.as_ref().map(|h| h.stat.attrs());
    let wanted = match &actual {
        Some(a) => plan::narrowed_for_secret(&asked, content.secret, a),
        None => asked,
    };
    let note = if wanted.mode != asked.mode {
        NARROWED
    } else {
        ""
    };
    let default_mode = if content.secret {
        DEFAULT_SECRET_FILE_MODE
    } else {
        DEFAULT_FILE_MODE
    };
    let planned = plan::plan_write(
        &wanted,
        default_mode,
        actual.as_ref().zip(old.as_deref()),
        content.bytes,
    );
    let with_diff = |o: Outcome| -> Outcome {
        if !ctx.diff {
            return o;
        }
        let old_text = old.as_deref().map(String::from_utf8_lossy);
        let new_text = String::from_utf8_lossy(content.bytes);
        o.with_diff(Some(ctx.redactor.redact(&diff::line_diff(
            path,
            old_text.as_deref(),
            &new_text,
            content.secret,
        ))))
    };
    match planned {
        WritePlan::Nothing => Ok(Outcome::ok("content, mode and owner as desired")),
        WritePlan::Attrs(ap) => {
            check_owner_change(&p, &ap)?;
            if ctx.mode.is_apply()
                && let (Some(h), Some(a)) = (&existing, &actual)
            {
                attrs::apply(h, a, &ap, wanted.mode)?;
            }
            Ok(Outcome::change(
                ctx.mode,
                format!("{}{note}", attr_summary(&ap)),
            ))
        }
        WritePlan::Create { mode } => {
            if d.is_none() && !opts.parents {
                // In check mode an earlier step may only have planned the folder
                // (fs::mkdir reported would_change): say so instead of failing the plan.
                if ctx.mode.is_check() {
                    return Ok(with_diff(Outcome::change(
                        ctx.mode,
                        format!(
                            "create, mode {mode}, once {} exists (it does not yet)",
                            dir.display()
                        ),
                    )));
                }
                return Err(missing_dir_error(&p, &dir));
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
                let d = match d {
                    Some(d) => d,
                    None => open_created(&p, &dir, nofollow)?,
                };
                atomic::write_in(&d, &name, content.bytes, mode, wanted.uid, wanted.gid)?;
            }
            Ok(with_diff(Outcome::change(
                ctx.mode,
                format!("create, {} bytes, mode {mode}", content.bytes.len()),
            )))
        }
        WritePlan::Replace {
            attrs: ap,
            final_mode,
        } => {
            check_owner_change(&p, &ap)?;
            let (Some(d), Some(st), Some(old)) = (&d, &existing, &old) else {
                return Err(HostError::failed(
                    "internal: replace planned without a file",
                ));
            };
            let st = &st.stat;
            let mut summary = format!(
                "content changed, {} -> {} bytes",
                old.len(),
                content.bytes.len()
            );
            if !ap.is_empty() {
                summary.push_str(&format!(", {}{note}", attr_summary(&ap)));
            }
            let backup = opts.backup.then(|| atomic::backup_name(&name));
            if let Some(b) = &backup {
                summary.push_str(&format!(", backup {}", d.join(b).display()));
            }
            if ctx.mode.is_apply() {
                if let Some(b) = &backup {
                    atomic::write_in(d, b, old, st.mode, Some(st.uid), Some(st.gid))?;
                }
                let uid = wanted.uid.unwrap_or(st.uid);
                let gid = wanted.gid.unwrap_or(st.gid);
                // Only ask for an owner change the process is allowed to make.
                let uid = (uid != geteuid().as_raw()).then_some(uid);
                atomic::write_in(d, &name, content.bytes, final_mode, uid, Some(gid))?;
            }
            Ok(with_diff(Outcome::change(ctx.mode, summary)))
        }
    }
}

/// Creates the missing folders of `dir` (`parents: true`) and opens it.
fn open_created(p: &Path, dir: &Path, nofollow: bool) -> HostResult<Dir> {
    create_parents(dir)?;
    Dir::open(dir, nofollow)?.ok_or_else(|| missing_dir_error(p, dir))
}
