//! Rhai glue: one module per host family. Conversion and event emission only;
//! logic belongs in `host/`.

mod archive;
mod aws;
pub mod convert;
mod docker;
mod env;
mod fs;
pub mod globals;
mod ini;
mod json;
mod proc;
mod register;
mod systemd;
mod time;
mod unknown;
mod version;

use std::rc::Rc;

use rhai::{Engine, Module, Shared};

pub use env::Env;

/// Registers the global functions and every host module; returns the modules
/// by name, so `runbook check` can tell a real function from a typo.
pub fn register_all(engine: &mut Engine, env: &Rc<Env>) -> Vec<(&'static str, Shared<Module>)> {
    globals::register(engine, env);
    json::register(engine, env.ctx.mode);
    let modules: Vec<(&'static str, Module)> = vec![
        ("version", version::module()),
        ("time", time::module()),
        ("fs", fs::module(env)),
        ("ini", ini::module(env)),
        ("proc", proc::module(env)),
        ("archive", archive::module(env)),
        ("aws", aws::aws_module(env)),
        ("sts", aws::sts_module(env)),
        ("iam", aws::iam_module(env)),
        ("secrets", aws::secrets_module(env)),
        ("ec2", aws::ec2_module(env)),
        ("imds", aws::imds_module(env)),
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
