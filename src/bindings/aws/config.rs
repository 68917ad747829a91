//! `aws::` — which identity and region the IAM and STS calls use.

use std::rc::Rc;

use rhai::{Dynamic, FuncRegistration, Map, Module};

use super::clients;
use crate::bindings::Env;
use crate::bindings::convert::{RhaiResult, check_opts, host_error, invalid, opt_str, to_map};
use crate::host::aws::AwsSettings;
use crate::host::aws::net::Net;

pub fn module(env: &Rc<Env>) -> Module {
    let mut m = Module::new();
    let e = env.clone();
    FuncRegistration::new("configure")
        .with_comments([
            "/// Chooses the AWS identity and region for the IAM and STS calls that follow.",
            "/// Options: `profile`, `region`; an option left out keeps its current setting (e.g.",
            "/// `--aws-region`), and `()` hands it back to the standard chain.",
            "///",
            "/// `aws::configure(#{profile: \"admin\", region: \"eu-west-1\"});`",
        ])
        .with_params_info(["opts: Map", "()"])
        .set_into_module(&mut m, move |opts: Map| -> RhaiResult<()> {
            check_opts(&opts, "aws::configure", &["profile", "region"])?;
            let current = e.aws.borrow().clone();
            let pick = |key: &str, keep: Option<String>| -> RhaiResult<Option<String>> {
                if opts.contains_key(key) {
                    opt_str(&opts, key)
                } else {
                    Ok(keep)
                }
            };
            let region = pick("region", current.region)?;
            if let Some(r) = &region {
                crate::runtime::params::Check::Region
                    .check(r)
                    .map_err(|m| invalid(format!("aws::configure: region {m}")))?;
            }
            e.set_aws(AwsSettings {
                profile: pick("profile", current.profile)?,
                region,
                no_proxy: current.no_proxy,
            });
            Ok(())
        });

    let e = env.clone();
    FuncRegistration::new("region")
        .with_comments([
            "/// The region IAM and STS calls use: `--aws-region`, `aws::configure`, else what the standard",
            "/// chain resolves (`AWS_REGION`, the profile's `region`). A profile that does not exist, or a",
            "/// config file that does not parse, is an error that names it.",
        ])
        .with_params_info(["String"])
        .set_into_module(&mut m, move || -> RhaiResult<Dynamic> {
            let c = clients(&e)?;
            Ok(c.config
                .region()
                .map(|r| Dynamic::from(r.to_string()))
                .unwrap_or(Dynamic::UNIT))
        });

    let e = env.clone();
    FuncRegistration::new("settings")
        .with_comments([
            "/// The AWS settings in use: `profile` and `region` as set by `--aws-profile`/`--aws-region`",
            "/// or `aws::configure` (`()` where the standard chain decides), `no_proxy` (`--no-proxy`),",
            "/// and the network: `endpoints` (per service), `proxy` (per service `host:port (from VAR)`,",
            "/// never its credentials; `()` for a direct connection), `proxy_mode`, `ca_bundle`",
            "/// (`AWS_CA_BUNDLE` or the profile's `ca_bundle`, `()` for the system's roots),",
            "/// `connect_timeout`, `read_timeout`, `max_attempts`, `retry_mode`. When the settings",
            "/// cannot be used (no region, a missing profile), `problem` says why.",
        ])
        .with_params_info(["Map"])
        .set_into_module(&mut m, move || -> RhaiResult<Map> {
            let s = e.aws.borrow().clone();
            let opt = |o: &Option<String>| o.clone().map(Dynamic::from).unwrap_or(Dynamic::UNIT);
            let mut map = Map::new();
            map.insert("profile".into(), opt(&s.profile));
            map.insert("region".into(), opt(&s.region));
            map.insert("no_proxy".into(), s.no_proxy.into());
            let (net, retry, problem) = match e.block_on(e.aws_clients.clients(&s)) {
                Ok(c) => {
                    let retry = c.config.retry_config().map(|r| {
                        (r.max_attempts() as i64, format!("{:?}", r.mode()).to_lowercase())
                    });
                    (c.net.clone(), retry, None)
                }
                Err(err) => {
                    let net = e
                        .block_on(Net::load(s.profile.as_deref(), s.no_proxy))
                        .map_err(host_error)?;
                    (net, None, Some(err.message))
                }
            };
            for (k, v) in to_map(&net.summary())? {
                map.insert(k, v);
            }
            let (attempts, mode) = retry.unwrap_or((3, "standard".into()));
            map.insert("max_attempts".into(), attempts.into());
            map.insert("retry_mode".into(), mode.into());
            if let Some(p) = problem {
                map.insert("problem".into(), p.into());
            }
            Ok(map)
        });
    m
}
