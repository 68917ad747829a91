//! Mode, owner and group of an existing path: changed on its descriptor, in an
//! order that never lets anyone in whom neither the old nor the new state lets in.

use super::atomic::split;
use super::open::{Dir, Handle};
use super::plan::{self, AttrPlan, AttrStep, Wanted};
use super::{
    Allow, AttrOpts, Attrs, FileMode, Kind, absolute, attr_summary, check_owner_change, destination,
};
use crate::host::{Ctx, HostError, HostResult, Outcome};

/// Applies `p` to the open `h`, whose attributes were `old`, step by step in
/// the order of [`plan::attr_steps`].
pub(super) fn apply(
    h: &Handle,
    old: &Attrs,
    p: &AttrPlan,
    wanted_mode: Option<FileMode>,
) -> HostResult<()> {
    for step in plan::attr_steps(old, p, wanted_mode) {
        match step {
            AttrStep::Mode(m) => h.chmod(m)?,
            AttrStep::Owner { uid, gid } => h.chown(uid, gid)?,
        }
    }
    Ok(())
}

/// Sets the mode of an existing path.
pub fn chmod(ctx: &Ctx, path: &str, mode: &str, allow: Allow) -> HostResult<Outcome> {
    let wanted = Wanted {
        mode: Some(FileMode::parse(mode)?),
        ..Default::default()
    };
    set_attrs(ctx, path, wanted, allow, "change the mode")
}

/// Sets owner and/or group of an existing path.
pub fn chown(
    ctx: &Ctx,
    path: &str,
    owner: Option<&str>,
    group: Option<&str>,
    allow: Allow,
) -> HostResult<Outcome> {
    let wanted = AttrOpts {
        mode: None,
        owner: owner.map(str::to_string),
        group: group.map(str::to_string),
    }
    .resolve()?;
    set_attrs(ctx, path, wanted, allow, "change the owner")
}

pub fn chgrp(ctx: &Ctx, path: &str, group: &str, allow: Allow) -> HostResult<Outcome> {
    chown(ctx, path, None, Some(group), allow)
}

fn set_attrs(
    ctx: &Ctx,
    path: &str,
    wanted: Wanted,
    allow: Allow,
    verb: &str,
) -> HostResult<Outcome> {
    let p = destination(&absolute(path)?, allow.follow_symlinks, verb)?;
    let missing = || {
        HostError::not_found(format!("{path} does not exist"))
            .with_hint("create it first (fs::write or fs::mkdir)")
    };
    let (dir, name) = split(&p)?;
    let d = Dir::open(&dir, false)?.ok_or_else(missing)?;
    let h = d.open_any(&name, verb)?.ok_or_else(missing)?;
    if let Some(m) = wanted.mode {
        m.check_special(h.stat.kind == Kind::Dir, allow.special_bits)?;
    }
    let old = h.stat.attrs();
    let ap = plan::plan_attrs(&wanted, &old);
    if ap.is_empty() {
        return Ok(Outcome::ok("as desired"));
    }
    check_owner_change(&p, &ap)?;
    if ctx.mode.is_apply() {
        apply(&h, &old, &ap, wanted.mode)?;
    }
    Ok(Outcome::change(ctx.mode, attr_summary(&ap)))
}
