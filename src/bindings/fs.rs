//! `fs::` — files and directories on the local host.

use std::rc::Rc;

use rhai::{Dynamic, FuncRegistration, ImmutableString, Map, Module};

use super::Env;
use super::convert::{
    RhaiResult, Text, check_opts, host_error, invalid, opt_bool, opt_str, planned_str, text,
    to_map_or_unit,
};
use super::register::{opts1, opts2};
use super::unknown::{path_field, unknown_report};
use crate::host::fs::{self, AttrOpts, Content, MkdirOpts, WriteOpts};
use crate::host::{ErrorKind, HostResult, Outcome, Planned, Unknown, users};

const WRITE_OPTS: [&str; 5] = ["mode", "owner", "group", "backup", "parents"];
const MKDIR_OPTS: [&str; 4] = ["mode", "owner", "group", "parents"];

fn attr_opts(opts: &Map) -> RhaiResult<AttrOpts> {
    Ok(AttrOpts {
        mode: opt_str(opts, "mode")?,
        owner: opt_str(opts, "owner")?,
        group: opt_str(opts, "group")?,
    })
}

fn done(env: &Env, action: &str, path: &str, r: HostResult<Outcome>) -> RhaiResult<Map> {
    let outcome = r.map_err(host_error)?;
    Ok(env.report("fs", action, path, &outcome, path_field(path)))
}

/// Runs `op` on a known path; a path known only after apply is planned (or refused).
fn on_path(
    env: &Env,
    action: &str,
    path: &Dynamic,
    op: impl FnOnce(&str) -> RhaiResult<Map>,
) -> RhaiResult<Map> {
    match planned_str(path, &format!("fs::{action}: path"))? {
        Planned::Known(p) => op(&p),
        Planned::Unknown => unknown_report(env, "fs", action, None, Map::new()),
    }
}

fn write(env: &Env, path: Dynamic, content: Dynamic, opts: &Map) -> RhaiResult<Map> {
    check_opts(opts, "fs::write", &WRITE_OPTS)?;
    let w = WriteOpts {
        attrs: attr_opts(opts)?,
        backup: opt_bool(opts, "backup")?.unwrap_or(false),
        parents: opt_bool(opts, "parents")?.unwrap_or(false),
    };
    on_path(env, "write", &path, |path| {
        if content.is::<Unknown>() {
            return unknown_report(env, "fs", "write", Some(path), path_field(path));
        }
        let c = text(&content, "fs::write: content")?;
        let content = match &c {
            Text::Plain(s) => Content::plain(s.as_bytes()),
            Text::Secret(s) => Content::secret(s.expose().as_bytes()),
        };
        done(env, "write", path, fs::write(&env.ctx, path, content, &w))
    })
}

fn mkdir(env: &Env, path: Dynamic, opts: &Map) -> RhaiResult<Map> {
    check_opts(opts, "fs::mkdir", &MKDIR_OPTS)?;
    let o = MkdirOpts {
        attrs: attr_opts(opts)?,
        parents: opt_bool(opts, "parents")?.unwrap_or(false),
    };
    on_path(env, "mkdir", &path, |path| {
        done(env, "mkdir", path, fs::mkdir(&env.ctx, path, &o))
    })
}

/// A looked-up account as a map; "no such account" is `()`, not an error.
fn account(found: HostResult<users::Account>, id_key: &str) -> RhaiResult<Dynamic> {
    match found {
        Ok(a) => {
            let mut map = Map::new();
            map.insert(
                "name".into(),
                a.name.map(Dynamic::from).unwrap_or(Dynamic::UNIT),
            );
            map.insert(id_key.into(), (a.id as i64).into());
            Ok(map.into())
        }
        Err(e) if e.kind == ErrorKind::NotFound => Ok(Dynamic::UNIT),
        Err(e) => Err(host_error(e)),
    }
}

/// An owner or group argument: a name, a numeric id, or `()` for "leave as is".
fn owner_arg(v: &Dynamic, what: &str) -> RhaiResult<Option<String>> {
    if v.is_unit() {
        return Ok(None);
    }
    if let Ok(i) = v.as_int() {
        return Ok(Some(i.to_string()));
    }
    v.clone()
        .into_string()
        .map(Some)
        .map_err(|t| invalid(format!("{what} must be a name, an id or (), not {t}")))
}

