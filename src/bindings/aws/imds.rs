//! `imds::` — what the EC2 instance metadata service says about this host.

use std::rc::Rc;

use rhai::{Dynamic, FuncRegistration, Map, Module};

use super::skip_verification;
use crate::bindings::Env;
use crate::bindings::convert::{
    RhaiResult, check_opts, host_error, opt_str, to_map, to_map_or_unit,
};
use crate::bindings::register::opts1;
use crate::host::aws::{imds, secrets};
use crate::host::parse_duration;

pub fn module(env: &Rc<Env>) -> Module {
    let mut m = Module::new();

    let e = env.clone();
    FuncRegistration::new("identity")
        .with_comments([
            "/// This EC2 instance's `#{instance_id, region}` from IMDSv2, or `()` when no",
            "/// metadata service answers (not on EC2). `AWS_EC2_METADATA_SERVICE_ENDPOINT` is honoured.",
        ])
        .with_params_info(["Dynamic"])
        .set_into_module(&mut m, move || -> RhaiResult<Dynamic> {
            let id = e.block_on(imds::identity()).map_err(host_error)?;
            to_map_or_unit(id.as_ref())
        });

    let e = env.clone();
    FuncRegistration::new("role")
        .with_comments([
            "/// The role whose credentials IMDS hands this instance, or `()` when it has no",
            "/// instance profile.",
        ])
        .with_params_info(["Dynamic"])
        .set_into_module(&mut m, move || -> RhaiResult<Dynamic> {
            Ok(match e.block_on(imds::role()).map_err(host_error)? {
                Some(r) => r.into(),
                None => Dynamic::UNIT,
            })
        });

    let e = env.clone();
    opts1(
        &mut m,
        "verify",
        &[
            "/// Proves the instance's own credentials, as IMDS gives them (no profile, no",
            "/// credentials file, nothing from the environment), authenticate as an assumed-role",
            "/// ARN of `role`, and read `test_secret` when given. Waits up to `wait` (default",
            "/// \"60s\") for IAM and IMDS to catch up. Options: `region` (else the instance's),",
            "/// `test_secret`, `wait`. Returns `#{arn, account, role, secret_read}`; skipped in",
            "/// check mode (an `Unknown`).",
        ],
        &["role: &str", "opts: Map", "Dynamic"],
        move |role: rhai::ImmutableString, opts: &Map| -> RhaiResult<Dynamic> {
            check_opts(opts, "imds::verify", &["region", "test_secret", "wait"])?;
            if e.ctx.mode.is_check() {
                return Ok(skip_verification(&e, "checking the instance's credentials"));
            }
            let wait = opt_str(opts, "wait")?
                .map(|w| parse_duration(&w))
                .transpose()
                .map_err(host_error)?
                .unwrap_or(secrets::DEFAULT_PROPAGATION_WAIT);
            let region = match opt_str(opts, "region")? {
                Some(r) => r,
                None => e
                    .block_on(imds::identity())
                    .map_err(host_error)?
                    .map(|i| i.region)
                    .ok_or_else(|| host_error(crate::host::HostError::not_found(imds::NOT_EC2)))?,
            };
            let test_secret = opt_str(opts, "test_secret")?;
            let r = e
                .block_on(imds::verify_instance(
                    &e.ctx,
                    &region,
                    &role,
                    test_secret.as_deref(),
                    wait,
                ))
                .map_err(host_error)?;
            Ok(to_map(&r)?.into())
        },
    );
    m
}
