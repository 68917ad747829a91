//! `secrets::` — Secrets Manager values and metadata.

use std::path::PathBuf;
use std::rc::Rc;

use rhai::{Dynamic, ImmutableString, Map, Module};

use super::skip_verification;
use crate::bindings::Env;
use crate::bindings::convert::{RhaiResult, check_opts, host_error, opt_str, to_map_or_unit};
use crate::bindings::register::opts1;
use crate::host::aws::secrets::{self, SecretOpts};
use crate::host::parse_duration;

/// The options `secrets::get_value`, `secrets::describe` and `sts::whoami` share.
pub(super) fn secret_opts(opts: &Map, function: &str) -> RhaiResult<SecretOpts> {
    check_opts(
        opts,
        function,
        &["profile", "credentials_file", "region", "wait"],
    )?;
    Ok(SecretOpts {
        profile: opt_str(opts, "profile")?,
        credentials_file: opt_str(opts, "credentials_file")?.map(PathBuf::from),
        region: opt_str(opts, "region")?,
        wait: opt_str(opts, "wait")?
            .map(|w| parse_duration(&w))
            .transpose()
            .map_err(host_error)?,
    })
}

fn get_value(env: &Env, id: &str, opts: &Map) -> RhaiResult<Dynamic> {
    let opts = secret_opts(opts, "secrets::get_value")?;
    if opts.skipped_in(env.ctx.mode) {
        return Ok(skip_verification(
            env,
            &format!("reading secret {id} as another identity"),
        ));
    }
    let settings = env.aws.borrow().clone();
    let s = env
        .block_on(secrets::get_value(
            &env.ctx,
            &env.aws_clients,
            &settings,
            id,
            &opts,
        ))
        .map_err(host_error)?;
    Ok(Dynamic::from(s))
}

fn describe(env: &Env, id: &str, opts: &Map) -> RhaiResult<Dynamic> {
    let opts = secret_opts(opts, "secrets::describe")?;
    let settings = env.aws.borrow().clone();
    let info = env
        .block_on(secrets::describe(&env.aws_clients, &settings, id, &opts))
        .map_err(host_error)?;
    to_map_or_unit(info.as_ref())
}

pub fn module(env: &Rc<Env>) -> Module {
    let mut m = Module::new();
    let e = env.clone();
    opts1(
        &mut m,
        "get_value",
        &[
            "/// The secret's value as a `Secret`, read in the secret's region (`region` option,",
            "/// else the region in an ARN, else the configured one). With `profile` and/or",
            "/// `credentials_file` it authenticates with that profile from that file only, to prove",
            "/// freshly written credentials work, retrying `access_denied` for `wait` (default \"60s\")",
            "/// while IAM propagates a new key; that verification is skipped in check mode (an `Unknown`).",
            "///",
            "/// `secrets::get_value(\"db\", #{profile: \"alation_auth\", credentials_file: path})`",
        ],
        &["id: &str", "opts: Map", "Secret"],
        move |id: ImmutableString, opts: &Map| get_value(&e, &id, opts),
    );
    let e = env.clone();
    opts1(
        &mut m,
        "describe",
        &[
            "/// The secret's metadata without its value, or `()`: `#{arn, name, description,",
            "/// kms_key_id, created, last_changed, rotation_enabled}`. Options as for `get_value`.",
        ],
        &["id: &str", "opts: Map", "Map"],
        move |id: ImmutableString, opts: &Map| describe(&e, &id, opts),
    );
    m
}
