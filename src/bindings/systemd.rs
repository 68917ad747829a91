//! `systemd::` — the Agent's units through `systemctl`.

use std::rc::Rc;
use std::time::Duration;

use rhai::{Dynamic, FuncRegistration, Map, Module};

use super::Env;
use super::convert::{RhaiResult, check_opts, host_error, invalid, opt_str};
use crate::host::systemd::{self, UnitStatus};
use crate::host::{HostResult, Outcome, parse_duration};

/// `timeout` from an opts map: a duration string like `"90s"` or seconds as an integer.
pub(super) fn opt_timeout(opts: &Map, default: Duration) -> RhaiResult<Duration> {
    match opts.get("timeout") {
        None => Ok(default),
        Some(v) if v.is_unit() => Ok(default),
        Some(v) if v.is_int() => {
            let s = v.as_int().unwrap_or(0);
            u64::try_from(s)
                .map(Duration::from_secs)
                .map_err(|_| invalid(format!("option 'timeout' must not be negative, got {s}")))
        }
        Some(_) => {
            let s = opt_str(opts, "timeout")?.unwrap_or_default();
            parse_duration(&s).map_err(host_error)
        }
    }
}

fn status_map(st: &UnitStatus) -> Map {
    let mut m = Map::new();
    m.insert("unit".into(), st.id.clone().into());
    m.insert("load".into(), st.load.clone().into());
    m.insert("active".into(), st.active.clone().into());
    m.insert("sub".into(), st.sub.clone().into());
    m.insert("main_pid".into(), (st.main_pid as i64).into());
    m.insert(
        "since".into(),
        st.since.clone().map(Dynamic::from).unwrap_or(Dynamic::UNIT),
    );
    m
}

type Action = fn(&crate::host::Ctx, &str, Duration) -> HostResult<(Outcome, UnitStatus)>;

/// Registers an action with and without opts; it reports and returns the
/// outcome plus the unit's state.
fn action(m: &mut Module, env: &Rc<Env>, name: &'static str, doc: &'static str, f: Action) {
    let e = env.clone();
    FuncRegistration::new(name)
        .with_comments([doc])
        .with_params_info(["unit: &str", "Map"])
        .set_into_module(m, move |unit: &str| -> RhaiResult<Map> {
            let (o, st) = f(&e.ctx, unit, systemd::DEFAULT_WAIT).map_err(host_error)?;
            Ok(e.report("systemd", name, unit, &o, status_map(&st)))
        });
    let e = env.clone();
    FuncRegistration::new(name)
        .with_comments([
            doc,
            "///",
            "/// opts: `timeout` (default `\"90s\"`) for the unit to become active.",
        ])
        .with_params_info(["unit: &str", "opts: Map", "Map"])
        .set_into_module(m, move |unit: &str, opts: Map| -> RhaiResult<Map> {
            check_opts(&opts, &format!("systemd::{name}"), &["timeout"])?;
            let timeout = opt_timeout(&opts, systemd::DEFAULT_WAIT)?;
            let (o, st) = f(&e.ctx, unit, timeout).map_err(host_error)?;
            Ok(e.report("systemd", name, unit, &o, status_map(&st)))
        });
}

pub fn module(env: &Rc<Env>) -> Module {
    let mut m = Module::new();

    let e = env.clone();
    FuncRegistration::new("status")
        .with_comments([
            "/// The unit's state: `#{unit, load, active, sub, main_pid, since}`, or `()` when systemd",
            "/// knows no such unit. `active` is `active`, `inactive`, `activating`, `failed`, …",
            "///",
            "/// `let st = systemd::status(\"hydra\"); if st != () { info(st.active); }`",
        ])
        .with_params_info(["unit: &str", "Dynamic"])
        .set_into_module(&mut m, move |unit: &str| -> RhaiResult<Dynamic> {
            Ok(systemd::status(&e.ctx, unit)
                .map_err(host_error)?
                .map(|st| Dynamic::from_map(status_map(&st)))
                .unwrap_or(Dynamic::UNIT))
        });

    let e = env.clone();
    FuncRegistration::new("is_active")
        .with_comments([
            "/// True when the unit is active; an unknown unit is a `not_found` error.",
        ])
        .with_params_info(["unit: &str", "bool"])
        .set_into_module(&mut m, move |unit: &str| -> RhaiResult<bool> {
            systemd::is_active(&e.ctx, unit).map_err(host_error)
        });

    action(
        &mut m,
        env,
        "start",
        "/// Starts the unit and waits until it is active; `ok` when it already is.",
        systemd::start,
    );
    action(
        &mut m,
        env,
        "restart",
        "/// Restarts the unit (always `changed`) and waits until it is active again; on failure the error shows its state and last journal lines.",
        systemd::restart,
    );
    action(
        &mut m,
        env,
        "reload",
        "/// Asks an active unit to reload its configuration.",
        systemd::reload,
    );
    action(
        &mut m,
        env,
        "wait_active",
        "/// Waits until the unit is active (`skipped` in check mode when it is not).",
        systemd::wait_active,
    );

    let e = env.clone();
    FuncRegistration::new("stop")
        .with_comments([
            "/// Stops the unit; `ok` when it is already stopped (inactive or failed).",
        ])
        .with_params_info(["unit: &str", "Map"])
        .set_into_module(&mut m, move |unit: &str| -> RhaiResult<Map> {
            let (o, st) = systemd::stop(&e.ctx, unit).map_err(host_error)?;
            Ok(e.report("systemd", "stop", unit, &o, status_map(&st)))
        });
    m
}
