//! `fs::` — files and directories on the local host.

use std::rc::Rc;

use rhai::{Dynamic, FuncRegistration, Map, Module};

use super::Env;
use super::convert::{RhaiResult, Text, check_opts, host_error, opt_bool, opt_str, text};
use super::local::{path_arg, path_field, unknown_report};
use crate::host::fs::{self, AttrOpts, Content, MkdirOpts, WriteOpts};
use crate::host::{Outcome, Unknown};

const WRITE_OPTS: [&str; 5] = ["mode", "owner", "group", "backup", "parents"];
const MKDIR_OPTS: [&str; 4] = ["mode", "owner", "group", "parents"];

fn attr_opts(opts: &Map) -> RhaiResult<AttrOpts> {
    Ok(AttrOpts {
        mode: opt_str(opts, "mode")?,
        owner: opt_str(opts, "owner")?,
        group: opt_str(opts, "group")?,
    })
}

fn stat_map(st: &fs::Stat) -> Map {
    let mut m = Map::new();
    m.insert("kind".into(), st.kind.as_str().into());
    m.insert("size".into(), (st.size as i64).into());
    m.insert("mode".into(), st.mode.to_string().into());
    m.insert("uid".into(), (st.uid as i64).into());
    m.insert("gid".into(), (st.gid as i64).into());
    m.insert("owner".into(), st.owner().into());
    m.insert("group".into(), st.group().into());
    m
}

fn done(
    env: &Env,
    action: &str,
    path: &str,
    r: crate::host::HostResult<Outcome>,
) -> RhaiResult<Map> {
    let outcome = r.map_err(host_error)?;
    Ok(env.report("fs", action, path, &outcome, path_field(path)))
}

fn write(env: &Env, path: Dynamic, content: Dynamic, opts: &Map) -> RhaiResult<Map> {
    check_opts(opts, "fs::write", &WRITE_OPTS)?;
    let w = WriteOpts {
        attrs: attr_opts(opts)?,
        backup: opt_bool(opts, "backup")?.unwrap_or(false),
        parents: opt_bool(opts, "parents")?.unwrap_or(false),
    };
    let Some(path) = path_arg(&path, "fs::write: path")? else {
        return unknown_report(env, "fs", "write", None, Map::new());
    };
    if content.is::<Unknown>() {
        return unknown_report(env, "fs", "write", Some(&path), path_field(&path));
    }
    let c = text(&content, "fs::write: content")?;
    let content = match &c {
        Text::Plain(s) => Content::plain(s.as_bytes()),
        Text::Secret(s) => Content::secret(s.expose().as_bytes()),
    };
    done(env, "write", &path, fs::write(&env.ctx, &path, content, &w))
}

fn mkdir(env: &Env, path: Dynamic, opts: &Map) -> RhaiResult<Map> {
    check_opts(opts, "fs::mkdir", &MKDIR_OPTS)?;
    let o = MkdirOpts {
        attrs: attr_opts(opts)?,
        parents: opt_bool(opts, "parents")?.unwrap_or(false),
    };
    let Some(path) = path_arg(&path, "fs::mkdir: path")? else {
        return unknown_report(env, "fs", "mkdir", None, Map::new());
    };
    done(env, "mkdir", &path, fs::mkdir(&env.ctx, &path, &o))
}

