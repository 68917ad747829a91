//! `ini::` — INI files such as the AWS credentials file.

use std::rc::Rc;

use rhai::{Dynamic, ImmutableString, Map, Module};

use super::Env;
use super::convert::{RhaiResult, check_opts, host_error, invalid, opt_str, planned_str};
use super::fs::allow_opts;
use super::register::{opts1, opts2, opts3};
use super::unknown::{path_field, unknown_report, unknown_report_with_diff};
use crate::host::attr_diff::AttrDiff;
use crate::host::fs::{self, AttrOpts, WriteOpts};
use crate::host::ini::{self, Entries, IniValue};
use crate::host::{KNOWN_AFTER_APPLY, Planned, Unknown};
use crate::secret::{MASK, Secret};

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

/// The section as it will be written, for `--diff`: secrets masked, a value
/// known only after apply as `(known after apply)`.
fn planned_section(target: &str, map: &Map) -> String {
    let attrs: Vec<(String, String)> = map
        .iter()
        .map(|(k, v)| {
            let shown = if v.is::<Unknown>() {
                KNOWN_AFTER_APPLY.to_string()
            } else if v.is::<Secret>() {
                MASK.to_string()
            } else {
                v.to_string()
            };
            (k.to_string(), shown)
        })
        .collect();
    AttrDiff::new(target).added(&attrs).build()
}

fn section_fields(path: &str, name: &str) -> Map {
    let mut fields = path_field(path);
    fields.insert("section".into(), name.into());
    fields
}

fn set_section(env: &Env, path: Dynamic, name: &str, map: &Map, opts: &Map) -> RhaiResult<Map> {
    check_opts(
        opts,
        "ini::set_section",
        &["mode", "owner", "group", "follow_symlinks", "special_bits"],
    )?;
    let allow = allow_opts(opts)?;
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
        // Values known after apply (a key not created yet): what would refuse
        // the write (a link, a FIFO, a folder others can change) is told now.
        let w = WriteOpts {
            attrs: attrs.clone(),
            allow,
            ..Default::default()
        };
        fs::preflight(&path, true, &w).map_err(host_error)?;
        let diff = planned_section(&target, map);
        return unknown_report_with_diff(
            env,
            "ini",
            "set_section",
            Some(&target),
            fields,
            Some(diff),
        );
    };
    let outcome =
        ini::set_section(&env.ctx, &path, name, &entries, &attrs, allow).map_err(host_error)?;
    Ok(env.report("ini", "set_section", &target, &outcome, fields))
}

pub fn module(env: &Rc<Env>) -> Module {
    let mut m = Module::new();

    let e = env.clone();
    opts1(
        &mut m,
        "read",
        &[
            "/// The sections of the INI file at `path` as `#{section: #{key: value}}`, or `()`",
            "/// when the file does not exist. Values of keys named like secrets (`*secret*`,",
            "/// `*password*`, `*token*`) are Secrets. A file that does not parse is an error with file:line;",
            "/// so is a file that holds a section twice (never merged: the AWS CLI refuses such a file).",
            "/// A symbolic link at `path` is refused unless `follow_symlinks: true` (an INI file a",
            "/// playbook reads is usually the credentials file it writes next); so is anything but a",
            "/// regular text file, and a file starting with a byte-order mark (the AWS SDKs refuse it).",
        ],
        &["path: &str", "opts: Map", "Map"],
        move |path: ImmutableString, opts: &Map| -> RhaiResult<Dynamic> {
            check_opts(opts, "ini::read", &["follow_symlinks"])?;
            let follow = allow_opts(opts)?.follow_symlinks;
            let Some(sections) = ini::read(&path, follow).map_err(host_error)? else {
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
        },
    );

    let e = env.clone();
    opts3(
        &mut m,
        "set_section",
        &[
            "/// Sets section `name` of the INI file at `path` to exactly the keys of `map`",
            "/// (values may be Secrets); keys not in `map` are removed, every other byte of the",
            "/// file stays as it is (a file that holds a section twice is refused, nothing written).",
            "/// Written atomically. Options: `mode`, `owner`, `group`",
            "/// (a new file is 0600 unless `mode` says otherwise), `follow_symlinks`, `special_bits`.",
            "/// Keys are written in the map's order, which in Rhai is alphabetical.",
            "///",
            "/// The file counts as holding secrets: it is written like a Secret by `fs::write` (no",
            "/// symbolic link at `path` unless `follow_symlinks: true`, only into folders nobody else",
            "/// can change, no FIFO, nothing for others when no `mode` is given), also in check mode.",
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
    opts2(
        &mut m,
        "remove_section",
        &[
            "/// Removes section `name` from the INI file at `path`; `ok` when it is absent.",
            "/// Option: `follow_symlinks` (a symbolic link at `path` is refused unless true).",
        ],
        &["path: &str", "name: &str", "opts: Map", "Map"],
        move |path: Dynamic, name: ImmutableString, opts: &Map| -> RhaiResult<Map> {
            check_opts(opts, "ini::remove_section", &["follow_symlinks"])?;
            let allow = allow_opts(opts)?;
            let Planned::Known(path) = planned_str(&path, "ini::remove_section: path")? else {
                return unknown_report(&e, "ini", "remove_section", None, Map::new());
            };
            let outcome = ini::remove_section(&e.ctx, &path, &name, allow).map_err(host_error)?;
            let target = format!("{path} [{name}]");
            Ok(e.report(
                "ini",
                "remove_section",
                &target,
                &outcome,
                section_fields(&path, &name),
            ))
        },
    );
    m
}
