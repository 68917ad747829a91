//! `ini::` — INI files such as the AWS credentials file.

use std::rc::Rc;

use rhai::{Dynamic, FuncRegistration, ImmutableString, Map, Module};

use super::Env;
use super::convert::{RhaiResult, check_opts, host_error, invalid, opt_str, planned_str};
use super::register::opts3;
use super::unknown::{path_field, unknown_report};
use crate::host::fs::AttrOpts;
use crate::host::ini::{self, Entries, IniValue};
use crate::host::{Planned, Unknown};
use crate::secret::Secret;

/// The entries of a section; `None` when a value is known only after apply.
fn entries(map: &Map) -> RhaiResult<Option<Entries>> {
    let mut out = Entries::new();
    for (k, v) in map {
        let value = if v.is::<Unknown>() {
            return Ok(None);
        } else if let Some(s) = v.clone().try_cast::<Secret>() {
            IniValue::secret(s.expose())
        } else if v.is_string() || v.is_int() || v.is_bool() || v.is_float() {
            IniValue::plain(v.to_string())
        } else {
            return Err(invalid(format!(
                "ini::set_section: value of '{k}' must be a string, number, bool or Secret, not {}",
                v.type_name()
            )));
        };
        out.push((k.to_string(), value));
    }
    Ok(Some(out))
}

fn section_fields(path: &str, name: &str) -> Map {
    let mut fields = path_field(path);
    fields.insert("section".into(), name.into());
    fields
}

fn set_section(env: &Env, path: Dynamic, name: &str, map: &Map, opts: &Map) -> RhaiResult<Map> {
    check_opts(opts, "ini::set_section", &["mode", "owner", "group"])?;
    let attrs = AttrOpts {
        mode: opt_str(opts, "mode")?,
        owner: opt_str(opts, "owner")?,
        group: opt_str(opts, "group")?,
    };
    let Planned::Known(path) = planned_str(&path, "ini::set_section: path")? else {
        return unknown_report(env, "ini", "set_section", None, Map::new());
    };
    let target = format!("{path} [{name}]");
    let fields = section_fields(&path, name);
    let Some(entries) = entries(map)? else {
        return unknown_report(env, "ini", "set_section", Some(&target), fields);
    };
    let outcome = ini::set_section(&env.ctx, &path, name, &entries, &attrs).map_err(host_error)?;
    Ok(env.report("ini", "set_section", &target, &outcome, fields))
}

pub fn module(env: &Rc<Env>) -> Module {
    let mut m = Module::new();

    let e = env.clone();
    FuncRegistration::new("read")
        .with_comments([
            "/// The sections of the INI file at `path` as `#{section: #{key: value}}`, or `()`",
            "/// when the file does not exist. Values of keys named like secrets (`*secret*`,",
            "/// `*password*`, `*token*`) are Secrets. A file that does not parse is an error with file:line.",
        ])
        .with_params_info(["path: &str", "Map"])
        .set_into_module(&mut m, move |path: &str| -> RhaiResult<Dynamic> {
            let Some(sections) = ini::read(path).map_err(host_error)? else {
                return Ok(Dynamic::UNIT);
            };
            let mut out = Map::new();
            for (name, entries) in sections {
                let mut sec = Map::new();
                for (k, v) in entries {
                    let value = if v.secret {
                        e.ctx.redactor.register(&v.text);
                        Dynamic::from(Secret::new(v.text))
                    } else {
                        Dynamic::from(v.text)
                    };
                    sec.insert(k.into(), value);
                }
                out.insert(name.into(), sec.into());
            }
            Ok(out.into())
        });

    let e = env.clone();
    opts3(
        &mut m,
        "set_section",
        &[
            "/// Sets section `name` of the INI file at `path` to exactly the keys of `map`",
            "/// (values may be Secrets); keys not in `map` are removed, every other byte of the",
            "/// file stays as it is. Written atomically. Options: `mode`, `owner`, `group`",
            "/// (a new file is 0600 unless `mode` says otherwise). Keys are written in the map's",
            "/// order, which in Rhai is alphabetical.",
            "///",
            "/// `ini::set_section(path, \"alation_auth\", #{aws_access_key_id: id, aws_secret_access_key: key},",
            "/// #{mode: \"540\", group: \"alationdocker\"})`",
        ],
        &["path: &str", "name: &str", "map: Map", "opts: Map", "Map"],
        move |path: Dynamic, name: ImmutableString, map: Map, opts: &Map| {
            set_section(&e, path, &name, &map, opts)
        },
    );

    let e = env.clone();
    FuncRegistration::new("remove_section")
        .with_comments([
            "/// Removes section `name` from the INI file at `path`; `ok` when it is absent.",
        ])
        .with_params_info(["path: &str", "name: &str", "Map"])
        .set_into_module(
            &mut m,
            move |path: Dynamic, name: &str| -> RhaiResult<Map> {
                let Planned::Known(path) = planned_str(&path, "ini::remove_section: path")? else {
                    return unknown_report(&e, "ini", "remove_section", None, Map::new());
                };
                let outcome = ini::remove_section(&e.ctx, &path, name).map_err(host_error)?;
                let target = format!("{path} [{name}]");
                Ok(e.report(
                    "ini",
                    "remove_section",
                    &target,
                    &outcome,
                    section_fields(&path, name),
                ))
            },
        );
    m
}