pub fn module(env: &Rc<Env>) -> Module {
    let mut m = Module::new();

    FuncRegistration::new("exists")
        .with_comments([
            "/// True when something (file, directory, symlink) exists at the absolute `path`.",
        ])
        .with_params_info(["path: &str", "bool"])
        .set_into_module(&mut m, |path: &str| -> RhaiResult<bool> {
            fs::exists(path).map_err(host_error)
        });

    FuncRegistration::new("group")
        .with_comments([
            "/// The local group `name` (or numeric id) as `#{name, gid}`, or `()` when this host has no such group.",
        ])
        .with_params_info(["name: &str", "Dynamic"])
        .set_into_module(&mut m, |name: &str| account(users::group(name), "gid"));

    FuncRegistration::new("user")
        .with_comments([
            "/// The local user `name` (or numeric id) as `#{name, uid}`, or `()` when this host has no such user.",
        ])
        .with_params_info(["name: &str", "Dynamic"])
        .set_into_module(&mut m, |name: &str| account(users::user(name), "uid"));

    FuncRegistration::new("read")
        .with_comments(["/// The text of the file at `path`, or `()` when it does not exist."])
        .with_params_info(["path: &str", "String"])
        .set_into_module(&mut m, |path: &str| -> RhaiResult<Dynamic> {
            Ok(fs::read(path)
                .map_err(host_error)?
                .map(Dynamic::from)
                .unwrap_or(Dynamic::UNIT))
        });

    FuncRegistration::new("stat")
        .with_comments([
            "/// `#{kind, size, mode, uid, gid, owner, group}` of `path` (not following a",
            "/// symlink), or `()` when nothing is there. `mode` is a string such as `\"0540\"`,",
            "/// `kind` one of `file`, `dir`, `symlink`, `other`.",
        ])
        .with_params_info(["path: &str", "Map"])
        .set_into_module(&mut m, |path: &str| -> RhaiResult<Dynamic> {
            to_map_or_unit(fs::stat_path(path).map_err(host_error)?.as_ref())
        });

    let e = env.clone();
    opts1(
        &mut m,
        "mkdir",
        &[
            "/// Ensures a directory exists with the given attributes (mode 0755 when created",
            "/// without one). Options: `mode` (`\"750\"`), `owner`, `group` (names or ids),",
            "/// `parents` (create missing parents).",
            "///",
            "/// `fs::mkdir(\"/etc/hydra/auth/.aws\", #{mode: \"750\", group: \"alationdocker\"})`",
        ],
        &["path: &str", "opts: Map", "Map"],
        move |path: Dynamic, opts: &Map| mkdir(&e, path, opts),
    );

    let e = env.clone();
    opts2(
        &mut m,
        "write",
        &[
            "/// Writes `content` (a string or a Secret) atomically; no write when content,",
            "/// mode and owner already match. Options: `mode`, `owner`, `group`,",
            "/// `backup` (keep `<name>.<timestamp>.bak`), `parents` (create missing directories).",
            "/// A new file gets mode 0644, or 0600 when the content is a Secret.",
        ],
        &["path: &str", "content: Dynamic", "opts: Map", "Map"],
        move |path: Dynamic, content: Dynamic, opts: &Map| write(&e, path, content, opts),
    );

    let e = env.clone();
    FuncRegistration::new("chmod")
        .with_comments([
            "/// Sets the mode of `path`, given as octal digits: `\"540\"` or `\"0540\"`.",
        ])
        .with_params_info(["path: &str", "mode: &str", "Map"])
        .set_into_module(&mut m, move |path: Dynamic, mode: ImmutableString| {
            on_path(&e, "chmod", &path, |p| {
                done(&e, "chmod", p, fs::chmod(&e.ctx, p, &mode))
            })
        });

    let e = env.clone();
    FuncRegistration::new("chown")
        .with_comments([
            "/// Sets owner and group of `path` (names or numeric ids; `()` leaves one as is). Needs root.",
        ])
        .with_params_info(["path: &str", "owner: Dynamic", "group: Dynamic", "Map"])
        .set_into_module(
            &mut m,
            move |path: Dynamic, owner: Dynamic, group: Dynamic| {
                let owner = owner_arg(&owner, "fs::chown: owner")?;
                let group = owner_arg(&group, "fs::chown: group")?;
                on_path(&e, "chown", &path, |p| {
                    let r = fs::chown(&e.ctx, p, owner.as_deref(), group.as_deref());
                    done(&e, "chown", p, r)
                })
            },
        );

    let e = env.clone();
    FuncRegistration::new("chgrp")
        .with_comments([
            "/// Sets the group of `path` (name or numeric id), like `chgrp alationdocker credentials`.",
        ])
        .with_params_info(["path: &str", "group: &str", "Map"])
        .set_into_module(&mut m, move |path: Dynamic, group: ImmutableString| {
            on_path(&e, "chgrp", &path, |p| {
                done(&e, "chgrp", p, fs::chgrp(&e.ctx, p, &group))
            })
        });

    let e = env.clone();
    FuncRegistration::new("remove")
        .with_comments([
            "/// Removes a file, symlink or empty directory; `ok` when already absent.",
        ])
        .with_params_info(["path: &str", "Map"])
        .set_into_module(&mut m, move |path: Dynamic| {
            on_path(&e, "remove", &path, |p| {
                done(&e, "remove", p, fs::remove(&e.ctx, p))
            })
        });

    FuncRegistration::new("is_root")
        .with_comments(["/// True when runbook runs as root (effective uid 0)."])
        .with_params_info(["bool"])
        .set_into_module(&mut m, fs::is_root);

    FuncRegistration::new("require_root")
        .with_comments(["/// Fails with `access_denied` (suggesting sudo) unless running as root."])
        .with_params_info(["()"])
        .set_into_module(&mut m, || -> RhaiResult<()> {
            fs::require_root("this playbook").map_err(host_error)
        });
    FuncRegistration::new("require_root")
        .with_comments([
            "/// Fails with `access_denied` naming `why` (suggesting sudo) unless running as root.",
        ])
        .with_params_info(["why: &str", "()"])
        .set_into_module(&mut m, |why: &str| -> RhaiResult<()> {
            fs::require_root(why).map_err(host_error)
        });
    m
}
