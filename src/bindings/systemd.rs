//! `systemd::` — the Agent's units through `systemctl`.

use std::rc::Rc;
use std::time::Duration;

use rhai::{Dynamic, FuncRegistration, ImmutableString, Map, Module};

use super::Env;
use super::convert::{RhaiResult, check_opts, host_error, opt_timeout, to_map, to_map_or_unit};
use super::register::opts1;
use crate::host::systemd::{self, UnitStatus};
use crate::host::{Ctx, HostResult, Outcome};

type Action = fn(&Ctx, &str, Duration) -> HostResult<(Outcome, UnitStatus)>;

/// Registers an action that waits for the unit, with and without opts; it
/// reports and returns the outcome plus the unit's state.
fn action(m: &mut Module, env: &Rc<Env>, name: &'static str, doc: &'static str, f: Action) {
    let e = env.clone();
    opts1(
        m,
        name,
        &[
            doc,
            "///",
            "/// opts: `timeout` (default `\"90s\"`) for the unit to become active.",
        ],
        &["unit: &str", "opts: Map", "Map"],
        move |unit: ImmutableString, opts: &Map| -> RhaiResult<Map> {
            check_opts(opts, &format!("systemd::{name}"), &["timeout"])?;
            let timeout = opt_timeout(opts, systemd::DEFAULT_WAIT)?;
            let (o, st) = f(&e.ctx, &unit, timeout).map_err(host_error)?;
            Ok(e.report("systemd", name, &unit, &o, to_map(&st)?))
        },
    );
}

pub fn module(env: &Rc<Env>) -> Module {
    let mut m = Module::new();

    let e = env.clone();
    FuncRegistration::new("status")
        .with_comments([
            "/// The unit's state: `#{unit, load, active, sub, main_pid, since, result, can_reload,",
            "/// restarts}`, or `()` when systemd knows no such unit. `active` is `active`,",
            "/// `inactive`, `activating`, `failed`, …",
            "///",
            "/// `let st = systemd::status(\"hydra\"); if st != () { info(st.active); }`",
        ])
        .with_params_info(["unit: &str", "Dynamic"])
        .set_into_module(&mut m, move |unit: &str| -> RhaiResult<Dynamic> {
            to_map_or_unit(systemd::status(&e.ctx, unit).map_err(host_error)?.as_ref())
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
            Ok(e.report("systemd", "stop", unit, &o, to_map(&st)?))
        });
    m
}
