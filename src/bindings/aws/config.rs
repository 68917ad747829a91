//! `aws::` — which identity and region the IAM and STS calls use.

use std::rc::Rc;

use rhai::{Dynamic, FuncRegistration, Map, Module};

use super::clients;
use crate::bindings::Env;
use crate::bindings::convert::{RhaiResult, check_opts, opt_str};
use crate::host::aws::AwsSettings;

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
            e.set_aws(AwsSettings {
                profile: pick("profile", current.profile)?,
                region: pick("region", current.region)?,
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
            "/// The profile and region set by `--aws-profile`/`--aws-region` or `aws::configure`;",
            "/// `()` where the standard chain decides.",
        ])
        .with_params_info(["Map"])
        .set_into_module(&mut m, move || -> Map {
            let s = e.aws.borrow();
            let opt = |o: &Option<String>| o.clone().map(Dynamic::from).unwrap_or(Dynamic::UNIT);
            let mut map = Map::new();
            map.insert("profile".into(), opt(&s.profile));
            map.insert("region".into(), opt(&s.region));
            map
        });
    m
}
