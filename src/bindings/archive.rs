//! `archive::` — compressed files.

use std::rc::Rc;

use rhai::{Dynamic, FuncRegistration, Map, Module};

use super::Env;
use super::convert::{RhaiResult, host_error};
use super::local::{path_arg, path_field, unknown_report};
use crate::host::archive;

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
            let (Some(src), Some(dest)) = (path_arg(&src, "archive::gunzip: src")?, path_arg(&dest, "archive::gunzip: dest")?) else {
                return unknown_report(&e, "archive", "gunzip", None, Map::new());
            };
            let outcome = archive::gunzip(&e.ctx, &src, &dest).map_err(host_error)?;
            Ok(e.report("archive", "gunzip", &dest, &outcome, path_field(&dest)))
        });
    m
}
