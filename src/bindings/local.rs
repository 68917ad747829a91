//! Helpers shared by the local-host bindings (fs, ini, proc, archive).

use rhai::{Dynamic, Map};

use super::Env;
use super::convert::{Arg, RhaiResult, invalid, str_or_unknown};
use crate::host::{Mode, Outcome};

/// A path argument; `None` when it is an `Unknown` (check mode placeholder).
pub fn path_arg(v: &Dynamic, what: &str) -> RhaiResult<Option<String>> {
    match str_or_unknown(v, what)? {
        Arg::Known(s) => Ok(Some(s)),
        Arg::Unknown => Ok(None),
    }
}

/// The report for a call that got a value known only after apply: no I/O,
/// `would_change`. In apply mode such a value is a script bug.
pub fn unknown_report(
    env: &Env,
    module: &str,
    action: &str,
    target: &str,
    fields: Map,
) -> RhaiResult<Map> {
    if env.ctx.mode == Mode::Apply {
        return Err(invalid(format!(
            "{module}::{action}: an argument is still (known after apply) in apply mode; \
             use the value returned by the step that creates it"
        )));
    }
    let outcome = Outcome::change(env.ctx.mode, "depends on a value known after apply");
    Ok(env.report(module, action, target, &outcome, fields))
}

pub fn path_field(path: &str) -> Map {
    let mut m = Map::new();
    m.insert("path".into(), path.into());
    m
}