/// A looked-up account as a map; "no such account" is `()`, not an error.
fn account(
    found: crate::host::HostResult<crate::host::users::Account>,
    id_key: &str,
) -> RhaiResult<Dynamic> {
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
        Err(e) if e.kind == crate::host::ErrorKind::NotFound => Ok(Dynamic::UNIT),
        Err(e) => Err(host_error(e)),
    }
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
        .set_into_module(&mut m, |name: &str| -> RhaiResult<Dynamic> {
            account(crate::host::users::group(name), "gid")
        });

    FuncRegistration::new("user")
        .with_comments([
            "/// The local user `name` (or numeric id) as `#{name, uid}`, or `()` when this host has no such user.",
        ])
        .with_params_info(["name: &str", "Dynamic"])
        .set_into_module(&mut m, |name: &str| -> RhaiResult<Dynamic> {
            account(crate::host::users::user(name), "uid")
        });

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
            "/// symlink), or `()` when nothing is there. `mode` is a string such as `\"0540\"`.",
        ])
        .with_params_info(["path: &str", "Map"])
        .set_into_module(&mut m, |path: &str| -> RhaiResult<Dynamic> {
            Ok(fs::stat_path(path)
                .map_err(host_error)?
                .map(|s| Dynamic::from_map(stat_map(&s)))
                .unwrap_or(Dynamic::UNIT))
        });

    let e = env.clone();
    FuncRegistration::new("mkdir")
        .with_comments([
            "/// Ensures a directory exists with the given attributes.",
            "/// Options: `mode` (`\"750\"`), `owner`, `group` (names or ids), `parents` (create missing parents).",
            "///",
            "/// `fs::mkdir(\"/etc/hydra/auth/.aws\", #{mode: \"750\", group: \"alationdocker\"})`",
        ])
        .with_params_info(["path: &str", "opts: Map", "Map"])
        .set_into_module(&mut m, move |path: Dynamic, opts: Map| mkdir(&e, path, &opts));
    let e = env.clone();
    FuncRegistration::new("mkdir")
        .with_comments(["/// Ensures a directory exists (mode 0755 when created)."])
        .with_params_info(["path: &str", "Map"])
        .set_into_module(&mut m, move |path: Dynamic| mkdir(&e, path, &Map::new()));

    let e = env.clone();
    FuncRegistration::new("write")
        .with_comments([
            "/// Writes `content` (a string or a Secret) atomically; no write when content,",
            "/// mode and owner already match. Options: `mode`, `owner`, `group`,",
            "/// `backup` (keep `<name>.<timestamp>.bak`), `parents` (create missing directories).",
            "/// A new file gets mode 0644, or 0600 when the content is a Secret.",
        ])
        .with_params_info(["path: &str", "content: Dynamic", "opts: Map", "Map"])
        .set_into_module(&mut m, move |path: Dynamic, content: Dynamic, opts: Map| {
            write(&e, path, content, &opts)
        });
    let e = env.clone();
    FuncRegistration::new("write")
        .with_comments([
            "/// Writes `content` (a string or a Secret) atomically; see the 3-argument form.",
        ])
        .with_params_info(["path: &str", "content: Dynamic", "Map"])
        .set_into_module(&mut m, move |path: Dynamic, content: Dynamic| {
            write(&e, path, content, &Map::new())
        });

    let e = env.clone();
    FuncRegistration::new("chmod")
        .with_comments([
            "/// Sets the mode of `path`, given as octal digits: `\"540\"` or `\"0540\"`.",
        ])
        .with_params_info(["path: &str", "mode: &str", "Map"])
        .set_into_module(
            &mut m,
            move |path: Dynamic, mode: &str| -> RhaiResult<Map> {
                let Some(path) = path_arg(&path, "fs::chmod: path")? else {
                    return unknown_report(&e, "fs", "chmod", None, Map::new());
                };
                done(&e, "chmod", &path, fs::chmod(&e.ctx, &path, mode))
            },
        );

    let e = env.clone();
    FuncRegistration::new("chown")
        .with_comments(["/// Sets owner and group of `path` (names or numeric ids; `()` leaves one as is). Needs root."])
        .with_params_info(["path: &str", "owner: Dynamic", "group: Dynamic", "Map"])
        .set_into_module(&mut m, move |path: Dynamic, owner: Dynamic, group: Dynamic| -> RhaiResult<Map> {
            let Some(path) = path_arg(&path, "fs::chown: path")? else {
                return unknown_report(&e, "fs", "chown", None, Map::new());
            };
            let owner = opt_arg(&owner, "fs::chown: owner")?;
            let group = opt_arg(&group, "fs::chown: group")?;
            done(&e, "chown", &path, fs::chown(&e.ctx, &path, owner.as_deref(), group.as_deref()))
        });

    let e = env.clone();
    FuncRegistration::new("chgrp")
        .with_comments(["/// Sets the group of `path` (name or numeric id), like `chgrp alationdocker credentials`."])
        .with_params_info(["path: &str", "group: &str", "Map"])
        .set_into_module(&mut m, move |path: Dynamic, group: &str| -> RhaiResult<Map> {
            let Some(path) = path_arg(&path, "fs::chgrp: path")? else {
                return unknown_report(&e, "fs", "chgrp", None, Map::new());
            };
            done(&e, "chgrp", &path, fs::chgrp(&e.ctx, &path, group))
        });

    let e = env.clone();
    FuncRegistration::new("remove")
        .with_comments([
            "/// Removes a file, symlink or empty directory; `ok` when already absent.",
        ])
        .with_params_info(["path: &str", "Map"])
        .set_into_module(&mut m, move |path: Dynamic| -> RhaiResult<Map> {
            let Some(path) = path_arg(&path, "fs::remove: path")? else {
                return unknown_report(&e, "fs", "remove", None, Map::new());
            };
            done(&e, "remove", &path, fs::remove(&e.ctx, &path))
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

fn opt_arg(v: &Dynamic, what: &str) -> RhaiResult<Option<String>> {
    if v.is_unit() {
        return Ok(None);
    }
    if let Ok(i) = v.as_int() {
        return Ok(Some(i.to_string()));
    }
    v.clone().into_string().map(Some).map_err(|t| {
        super::convert::invalid(format!("{what} must be a name, an id or (), not {t}"))
    })
}
