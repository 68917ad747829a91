//! `aws::`, `sts::`, `iam::`, `secrets::` — the AWS primitives for scripts.

use std::path::PathBuf;
use std::rc::Rc;

use rhai::{Array, Dynamic, FuncRegistration, Map, Module};

use super::Env;
use super::convert::{
    Arg, RhaiResult, check_opts, host_error, invalid, opt_str, str_or_unknown, string_list,
};
use crate::host::aws::iam::{self, Planned};
use crate::host::aws::secrets::{self, SecretOpts};
use crate::host::aws::{AwsSettings, Clients, policy, sts};
use crate::host::{Unknown, parse_duration};
use crate::report::Level;

fn clients(env: &Env) -> RhaiResult<Rc<Clients>> {
    let settings = env.aws.borrow().clone();
    env.block_on(env.aws_clients.clients(&settings))
        .map_err(host_error)
}

/// Runs an AWS call made with `c`; an `access_denied` error names the caller.
fn call<T>(
    env: &Env,
    c: &Clients,
    fut: impl std::future::Future<Output = crate::host::HostResult<T>>,
) -> RhaiResult<T> {
    env.block_on(async { sts::with_identity(c, fut.await).await })
        .map_err(host_error)
}

fn planned(p: &Planned<String>) -> Dynamic {
    match p {
        Planned::Known(s) => s.clone().into(),
        Planned::Unknown => Dynamic::from(Unknown),
    }
}

fn planned_arg(v: &Dynamic, what: &str) -> RhaiResult<Planned<String>> {
    Ok(match str_or_unknown(v, what)? {
        Arg::Known(s) => Planned::Known(s),
        Arg::Unknown => Planned::Unknown,
    })
}

fn warn_all(env: &Env, warnings: &[String]) {
    for w in warnings {
        env.reporter.message(Level::Warn, w);
    }
}

fn json_to_dynamic(v: &serde_json::Value) -> RhaiResult<Dynamic> {
    rhai::serde::to_dynamic(v)
}

/// A document given as a map (built in the script) or as JSON text.
fn document_arg(v: &Dynamic) -> RhaiResult<serde_json::Value> {
    if let Some(s) = v.read_lock::<rhai::ImmutableString>() {
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

// ---------------------------------------------------------------- aws::

pub fn aws_module(env: &Rc<Env>) -> Module {
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
            "/// chain resolves (`AWS_REGION`, the profile's `region`); `()` when none is configured.",
        ])
        .with_params_info(["Dynamic"])
        .set_into_module(&mut m, move || -> RhaiResult<Dynamic> {
            // A broken profile is an error that names it, not "no region".
            let c = clients(&e)?;
            Ok(c.config.region().map(|r| Dynamic::from(r.to_string())).unwrap_or(Dynamic::UNIT))
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
            let mut map = Map::new();
            let opt = |o: &Option<String>| o.clone().map(Dynamic::from).unwrap_or(Dynamic::UNIT);
            map.insert("profile".into(), opt(&s.profile));
            map.insert("region".into(), opt(&s.region));
            map
        });
    m
}

// ---------------------------------------------------------------- sts::

pub fn sts_module(env: &Rc<Env>) -> Module {
    let mut m = Module::new();
    let e = env.clone();
    FuncRegistration::new("whoami")
        .with_comments(["/// The caller's identity: `#{account, arn, user_id, partition}`."])
        .with_params_info(["Map"])
        .set_into_module(&mut m, move || -> RhaiResult<Map> {
            let c = clients(&e)?;
            let id = e.block_on(sts::whoami(&c)).map_err(host_error)?;
            let mut map = Map::new();
            map.insert("account".into(), id.account.into());
            map.insert("arn".into(), id.arn.into());
            map.insert("user_id".into(), id.user_id.into());
            map.insert("partition".into(), id.partition.into());
            Ok(map)
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
                ))
                .map_err(host_error)?;
            let mut map = Map::new();
            map.insert("account".into(), id.account.into());
            map.insert("arn".into(), id.arn.into());
            map.insert("user_id".into(), id.user_id.into());
            map.insert("partition".into(), id.partition.into());
            Ok(map.into())
        });
    m
}

