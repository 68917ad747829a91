//! `archive::` — compressed files.

use std::rc::Rc;

use rhai::{Dynamic, FuncRegistration, Map, Module};

use super::Env;
use super::convert::{RhaiResult, host_error, planned_str};
use super::unknown::{path_field, unknown_report};
use crate::host::{Planned, archive};

pub fn module(env: &Rc<Env>) -> Module {
    let mut m = Module::new();
    let e = env.clone();
    FuncRegistration::new("gunzip")
        .with_comments([
            "/// Decompresses the gzip file `src` into `dest` (streaming, atomic); `ok` when `dest`",
            "/// already holds that content. A corrupt or truncated archive leaves no partial `dest`.",
            "///",
            "/// `archive::gunzip(\"/tmp/auth-service-docker-image-5.14.0.1968.tar.gz\", \"/tmp/auth.tar\")`",
        ])
        .with_params_info(["src: &str", "dest: &str", "Map"])
        .set_into_module(&mut m, move |src: Dynamic, dest: Dynamic| -> RhaiResult<Map> {
            let src = planned_str(&src, "archive::gunzip: src")?;
            let dest = planned_str(&dest, "archive::gunzip: dest")?;
            let (Planned::Known(src), Planned::Known(dest)) = (src, dest) else {
                return unknown_report(&e, "archive", "gunzip", None, Map::new());
            };
            let outcome = archive::gunzip(&e.ctx, &src, &dest).map_err(host_error)?;
            Ok(e.report("archive", "gunzip", &dest, &outcome, path_field(&dest)))
        });
    m
}
