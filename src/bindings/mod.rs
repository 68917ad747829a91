//! Rhai glue: one module per host family. Conversion and event emission only;
//! logic belongs in `host/`.

pub mod convert;
mod docker;
mod env;
pub mod globals;
mod systemd;
mod version;

use std::rc::Rc;

use rhai::{Engine, Module, Shared};

pub use env::{Env, none};

/// Registers the global functions and every host module; returns the modules
/// by name, so `runbook check` can tell a real function from a typo.
pub fn register_all(engine: &mut Engine, env: &Rc<Env>) -> Vec<(&'static str, Shared<Module>)> {
    globals::register(engine, env);
    let modules: Vec<(&'static str, Module)> = vec![
        ("version", version::module()),
        ("docker", docker::module(env)),
        ("systemd", systemd::module(env)),
    ];
    modules
        .into_iter()
        .map(|(name, m)| {
            let m: Shared<Module> = m.into();
            engine.register_static_module(name, m.clone());
            (name, m)
        })
        .collect()
}
