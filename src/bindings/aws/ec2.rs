//! `ec2::` — an instance's instance profile.

use std::rc::Rc;

use rhai::{Dynamic, FuncRegistration, ImmutableString, Map, Module};

use super::{call, clients};
use crate::bindings::Env;
use crate::bindings::convert::{
    RhaiResult, check_opts, opt_bool, planned_str, planned_value, to_map_or_unit,
};
use crate::bindings::register::opts2;
use crate::host::aws::ec2;

pub fn module(env: &Rc<Env>) -> Module {
    let mut m = Module::new();

    let e = env.clone();
    FuncRegistration::new("instance_profile")
        .with_comments([
            "/// The instance's instance-profile association in force, or `()`:",
            "/// `#{id, instance_id, profile_arn, profile_name, state}`.",
        ])
        .with_params_info(["instance_id: &str", "Dynamic"])
        .set_into_module(&mut m, move |instance_id: &str| -> RhaiResult<Dynamic> {
            let c = clients(&e)?;
            to_map_or_unit(call(&e, &c, ec2::association(&c, instance_id))?.as_ref())
        });

    let e = env.clone();
    opts2(
        &mut m,
        "ensure_instance_profile",
        &[
            "/// Associates the instance profile (by name) with the instance; `ok` when it is.",
            "/// An instance with another profile is a `conflict` naming it, also in check mode,",
            "/// unless option `replace: true`, which replaces that association.",
            "/// Returns `#{instance_id, profile, status, changed}`.",
        ],
        &["instance_id: Dynamic", "profile: &str", "opts: Map", "Map"],
        move |instance_id: Dynamic, profile: ImmutableString, opts: &Map| -> RhaiResult<Map> {
            check_opts(opts, "ec2::ensure_instance_profile", &["replace"])?;
            let replace = opt_bool(opts, "replace")?.unwrap_or(false);
            let id = planned_str(&instance_id, "instance_id")?;
            let c = clients(&e)?;
            let outcome = call(
                &e,
                &c,
                ec2::ensure_association(&e.ctx, &c, &id, &profile, replace),
            )?;
            let mut fields = Map::new();
            fields.insert("instance_id".into(), planned_value(&id));
            fields.insert("profile".into(), profile.clone().into());
            let target = id.known().cloned().unwrap_or_default();
            Ok(e.report("ec2", "ensure_instance_profile", &target, &outcome, fields))
        },
    );

    let e = env.clone();
    FuncRegistration::new("remove_instance_profile")
        .with_comments([
            "/// Disassociates the instance profile (by name) from the instance; `ok` when the",
            "/// instance has none, `skipped` when it has another one (left alone).",
        ])
        .with_params_info(["instance_id: &str", "profile: &str", "Map"])
        .set_into_module(
            &mut m,
            move |instance_id: &str, profile: &str| -> RhaiResult<Map> {
                let c = clients(&e)?;
                let outcome = call(&e, &c, ec2::disassociate(&e.ctx, &c, instance_id, profile))?;
                let mut fields = Map::new();
                fields.insert("instance_id".into(), instance_id.into());
                fields.insert("profile".into(), profile.into());
                Ok(e.report(
                    "ec2",
                    "remove_instance_profile",
                    instance_id,
                    &outcome,
                    fields,
                ))
            },
        );
    m
}
