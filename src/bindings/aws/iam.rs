//! `iam::` — managed policies, users, their attachments and access keys.

use std::rc::Rc;

use rhai::{Array, Dynamic, FuncRegistration, ImmutableString, Map, Module};

use super::{call, clients, warn_all};
use crate::bindings::Env;
use crate::bindings::convert::{
    RhaiResult, check_opts, host_error, invalid, opt_str, planned_str, planned_value, string_list,
    to_map, to_map_or_unit,
};
use crate::bindings::register::{opts1, opts2};
use crate::host::aws::{Clients, iam, policy};
use crate::host::{Ctx, HostResult, Outcome, Planned, Unknown};
use crate::runtime::params::Check;

/// A document given as a map (built in the script) or as JSON text.
pub(super) fn document_arg(v: &Dynamic) -> RhaiResult<serde_json::Value> {
    if let Some(s) = v.read_lock::<ImmutableString>() {
        return policy::parse(&s).map_err(host_error);
    }
    if v.is_map() {
        return rhai::serde::from_dynamic(v).map_err(|e| invalid(format!("policy document: {e}")));
    }
    Err(invalid(format!(
        "policy document must be a map or JSON text, not {}",
        v.type_name()
    )))
}

/// A name IAM would refuse, refused before any call (an emulator may take it).
fn check_name(function: &str, check: Check, name: &str) -> RhaiResult<()> {
    check
        .check(name)
        .map_err(|m| invalid(format!("{function}: {m}")))
}

fn ensure_policy(env: &Env, name: &str, document: &Dynamic, opts: &Map) -> RhaiResult<Map> {
    check_opts(opts, "iam::ensure_policy", &["path", "description"])?;
    check_name("iam::ensure_policy", Check::IamPolicyName, name)?;
    let doc = document_arg(document)?;
    let path = opt_str(opts, "path")?.unwrap_or_else(|| "/".into());
    let description = opt_str(opts, "description")?;
    let c = clients(env)?;
    let r = call(
        env,
        &c,
        iam::ensure_policy(&env.ctx, &c, name, &doc, &path, description.as_deref()),
    )?;
    warn_all(env, &r.warnings);
    let mut fields = Map::new();
    fields.insert("arn".into(), planned_value(&r.arn));
    fields.insert("version".into(), planned_value(&r.version));
    Ok(env.report("iam", "ensure_policy", name, &r.outcome, fields))
}

pub(super) fn tags_opt(opts: &Map) -> RhaiResult<Vec<(String, String)>> {
    let Some(t) = opts.get("tags").filter(|t| !t.is_unit()) else {
        return Ok(vec![]);
    };
    t.read_lock::<Map>()
        .ok_or_else(|| invalid("option 'tags' must be a map of strings"))?
        .iter()
        .map(|(k, v)| {
            v.clone()
                .into_string()
                .map(|v| (k.to_string(), v))
                .map_err(|t| invalid(format!("tag '{k}' must be a string, not {t}")))
        })
        .collect()
}

fn ensure_user(env: &Env, name: &str, opts: &Map) -> RhaiResult<Map> {
    check_opts(opts, "iam::ensure_user", &["path", "tags"])?;
    check_name("iam::ensure_user", Check::IamUserName, name)?;
    let path = opt_str(opts, "path")?;
    let tags = tags_opt(opts)?;
    let c = clients(env)?;
    let r = call(
        env,
        &c,
        iam::ensure_user(&env.ctx, &c, name, path.as_deref(), &tags),
    )?;
    warn_all(env, &r.warnings);
    let mut fields = Map::new();
    fields.insert("name".into(), name.into());
    fields.insert("arn".into(), planned_value(&r.arn));
    Ok(env.report("iam", "ensure_user", name, &r.outcome, fields))
}

type KeyOp = for<'a> fn(
    &'a Ctx,
    &'a Clients,
    &'a str,
    &'a Planned<String>,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = HostResult<Outcome>> + 'a>,
>;

/// Registers an operation on one of a user's keys (the id may be known only after apply).
fn key_op(m: &mut Module, env: &Rc<Env>, name: &'static str, doc: &'static str, op: KeyOp) {
    let e = env.clone();
    FuncRegistration::new(name)
        .with_comments([doc])
        .with_params_info(["user: &str", "id: Dynamic", "Map"])
        .set_into_module(m, move |user: &str, id: Dynamic| -> RhaiResult<Map> {
            let id = planned_str(&id, "id")?;
            let c = clients(&e)?;
            let outcome = call(&e, &c, op(&e.ctx, &c, user, &id))?;
            let mut fields = Map::new();
            fields.insert("user".into(), user.into());
            fields.insert("id".into(), planned_value(&id));
            Ok(e.report("iam", name, user, &outcome, fields))
        });
}