// ---------------------------------------------------------------- iam::

fn policy_map(p: iam::PolicyInfo) -> RhaiResult<Map> {
    let mut map = Map::new();
    map.insert("arn".into(), p.arn.into());
    map.insert("name".into(), p.name.into());
    map.insert("path".into(), p.path.into());
    map.insert("default_version".into(), p.default_version.into());
    map.insert("attachment_count".into(), p.attachment_count.into());
    map.insert(
        "description".into(),
        p.description.map(Dynamic::from).unwrap_or(Dynamic::UNIT),
    );
    map.insert("document".into(), json_to_dynamic(&p.document)?);
    Ok(map)
}

fn ensure_policy(env: &Env, name: &str, document: &Dynamic, opts: &Map) -> RhaiResult<Map> {
    check_opts(opts, "iam::ensure_policy", &["path", "description"])?;
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
    fields.insert("arn".into(), planned(&r.arn));
    fields.insert("version".into(), planned(&r.version));
    Ok(env.report("iam", "ensure_policy", name, &r.outcome, fields))
}

fn ensure_user(env: &Env, name: &str, opts: &Map) -> RhaiResult<Map> {
    check_opts(opts, "iam::ensure_user", &["path", "tags"])?;
    let path = opt_str(opts, "path")?;
    let tags: Vec<(String, String)> = match opts.get("tags") {
        None => vec![],
        Some(t) if t.is_unit() => vec![],
        Some(t) => t
            .read_lock::<Map>()
            .ok_or_else(|| invalid("option 'tags' must be a map of strings"))?
            .iter()
            .map(|(k, v)| {
                v.clone()
                    .into_string()
                    .map(|v| (k.to_string(), v))
                    .map_err(|t| invalid(format!("tag '{k}' must be a string, not {t}")))
            })
            .collect::<RhaiResult<_>>()?,
    };
    let c = clients(env)?;
    let r = call(
        env,
        &c,
        iam::ensure_user(&env.ctx, &c, name, path.as_deref(), &tags),
    )?;
    warn_all(env, &r.warnings);
    let mut fields = Map::new();
    fields.insert("name".into(), name.into());
    fields.insert("arn".into(), planned(&r.arn));
    Ok(env.report("iam", "ensure_user", name, &r.outcome, fields))
}

