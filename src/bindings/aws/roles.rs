//! `iam::` roles and instance profiles, registered into the `iam` module.

use std::rc::Rc;

use rhai::{Array, Dynamic, FuncRegistration, ImmutableString, Map, Module};

use super::iam::{document_arg, tags_opt};
use super::{call, clients};
use crate::bindings::Env;
use crate::bindings::convert::{
    RhaiResult, check_opts, planned_str, planned_value, to_map_or_unit,
};
use crate::bindings::register::opts2;
use crate::host::aws::iam;

pub fn register(m: &mut Module, env: &Rc<Env>) {
    let e = env.clone();
    FuncRegistration::new("role")
        .with_comments([
            "/// The IAM role, or `()`: `#{name, arn, path, trust_policy, tags}`, the trust",
            "/// policy decoded to a map.",
        ])
        .with_params_info(["name: &str", "Dynamic"])
        .set_into_module(m, move |name: &str| -> RhaiResult<Dynamic> {
            let c = clients(&e)?;
            to_map_or_unit(call(&e, &c, iam::role(&c, name))?.as_ref())
        });

    FuncRegistration::new("ec2_trust_policy")
        .with_comments(["/// The trust policy that lets EC2 instances assume a role (`sts:AssumeRole` by `ec2.amazonaws.com`)."])
        .with_params_info(["Dynamic"])
        .set_into_module(m, || -> RhaiResult<Dynamic> {
            rhai::serde::to_dynamic(iam::ec2_trust_policy())
        });

    FuncRegistration::new("trusts_service")
        .with_comments([
            "/// True when the trust policy lets `service` (e.g. `\"ec2.amazonaws.com\"`) assume",
            "/// the role without conditions.",
        ])
        .with_params_info(["trust_policy: Dynamic", "service: &str", "bool"])
        .set_into_module(m, |trust: Dynamic, service: &str| -> RhaiResult<bool> {
            Ok(iam::trusts_service(&document_arg(&trust)?, service))
        });

    let e = env.clone();
    opts2(
        m,
        "ensure_role",
        &[
            "/// Creates the role with `trust_policy` (a map or JSON text), or updates an existing",
            "/// role's trust policy when it means something else (compared by meaning, not text).",
            "/// Option: `tags` (a map, set when the role is created). Returns `#{name, arn, status, changed}`.",
            "///",
            "/// `iam::ensure_role(\"alation-agent-i-0abc\", iam::ec2_trust_policy(), #{tags: #{\"managed-by\": \"runbook\"}})`",
        ],
        &["name: &str", "trust_policy: Dynamic", "opts: Map", "Map"],
        move |name: ImmutableString, trust: Dynamic, opts: &Map| -> RhaiResult<Map> {
            check_opts(opts, "iam::ensure_role", &["tags"])?;
            let trust = document_arg(&trust)?;
            let tags = tags_opt(opts)?;
            let c = clients(&e)?;
            let r = call(&e, &c, iam::ensure_role(&e.ctx, &c, &name, &trust, &tags))?;
            let mut fields = Map::new();
            fields.insert("name".into(), name.clone().into());
            fields.insert("arn".into(), planned_value(&r.arn));
            Ok(e.report("iam", "ensure_role", &name, &r.outcome, fields))
        },
    );

    let e = env.clone();
    FuncRegistration::new("role_policies")
        .with_comments([
            "/// The ARNs of the managed policies attached to the role, or `()` when there is no",
            "/// such role. A read (also in check mode).",
        ])
        .with_params_info(["role: &str", "Dynamic"])
        .set_into_module(m, move |role: &str| -> RhaiResult<Dynamic> {
            let c = clients(&e)?;
            Ok(match call(&e, &c, iam::role_policies(&c, role))? {
                Some(arns) => arns
                    .into_iter()
                    .map(Dynamic::from)
                    .collect::<Array>()
                    .into(),
                None => Dynamic::UNIT,
            })
        });

    let e = env.clone();
    FuncRegistration::new("ensure_role_policy")
        .with_comments([
            "/// Attaches the managed policy to the role; `ok` when already attached.",
            "/// In check mode an unknown ARN (a policy still to be created) plans the attachment.",
        ])
        .with_params_info(["role: &str", "policy_arn: Dynamic", "Map"])
        .set_into_module(m, move |role: &str, arn: Dynamic| -> RhaiResult<Map> {
            let arn = planned_str(&arn, "policy_arn")?;
            let c = clients(&e)?;
            let outcome = call(&e, &c, iam::ensure_role_policy(&e.ctx, &c, role, &arn))?;
            let mut fields = Map::new();
            fields.insert("role".into(), role.into());
            fields.insert("policy_arn".into(), planned_value(&arn));
            Ok(e.report("iam", "ensure_role_policy", role, &outcome, fields))
        });

    let e = env.clone();
    FuncRegistration::new("instance_profile")
        .with_comments([
            "/// The instance profile, or `()`: `#{name, arn, path, roles, tags}` (`roles`: names;",
            "/// IAM allows one).",
        ])
        .with_params_info(["name: &str", "Dynamic"])
        .set_into_module(m, move |name: &str| -> RhaiResult<Dynamic> {
            let c = clients(&e)?;
            to_map_or_unit(call(&e, &c, iam::instance_profile(&c, name))?.as_ref())
        });

    let e = env.clone();
    opts2(
        m,
        "ensure_instance_profile",
        &[
            "/// Creates the instance profile when missing and puts the role in it. A profile",
            "/// holding another role is a `conflict` (it is not ours; a profile holds one role).",
            "/// Option: `tags` (a map, set when the profile is created). Returns `#{name, arn, status, changed}`.",
        ],
        &["name: &str", "role: &str", "opts: Map", "Map"],
        move |name: ImmutableString, role: ImmutableString, opts: &Map| -> RhaiResult<Map> {
            check_opts(opts, "iam::ensure_instance_profile", &["tags"])?;
            let tags = tags_opt(opts)?;
            let c = clients(&e)?;
            let r = call(
                &e,
                &c,
                iam::ensure_instance_profile(&e.ctx, &c, &name, &role, &tags),
            )?;
            let mut fields = Map::new();
            fields.insert("name".into(), name.clone().into());
            fields.insert("role".into(), role.into());
            fields.insert("arn".into(), planned_value(&r.arn));
            Ok(e.report("iam", "ensure_instance_profile", &name, &r.outcome, fields))
        },
    );
}