pub fn module(env: &Rc<Env>) -> Module {
    let mut m = Module::new();

    let e = env.clone();
    FuncRegistration::new("policy")
        .with_comments([
            "/// The customer-managed policy with this name (path `/`) or ARN, or `()`:",
            "/// `#{arn, name, path, default_version, attachment_count, description, document}`.",
            "/// Looked up by ARN from the caller's account, never by listing all policies.",
        ])
        .with_params_info(["name_or_arn: &str", "Map"])
        .set_into_module(&mut m, move |name_or_arn: &str| -> RhaiResult<Dynamic> {
            let c = clients(&e)?;
            to_map_or_unit(call(&e, &c, iam::policy(&c, name_or_arn))?.as_ref())
        });

    let e = env.clone();
    opts2(
        &mut m,
        "ensure_policy",
        &[
            "/// Makes the managed policy `name` have `document` (a map or JSON text) as its",
            "/// default version: creates it, reuses a matching older version, or adds a new",
            "/// version (deleting the oldest non-default one at AWS's limit of 5). Documents are",
            "/// compared by meaning, not text. Options: `path` (default `/`), `description`",
            "/// (a differing one is a warning: IAM cannot change it). Returns `#{arn, version, status, changed}`.",
            "///",
            "/// `iam::ensure_policy(\"read_secrets_policy\", iam::policy_document([\"secretsmanager:GetSecretValue\"], [\"*\"]))`",
        ],
        &["name: &str", "document: Dynamic", "opts: Map", "Map"],
        move |name: ImmutableString, document: Dynamic, opts: &Map| {
            ensure_policy(&e, &name, &document, opts)
        },
    );

    FuncRegistration::new("policy_document")
        .with_comments([
            "/// A policy document allowing `actions` on `resources` (each `*` or a Secrets",
            "/// Manager secret ARN `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>`).",
            "///",
            "/// `iam::policy_document([\"secretsmanager:GetSecretValue\"], [\"*\"])`",
        ])
        .with_params_info(["actions: Dynamic", "resources: Dynamic", "Map"])
        .set_into_module(&mut m, |actions: Dynamic, resources: Dynamic| -> RhaiResult<Dynamic> {
            let actions = string_list(&actions, "actions")?;
            let resources = string_list(&resources, "resources")?;
            let doc = policy::document(&actions, &resources).map_err(host_error)?;
            rhai::serde::to_dynamic(&doc)
        });

    FuncRegistration::new("allows")
        .with_comments([
            "/// True when the policy `document` (a map such as `iam::policy(name).document`, or JSON",
            "/// text) allows `action` on every one of `resources` (a string or a list): an `Allow`",
            "/// statement covers the action and the resource, and no `Deny` statement may apply.",
            "/// `Action`/`NotAction` and `Resource`/`NotResource` may use `*` and `?`; actions match",
            "/// without regard to case. Conditions are not evaluated: an `Allow` with a `Condition`",
            "/// does not count, a `Deny` with one does. A resource asked about may be a pattern: `*`",
            "/// needs a statement on every resource, and a `Deny` on one secret means `*` is not",
            "/// allowed. Only this document is read: no other policies, boundaries or SCPs.",
            "///",
            "/// `iam::allows(iam::policy(\"read_secrets_policy\").document, \"secretsmanager:GetSecretValue\", \"*\")`",
        ])
        .with_params_info(["document: Dynamic", "action: &str", "resources: Dynamic", "bool"])
        .set_into_module(
            &mut m,
            |document: Dynamic, action: &str, resources: Dynamic| -> RhaiResult<bool> {
                let doc = document_arg(&document)?;
                let resources = string_list(&resources, "resources")?;
                policy::allows(&doc, action, &resources).map_err(host_error)
            },
        );

    let e = env.clone();
    FuncRegistration::new("user")
        .with_comments(["/// The IAM user, or `()`: `#{name, arn, user_id, path, created}`."])
        .with_params_info(["name: &str", "Map"])
        .set_into_module(&mut m, move |name: &str| -> RhaiResult<Dynamic> {
            let c = clients(&e)?;
            to_map_or_unit(call(&e, &c, iam::user(&c, name))?.as_ref())
        });

    let e = env.clone();
    opts1(
        &mut m,
        "ensure_user",
        &[
            "/// Creates the IAM user when missing and sets the given tags (others are kept).",
            "/// Options: `path`, `tags` (a map). Returns `#{name, arn, status, changed}`.",
        ],
        &["name: &str", "opts: Map", "Map"],
        move |name: ImmutableString, opts: &Map| ensure_user(&e, &name, opts),
    );

    let e = env.clone();
    FuncRegistration::new("ensure_user_policy")
        .with_comments([
            "/// Attaches the managed policy to the user; `ok` when already attached.",
            "/// In check mode an unknown ARN (a policy still to be created) plans the attachment.",
        ])
        .with_params_info(["user: &str", "policy_arn: Dynamic", "Map"])
        .set_into_module(&mut m, move |user: &str, arn: Dynamic| -> RhaiResult<Map> {
            let arn = planned_str(&arn, "policy_arn")?;
            let c = clients(&e)?;
            let outcome = call(&e, &c, iam::ensure_user_policy(&e.ctx, &c, user, &arn))?;
            let mut fields = Map::new();
            fields.insert("user".into(), user.into());
            fields.insert("policy_arn".into(), planned_value(&arn));
            Ok(e.report("iam", "ensure_user_policy", user, &outcome, fields))
        });

    let e = env.clone();
    FuncRegistration::new("user_policies")
        .with_comments([
            "/// The ARNs of the managed policies attached to the user, or `()` when there is",
            "/// no such user. A read (also in check mode); inline policies are not listed.",
            "///",
            "/// `iam::user_policies(\"alation-agent-host1\").contains(iam::policy(\"read_secrets_policy\").arn)`",
        ])
        .with_params_info(["user: &str", "Dynamic"])
        .set_into_module(&mut m, move |user: &str| -> RhaiResult<Dynamic> {
            let c = clients(&e)?;
            Ok(match call(&e, &c, iam::user_policies(&c, user))? {
                Some(arns) => arns.into_iter().map(Dynamic::from).collect::<Array>().into(),
                None => Dynamic::UNIT,
            })
        });

    let e = env.clone();
    FuncRegistration::new("access_keys")
        .with_comments([
            "/// The user's access keys, oldest first: `[#{id, status, created}]`.",
            "/// In check mode a user still to be created has none.",
        ])
        .with_params_info(["user: &str", "Array"])
        .set_into_module(&mut m, move |user: &str| -> RhaiResult<Array> {
            let c = clients(&e)?;
            let keys = call(&e, &c, iam::access_keys(&e.ctx, &c, user))?;
            keys.iter().map(|k| to_map(k).map(Dynamic::from)).collect()
        });

    let e = env.clone();
    FuncRegistration::new("create_access_key")
        .with_comments([
            "/// Creates an access key: `#{id, secret, status, changed}` with `secret` a `Secret`,",
            "/// shown by AWS only now. Refused with `limit_exceeded` when the user has 2 keys",
            "/// (rotate with `runbook run alation-agent/rotate-access-key`, or delete an unused key).",
        ])
        .with_params_info(["user: &str", "Map"])
        .set_into_module(&mut m, move |user: &str| -> RhaiResult<Map> {
            let c = clients(&e)?;
            let k = call(&e, &c, iam::create_access_key(&e.ctx, &c, user))?;
            let mut fields = Map::new();
            fields.insert("user".into(), user.into());
            fields.insert("id".into(), planned_value(&k.id));
            let secret = k.secret.map_or_else(|| Dynamic::from(Unknown), Dynamic::from);
            fields.insert("secret".into(), secret);
            Ok(e.report("iam", "create_access_key", user, &k.outcome, fields))
        });

    key_op(
        &mut m,
        env,
        "deactivate_access_key",
        "/// Makes the user's access key inactive; `ok` when it already is or is gone.",
        |ctx, c, u, id| Box::pin(iam::deactivate_access_key(ctx, c, u, id)),
    );
    key_op(
        &mut m,
        env,
        "delete_access_key",
        "/// Deletes the user's access key; `ok` when it no longer exists.",
        |ctx, c, u, id| Box::pin(iam::delete_access_key(ctx, c, u, id)),
    );
    super::roles::register(&mut m, env);
    super::retire::register(&mut m, env);
    m
}