pub fn iam_module(env: &Rc<Env>) -> Module {
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
            match call(&e, &c, iam::policy(&c, name_or_arn))? {
                Some(p) => Ok(policy_map(p)?.into()),
                None => Ok(Dynamic::UNIT),
            }
        });

    for with_opts in [false, true] {
        let e = env.clone();
        let comments = [
            "/// Makes the managed policy `name` have `document` (a map or JSON text) as its",
            "/// default version: creates it, reuses a matching older version, or adds a new",
            "/// version (deleting the oldest non-default one at AWS's limit of 5). Documents are",
            "/// compared by meaning, not text. Options: `path` (default `/`), `description`",
            "/// (a differing one is a warning: IAM cannot change it). Returns `#{arn, version, status, changed}`.",
            "///",
            "/// `iam::ensure_policy(\"read_secrets_policy\", iam::policy_document([\"secretsmanager:GetSecretValue\"], [\"*\"]))`",
        ];
        if with_opts {
            FuncRegistration::new("ensure_policy")
                .with_comments(comments)
                .with_params_info(["name: &str", "document: Dynamic", "opts: Map", "Map"])
                .set_into_module(
                    &mut m,
                    move |name: &str, document: Dynamic, opts: Map| -> RhaiResult<Map> {
                        ensure_policy(&e, name, &document, &opts)
                    },
                );
        } else {
            FuncRegistration::new("ensure_policy")
                .with_comments(comments)
                .with_params_info(["name: &str", "document: Dynamic", "Map"])
                .set_into_module(
                    &mut m,
                    move |name: &str, document: Dynamic| -> RhaiResult<Map> {
                        ensure_policy(&e, name, &document, &Map::new())
                    },
                );
        }
    }

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
            json_to_dynamic(&doc)
        });

    let e = env.clone();
    FuncRegistration::new("user")
        .with_comments(["/// The IAM user, or `()`: `#{name, arn, user_id, path, created}`."])
        .with_params_info(["name: &str", "Map"])
        .set_into_module(&mut m, move |name: &str| -> RhaiResult<Dynamic> {
            let c = clients(&e)?;
            Ok(match call(&e, &c, iam::user(&c, name))? {
                Some(u) => {
                    let mut map = Map::new();
                    map.insert("name".into(), u.name.into());
                    map.insert("arn".into(), u.arn.into());
                    map.insert("user_id".into(), u.user_id.into());
                    map.insert("path".into(), u.path.into());
                    map.insert("created".into(), u.created.into());
                    map.into()
                }
                None => Dynamic::UNIT,
            })
        });

    let ensure_user_doc = [
        "/// Creates the IAM user when missing and sets the given tags (others are kept).",
        "/// Options: `path`, `tags` (a map). Returns `#{name, arn, status, changed}`.",
    ];
    let e = env.clone();
    FuncRegistration::new("ensure_user")
        .with_comments(ensure_user_doc)
        .with_params_info(["name: &str", "Map"])
        .set_into_module(&mut m, move |name: &str| -> RhaiResult<Map> {
            ensure_user(&e, name, &Map::new())
        });
    let e = env.clone();
    FuncRegistration::new("ensure_user")
        .with_comments(ensure_user_doc)
        .with_params_info(["name: &str", "opts: Map", "Map"])
        .set_into_module(&mut m, move |name: &str, opts: Map| -> RhaiResult<Map> {
            ensure_user(&e, name, &opts)
        });

    let e = env.clone();
    FuncRegistration::new("ensure_user_policy")
        .with_comments([
            "/// Attaches the managed policy to the user; `ok` when already attached.",
            "/// In check mode an unknown ARN (a policy still to be created) plans the attachment.",
        ])
        .with_params_info(["user: &str", "policy_arn: Dynamic", "Map"])
        .set_into_module(&mut m, move |user: &str, arn: Dynamic| -> RhaiResult<Map> {
            let arn = planned_arg(&arn, "policy_arn")?;
            let c = clients(&e)?;
            let outcome = call(&e, &c, iam::ensure_user_policy(&e.ctx, &c, user, &arn))?;
            let mut fields = Map::new();
            fields.insert("user".into(), user.into());
            fields.insert("policy_arn".into(), planned(&arn));
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
            let arns = call(&e, &c, iam::user_policies(&c, user))?;
            Ok(match arns {
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
            Ok(keys
                .into_iter()
                .map(|k| {
                    let mut map = Map::new();
                    map.insert("id".into(), k.id.clone().into());
                    map.insert("status".into(), k.status.clone().into());
                    map.insert("created".into(), k.created.clone().into());
                    Dynamic::from(map)
                })
                .collect())
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
            fields.insert("id".into(), planned(&k.id));
            fields.insert(
                "secret".into(),
                match k.secret {
                    Some(s) => Dynamic::from(s),
                    None => Dynamic::from(Unknown),
                },
            );
            Ok(e.report("iam", "create_access_key", user, &k.outcome, fields))
        });

    type KeyOp = for<'a> fn(
        &'a crate::host::Ctx,
        &'a Clients,
        &'a str,
        &'a Planned<String>,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = crate::host::HostResult<crate::host::Outcome>> + 'a>,
    >;
    let ops: [(&str, &str, KeyOp); 2] = [
        (
            "deactivate_access_key",
            "/// Makes the user's access key inactive; `ok` when it already is or is gone.",
            |ctx, c, u, id| Box::pin(iam::deactivate_access_key(ctx, c, u, id)),
        ),
        (
            "delete_access_key",
            "/// Deletes the user's access key; `ok` when it no longer exists.",
            |ctx, c, u, id| Box::pin(iam::delete_access_key(ctx, c, u, id)),
        ),
    ];
    for (name, doc, op) in ops {
        let e = env.clone();
        FuncRegistration::new(name)
            .with_comments([doc])
            .with_params_info(["user: &str", "id: Dynamic", "Map"])
            .set_into_module(&mut m, move |user: &str, id: Dynamic| -> RhaiResult<Map> {
                let id = planned_arg(&id, "id")?;
                let c = clients(&e)?;
                let outcome = call(&e, &c, op(&e.ctx, &c, user, &id))?;
                let mut fields = Map::new();
                fields.insert("user".into(), user.into());
                fields.insert("id".into(), planned(&id));
                Ok(e.report("iam", name, user, &outcome, fields))
            });
    }
    m
}

// ---------------------------------------------------------------- secrets::

fn secret_opts(opts: &Map, function: &str) -> RhaiResult<SecretOpts> {
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

/// A verification skipped in check mode: reported, and an `Unknown` returned.
fn skip_verification(env: &Env, what: &str) -> Dynamic {
    env.reporter.message(
        Level::Info,
        &format!("{what}: skipped (check mode): the credentials may not exist yet"),
    );
    Dynamic::from(Unknown)
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
    let Some(i) = info else {
        return Ok(Dynamic::UNIT);
    };
    let opt = |o: Option<String>| o.map(Dynamic::from).unwrap_or(Dynamic::UNIT);
    let mut map = Map::new();
    map.insert("arn".into(), i.arn.into());
    map.insert("name".into(), i.name.into());
    map.insert("description".into(), opt(i.description));
    map.insert("kms_key_id".into(), opt(i.kms_key_id));
    map.insert("created".into(), opt(i.created));
    map.insert("last_changed".into(), opt(i.last_changed));
    map.insert("rotation_enabled".into(), i.rotation_enabled.into());
    Ok(map.into())
}

pub fn secrets_module(env: &Rc<Env>) -> Module {
    let mut m = Module::new();
    let get_doc = [
        "/// The secret's value as a `Secret`, read in the secret's region (`region` option,",
        "/// else the region in an ARN, else the configured one). With `profile` and/or",
        "/// `credentials_file` it authenticates with that profile from that file only, to prove",
        "/// freshly written credentials work, retrying `access_denied` for `wait` (default \"60s\")",
        "/// while IAM propagates a new key; that verification is skipped in check mode (an `Unknown`).",
        "///",
        "/// `secrets::get_value(\"db\", #{profile: \"alation_auth\", credentials_file: path})`",
    ];
    let e = env.clone();
    FuncRegistration::new("get_value")
        .with_comments(get_doc)
        .with_params_info(["id: &str", "Secret"])
        .set_into_module(&mut m, move |id: &str| get_value(&e, id, &Map::new()));
    let e = env.clone();
    FuncRegistration::new("get_value")
        .with_comments(get_doc)
        .with_params_info(["id: &str", "opts: Map", "Secret"])
        .set_into_module(&mut m, move |id: &str, opts: Map| get_value(&e, id, &opts));

    let describe_doc = [
        "/// The secret's metadata without its value, or `()`: `#{arn, name, description,",
        "/// kms_key_id, created, last_changed, rotation_enabled}`. Options as for `get_value`.",
    ];
    let e = env.clone();
    FuncRegistration::new("describe")
        .with_comments(describe_doc)
        .with_params_info(["id: &str", "Map"])
        .set_into_module(&mut m, move |id: &str| describe(&e, id, &Map::new()));
    let e = env.clone();
    FuncRegistration::new("describe")
        .with_comments(describe_doc)
        .with_params_info(["id: &str", "opts: Map", "Map"])
        .set_into_module(&mut m, move |id: &str, opts: Map| describe(&e, id, &opts));
    m
}
