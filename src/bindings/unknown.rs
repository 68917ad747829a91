//! Reports for calls whose arguments are check-mode placeholders (`Unknown`).

use rhai::Map;

use super::Env;
use super::convert::{RhaiResult, host_error};
use crate::host::{KNOWN_AFTER_APPLY, deferred_change, deferred_wait};

/// The report for a change that got a value known only after apply: no I/O,
/// `would_change` in check mode; an `invalid_input` error in apply mode.
pub fn unknown_report(
    env: &Env,
    module: &str,
    action: &str,
    target: Option<&str>,
    fields: Map,
) -> RhaiResult<Map> {
    unknown_report_with_diff(env, module, action, target, fields, None)
}

/// [`unknown_report`] with the planned state for `--diff` (the known parts,
/// and `(known after apply)` where a placeholder goes).
pub fn unknown_report_with_diff(
    env: &Env,
    module: &str,
    action: &str,
    target: Option<&str>,
    fields: Map,
    diff: Option<String>,
) -> RhaiResult<Map> {
    let outcome = deferred_change(
        env.ctx.mode,
        &format!("{module}::{action}"),
        "depends on a value known after apply",
    )
    .map_err(host_error)?
    .with_diff(
        diff.filter(|_| env.ctx.diff)
            .map(|d| env.ctx.redactor.redact(&d)),
    );
    Ok(env.report(
        module,
        action,
        target.unwrap_or(KNOWN_AFTER_APPLY),
        &outcome,
        fields,
    ))
}

/// The report for a wait on something known only after apply: `skipped` in
/// check mode; an `invalid_input` error in apply mode.
pub fn unknown_wait_report(env: &Env, module: &str, action: &str, what: &str) -> RhaiResult<Map> {
    let outcome = deferred_wait(
        env.ctx.mode,
        &format!("{module}::{action}"),
        format!("check mode: not waiting for {what} known after apply"),
    )
    .map_err(host_error)?;
    Ok(env.report(module, action, KNOWN_AFTER_APPLY, &outcome, Map::new()))
}

pub fn path_field(path: &str) -> Map {
    let mut m = Map::new();
    m.insert("path".into(), path.into());
    m
}
