//! `iam::` detach and delete functions for decommissioning, registered into
//! the `iam` module. What must stay is reported `skipped` with the reason.

use std::rc::Rc;

use rhai::{FuncRegistration, ImmutableString, Map, Module};

use super::{call, clients};
use crate::bindings::Env;
use crate::bindings::convert::{RhaiResult, check_opts, opt_str, string_list};
use crate::bindings::register::opts1;
use crate::host::aws::iam::retire;

fn list_opt(opts: &Map, key: &str) -> RhaiResult<Vec<String>> {
    match opts.get(key).filter(|v| !v.is_unit()) {
        Some(v) => string_list(v, key),
        None => Ok(vec![]),
    }
}

fn fields(pairs: &[(&str, &str)]) -> Map {
    pairs
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect()
}

pub fn register(m: &mut Module, env: &Rc<Env>) {
    let e = env.clone();
    FuncRegistration::new("detach_user_policy")
        .with_comments(["/// Detaches the managed policy from the user; `ok` when it is not attached or there is no user."])
        .with_params_info(["user: &str", "policy_arn: &str", "Map"])
        .set_into_module(m, move |user: &str, arn: &str| -> RhaiResult<Map> {
            let c = clients(&e)?;
            let o = call(&e, &c, retire::detach_user_policy(&e.ctx, &c, user, arn))?;
            Ok(e.report("iam", "detach_user_policy", user, &o, fields(&[("user", user), ("policy_arn", arn)])))
        });

    let e = env.clone();
    FuncRegistration::new("detach_role_policy")
        .with_comments(["/// Detaches the managed policy from the role; `ok` when it is not attached or there is no role."])
        .with_params_info(["role: &str", "policy_arn: &str", "Map"])
        .set_into_module(m, move |role: &str, arn: &str| -> RhaiResult<Map> {
            let c = clients(&e)?;
            let o = call(&e, &c, retire::detach_role_policy(&e.ctx, &c, role, arn))?;
            Ok(e.report("iam", "detach_role_policy", role, &o, fields(&[("role", role), ("policy_arn", arn)])))
        });

    let e = env.clone();
    opts1(
        m,
        "delete_user",
        &[
            "/// Deletes the IAM user only when it is tagged `managed-by=runbook` and has no access",
            "/// keys, managed or inline policies, or groups; otherwise `skipped`, saying why it stays.",
            "/// Options `keys` and `policies`: what earlier steps of this run remove, so check mode",
            "/// plans as if they were gone. `ok` when there is no such user.",
        ],
        &["name: &str", "opts: Map", "Map"],
        move |name: ImmutableString, opts: &Map| -> RhaiResult<Map> {
            check_opts(opts, "iam::delete_user", &["keys", "policies"])?;
            let (keys, policies) = (list_opt(opts, "keys")?, list_opt(opts, "policies")?);
            let c = clients(&e)?;
            let o = call(
                &e,
                &c,
                retire::delete_user(&e.ctx, &c, &name, &keys, &policies),
            )?;
            Ok(e.report("iam", "delete_user", &name, &o, fields(&[("name", &name)])))
        },
    );

    let e = env.clone();
    opts1(
        m,
        "delete_role",
        &[
            "/// Deletes the IAM role only when it is tagged `managed-by=runbook` and has no managed",
            "/// or inline policies and is in no instance profile; otherwise `skipped`, saying why.",
            "/// Options `policies` and `instance_profile`: what earlier steps of this run remove.",
        ],
        &["name: &str", "opts: Map", "Map"],
        move |name: ImmutableString, opts: &Map| -> RhaiResult<Map> {
            check_opts(opts, "iam::delete_role", &["policies", "instance_profile"])?;
            let policies = list_opt(opts, "policies")?;
            let profile = opt_str(opts, "instance_profile")?;
            let c = clients(&e)?;
            let o = call(
                &e,
                &c,
                retire::delete_role(&e.ctx, &c, &name, &policies, profile.as_deref()),
            )?;
            Ok(e.report("iam", "delete_role", &name, &o, fields(&[("name", &name)])))
        },
    );

    let e = env.clone();
    FuncRegistration::new("delete_instance_profile")
        .with_comments([
            "/// Removes `role` from the instance profile and deletes it, only when it is tagged",
            "/// `managed-by=runbook` and holds no other role; otherwise `skipped`, saying why.",
        ])
        .with_params_info(["name: &str", "role: &str", "Map"])
        .set_into_module(m, move |name: &str, role: &str| -> RhaiResult<Map> {
            let c = clients(&e)?;
            let o = call(
                &e,
                &c,
                retire::delete_instance_profile(&e.ctx, &c, name, role),
            )?;
            Ok(e.report(
                "iam",
                "delete_instance_profile",
                name,
                &o,
                fields(&[("name", name), ("role", role)]),
            ))
        });

    let e = env.clone();
    opts1(
        m,
        "delete_policy",
        &[
            "/// Deletes the managed policy (its other versions first) only when no user, group or",
            "/// role uses it (ListEntitiesForPolicy); otherwise `skipped`, naming them. Option",
            "/// `detached_from`: entities (`\"user NAME\"`, `\"role NAME\"`) earlier steps detach it from.",
        ],
        &["policy_arn: &str", "opts: Map", "Map"],
        move |arn: ImmutableString, opts: &Map| -> RhaiResult<Map> {
            check_opts(opts, "iam::delete_policy", &["detached_from"])?;
            let gone = list_opt(opts, "detached_from")?;
            let c = clients(&e)?;
            let o = call(&e, &c, retire::delete_policy(&e.ctx, &c, &arn, &gone))?;
            Ok(e.report(
                "iam",
                "delete_policy",
                &arn,
                &o,
                fields(&[("policy_arn", &arn)]),
            ))
        },
    );
}
