//! `sts::` — who the caller is.

use std::rc::Rc;

use rhai::{Dynamic, FuncRegistration, Map, Module};

use super::secrets::secret_opts;
use super::{clients, skip_verification};
use crate::bindings::Env;
use crate::bindings::convert::{RhaiResult, host_error, to_map};
use crate::host::aws::{secrets, sts};

pub fn module(env: &Rc<Env>) -> Module {
    let mut m = Module::new();
    let e = env.clone();
    FuncRegistration::new("whoami")
        .with_comments(["/// The caller's identity: `#{account, arn, user_id, partition}`."])
        .with_params_info(["Map"])
        .set_into_module(&mut m, move || -> RhaiResult<Map> {
            let c = clients(&e)?;
            to_map(&e.block_on(sts::whoami(&c)).map_err(host_error)?)
        });
    let e = env.clone();
    FuncRegistration::new("whoami")
        .with_comments([
            "/// The identity of a profile read only from a credentials file, to prove freshly",
            "/// written credentials work. Options: `profile` (default `default`), `credentials_file`,",
            "/// `region`, `wait` (retry `access_denied` while IAM propagates a new key, default \"60s\").",
            "/// Skipped in check mode (returns an `Unknown`): the key may not exist yet.",
            "///",
            "/// `sts::whoami(#{profile: \"alation_auth\", credentials_file: \"/etc/hydra/auth/.aws/credentials\"})`",
        ])
        .with_params_info(["opts: Map", "Map"])
        .set_into_module(&mut m, move |opts: Map| -> RhaiResult<Dynamic> {
            let o = secret_opts(&opts, "sts::whoami")?;
            if o.skipped_in(e.ctx.mode) {
                return Ok(skip_verification(&e, "checking the credentials' identity"));
            }
            let profile = o.profile.clone().unwrap_or_else(|| "default".into());
            let id = e
                .block_on(sts::whoami_as(
                    &e.ctx,
                    &profile,
                    o.credentials_file.as_deref(),
                    o.region.as_deref(),
                    o.wait.unwrap_or(secrets::DEFAULT_PROPAGATION_WAIT),
                    e.aws.borrow().no_proxy,
                ))
                .map_err(host_error)?;
            Ok(to_map(&id)?.into())
        });
    m
}
