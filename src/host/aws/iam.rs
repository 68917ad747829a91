//! `iam`: managed policies, users, their attachments and access keys.
//!
//! Each operation reads the current state just before it acts, plans, and
//! mutates only in apply mode. In check mode what would be created is
//! [`Planned::Unknown`], so planning continues past it.

use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::primitives::{DateTime, DateTimeFormat};
use aws_sdk_iam::types::{StatusType, Tag};
use serde::Serialize;
use serde_json::Value;

use super::config::Clients;
use super::error::sdk_error;
use super::policy::{self, PolicyVersion, VersionPlan};
use super::sts::{Identity, whoami};
pub use crate::host::Planned;
use crate::host::{Ctx, ErrorKind, HostError, HostResult, Outcome, deferred_change};
use crate::secret::Secret;

/// Where to send an operator whose user already holds two keys.
pub const ROTATE_ADVICE: &str = "rotate the key with `runbook run alation-agent/rotate-access-key`, \
     or deactivate and delete a key that is no longer used (iam::delete_access_key(user, id))";

fn fail<E>(clients: &Clients, action: &str, e: SdkError<E, HttpResponse>) -> HostError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    sdk_error(action, clients.known_identity().as_deref(), e)
}

fn is_not_found(e: &HostError) -> bool {
    e.kind == ErrorKind::NotFound
}

pub fn timestamp(d: &DateTime) -> String {
    d.fmt(DateTimeFormat::DateTime).unwrap_or_default()
}

/// `/`, or `/a/b/`: IAM paths start and end with a slash.
fn check_path(path: &str) -> HostResult<()> {
    if path == "/" || (path.starts_with('/') && path.ends_with('/') && !path.contains("//")) {
        Ok(())
    } else {
        Err(HostError::invalid(format!(
            "IAM path '{path}' is not valid: it must start and end with '/', e.g. \"/\" or \"/alation/\""
        )))
    }
}

/// `arn:<partition>:iam::<account>:policy<path><name>`, from the caller's identity.
pub fn policy_arn(identity: &Identity, path: &str, name: &str) -> String {
    format!(
        "arn:{}:iam::{}:policy{path}{name}",
        identity.partition, identity.account
    )
}

// ---------------------------------------------------------------- policies

/// A managed policy and its default version's document.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PolicyInfo {
    pub arn: String,
    pub name: String,
    pub path: String,
    pub default_version: String,
    pub attachment_count: i64,
    pub description: Option<String>,
    pub document: Value,
}

/// The policy named `name_or_arn` (a name means path `/` in the caller's
/// account), or `None`. Never lists all policies.
pub async fn policy(clients: &Clients, name_or_arn: &str) -> HostResult<Option<PolicyInfo>> {
    let arn = if name_or_arn.starts_with("arn:") {
        name_or_arn.to_string()
    } else {
        policy_arn(&whoami(clients).await?, "/", name_or_arn)
    };
    policy_by_arn(clients, &arn).await
}

async fn policy_by_arn(clients: &Clients, arn: &str) -> HostResult<Option<PolicyInfo>> {
    let p = match clients.iam.get_policy().policy_arn(arn).send().await {
        Ok(out) => out
            .policy
            .ok_or_else(|| HostError::failed("GetPolicy returned no policy"))?,
        Err(e) => {
            let e = fail(clients, "iam:GetPolicy", e);
            return if is_not_found(&e) { Ok(None) } else { Err(e) };
        }
    };
    let default_version = p.default_version_id().unwrap_or("v1").to_string();
    let document = version_document(clients, arn, &default_version).await?;
    Ok(Some(PolicyInfo {
        arn: p.arn().unwrap_or(arn).to_string(),
        name: p.policy_name().unwrap_or_default().to_string(),
        path: p.path().unwrap_or("/").to_string(),
        default_version,
        attachment_count: p.attachment_count().unwrap_or(0).into(),
        description: p.description().map(str::to_string),
        document,
    }))
}

async fn version_document(clients: &Clients, arn: &str, version: &str) -> HostResult<Value> {
    let out = clients
        .iam
        .get_policy_version()
        .policy_arn(arn)
        .version_id(version)
        .send()
        .await
        .map_err(|e| fail(clients, "iam:GetPolicyVersion", e))?;
    let text = out
        .policy_version()
        .and_then(|v| v.document())
        .ok_or_else(|| {
            HostError::failed(format!("policy {arn} version {version} has no document"))
        })?;
    policy::parse(text)
}

/// What `ensure_policy` did or would do.
#[derive(Clone, Debug, PartialEq)]
pub struct EnsuredPolicy {
    pub arn: Planned<String>,
    pub version: Planned<String>,
    pub outcome: Outcome,
    /// Differences that are reported but not changed (the description).
    pub warnings: Vec<String>,
}

/// Makes the managed policy `name` under `path` have `document` as its
/// default version.
pub async fn ensure_policy(
    ctx: &Ctx,
    clients: &Clients,
    name: &str,
    document: &Value,
    path: &str,
    description: Option<&str>,
) -> HostResult<EnsuredPolicy> {
    check_path(path)?;
    let identity = whoami(clients).await?;
    let arn = policy_arn(&identity, path, name);
    let text = document.to_string();
    let Some(current) = policy_by_arn(clients, &arn).await? else {
        if ctx.mode.is_check() {
            return Ok(EnsuredPolicy {
                arn: Planned::Unknown,
                version: Planned::Unknown,
                outcome: Outcome::change(ctx.mode, format!("create policy {name}")),
                warnings: vec![],
            });
        }
        let out = clients
            .iam
            .create_policy()
            .policy_name(name)
            .path(path)
            .policy_document(&text)
            .set_description(description.map(str::to_string))
            .send()
            .await
            .map_err(|e| {
                let e = fail(clients, "iam:CreatePolicy", e);
                // Policy names are unique per account whatever the path.
                if e.kind == ErrorKind::Conflict {
                    HostError::new(
                        ErrorKind::Conflict,
                        format!(
                            "a policy named {name} already exists under another path than {path}"
                        ),
                    )
                    .with_hint("use that policy's path (opts.path), or choose another policy name")
                } else {
                    e
                }
            })?;
        let p = out
            .policy
            .unwrap_or_else(|| aws_sdk_iam::types::Policy::builder().build());
        return Ok(EnsuredPolicy {
            arn: Planned::Known(p.arn().unwrap_or(&arn).to_string()),
            version: Planned::Known(p.default_version_id().unwrap_or("v1").to_string()),
            outcome: Outcome::change(ctx.mode, format!("created policy {name}"))
                .with_diff(ctx.diff.then(|| diff(None, document))),
            warnings: vec![],
        });
    };

    let mut warnings = vec![];
    if let Some(d) = description {
        if current.description.as_deref().unwrap_or("") != d {
            warnings.push(format!(
                "policy {name} has the description {:?}, not {d:?}; IAM cannot change a policy's \
                 description (recreate the policy to change it)",
                current.description.as_deref().unwrap_or("")
            ));
        }
    }
    let known = |version: String, outcome| EnsuredPolicy {
        arn: Planned::Known(arn.clone()),
        version: Planned::Known(version),
        outcome,
        warnings: warnings.clone(),
    };
    if policy::same(&current.document, document) {
        return Ok(known(
            current.default_version.clone(),
            Outcome::ok(format!(
                "policy {name} is up to date ({})",
                current.default_version
            )),
        ));
    }

    let listed = clients
        .iam
        .list_policy_versions()
        .policy_arn(&arn)
        .send()
        .await
        .map_err(|e| fail(clients, "iam:ListPolicyVersions", e))?;
    let versions: Vec<PolicyVersion> = listed
        .versions()
        .iter()
        .map(|v| PolicyVersion {
            id: v.version_id().unwrap_or_default().to_string(),
            is_default: v.is_default_version(),
            created: v.create_date().map(DateTime::secs).unwrap_or(0),
        })
        .collect();
    let mut matching = None;
    for v in versions.iter().filter(|v| !v.is_default) {
        if policy::same(&version_document(clients, &arn, &v.id).await?, document) {
            matching = Some(v.id.clone());
            break;
        }
    }
    let the_diff = ctx.diff.then(|| diff(Some(&current.document), document));
    match policy::plan_versions(&versions, matching.as_deref()) {
        VersionPlan::Keep => Ok(known(
            current.default_version.clone(),
            Outcome::ok(format!("policy {name} is up to date")),
        )),
        VersionPlan::SetDefault(id) => {
            if ctx.mode.is_apply() {
                clients
                    .iam
                    .set_default_policy_version()
                    .policy_arn(&arn)
                    .version_id(&id)
                    .send()
                    .await
                    .map_err(|e| fail(clients, "iam:SetDefaultPolicyVersion", e))?;
            }
            let summary = format!(
                "policy {name}: default version {} -> existing {id}",
                current.default_version
            );
            Ok(known(
                id,
                Outcome::change(ctx.mode, summary).with_diff(the_diff),
            ))
        }
        VersionPlan::Create { delete_first } => {
            let pruned = delete_first
                .as_ref()
                .map(|d| format!(", deleting the oldest version {d} (5 is the limit)"))
                .unwrap_or_default();
            let summary = format!("policy {name}: new default version{pruned}");
            if ctx.mode.is_check() {
                return Ok(EnsuredPolicy {
                    arn: Planned::Known(arn.clone()),
                    version: Planned::Unknown,
                    outcome: Outcome::change(ctx.mode, summary).with_diff(the_diff),
                    warnings,
                });
            }
            if let Some(old) = &delete_first {
                clients
                    .iam
                    .delete_policy_version()
                    .policy_arn(&arn)
                    .version_id(old)
                    .send()
                    .await
                    .map_err(|e| fail(clients, "iam:DeletePolicyVersion", e))?;
            }
            let out = clients
                .iam
                .create_policy_version()
                .policy_arn(&arn)
                .policy_document(&text)
                .set_as_default(true)
                .send()
                .await
                .map_err(|e| {
                    let e = fail(clients, "iam:CreatePolicyVersion", e);
                    if e.kind == ErrorKind::LimitExceeded {
                        e.with_hint("a policy keeps at most 5 versions: delete an unused one")
                    } else {
                        e
                    }
                })?;
            let id = out
                .policy_version()
                .and_then(|v| v.version_id())
                .unwrap_or_default()
                .to_string();
            Ok(known(
                id,
                Outcome::change(ctx.mode, summary).with_diff(the_diff),
            ))
        }
    }
}

/// A before/after view of two documents for `--diff`.
fn diff(before: Option<&Value>, after: &Value) -> String {
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
    let mut out = String::new();
    if let Some(b) = before {
        for line in pretty(b).lines() {
            out.push_str(&format!("-{line}\n"));
        }
    }
    for line in pretty(after).lines() {
        out.push_str(&format!("+{line}\n"));
    }
    out
}

// ------------------------------------------------------------------- users

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserInfo {
    pub name: String,
    pub arn: String,
    pub user_id: String,
    pub path: String,
    pub created: String,
}

/// The user `name`, or `None`.
pub async fn user(clients: &Clients, name: &str) -> HostResult<Option<UserInfo>> {
    match clients.iam.get_user().user_name(name).send().await {
        Ok(out) => Ok(out.user.map(|u| UserInfo {
            name: u.user_name().to_string(),
            arn: u.arn().to_string(),
            user_id: u.user_id().to_string(),
            path: u.path().to_string(),
            created: timestamp(u.create_date()),
        })),
        Err(e) => {
            let e = fail(clients, "iam:GetUser", e);
            if is_not_found(&e) { Ok(None) } else { Err(e) }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct EnsuredUser {
    pub arn: Planned<String>,
    pub outcome: Outcome,
    pub warnings: Vec<String>,
}

/// Creates the user when missing and sets the given tags (others are left alone).
pub async fn ensure_user(
    ctx: &Ctx,
    clients: &Clients,
    name: &str,
    path: Option<&str>,
    tags: &[(String, String)],
) -> HostResult<EnsuredUser> {
    if let Some(p) = path {
        check_path(p)?;
    }
    let tag_list = || -> HostResult<Vec<Tag>> {
        tags.iter()
            .map(|(k, v)| {
                Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .map_err(|e| HostError::invalid(format!("tag {k}: {e}")))
            })
            .collect()
    };
    let Some(current) = user(clients, name).await? else {
        if ctx.mode.is_check() {
            return Ok(EnsuredUser {
                arn: Planned::Unknown,
                outcome: Outcome::change(ctx.mode, format!("create user {name}")),
                warnings: vec![],
            });
        }
        let out = clients
            .iam
            .create_user()
            .user_name(name)
            .set_path(path.map(str::to_string))
            .set_tags((!tags.is_empty()).then(tag_list).transpose()?)
            .send()
            .await;
        let arn = match out {
            Ok(out) => out.user.map(|u| u.arn).unwrap_or_default(),
            Err(e) => {
                let e = fail(clients, "iam:CreateUser", e);
                // Created by someone else since we looked: the goal is reached.
                if e.kind != ErrorKind::Conflict {
                    return Err(e);
                }
                let now = user(clients, name).await?.ok_or(e)?;
                return Ok(EnsuredUser {
                    arn: Planned::Known(now.arn),
                    outcome: Outcome::ok(format!("user {name} exists")),
                    warnings: vec![],
                });
            }
        };
        return Ok(EnsuredUser {
            arn: Planned::Known(arn),
            outcome: Outcome::change(ctx.mode, format!("created user {name}")),
            warnings: vec![],
        });
    };
    let mut warnings = vec![];
    if let Some(p) = path {
        if p != current.path {
            warnings.push(format!(
                "user {name} exists under path {} rather than {p}; left as it is",
                current.path
            ));
        }
    }
    if tags.is_empty() {
        return Ok(EnsuredUser {
            arn: Planned::Known(current.arn),
            outcome: Outcome::ok(format!("user {name} exists")),
            warnings,
        });
    }
    let have = clients
        .iam
        .list_user_tags()
        .user_name(name)
        .send()
        .await
        .map_err(|e| fail(clients, "iam:ListUserTags", e))?;
    let missing: Vec<&(String, String)> = tags
        .iter()
        .filter(|(k, v)| !have.tags().iter().any(|t| t.key() == k && t.value() == v))
        .collect();
    if missing.is_empty() {
        return Ok(EnsuredUser {
            arn: Planned::Known(current.arn),
            outcome: Outcome::ok(format!("user {name} exists with its tags")),
            warnings,
        });
    }
    let keys: Vec<&str> = missing.iter().map(|(k, _)| k.as_str()).collect();
    if ctx.mode.is_apply() {
        clients
            .iam
            .tag_user()
            .user_name(name)
            .set_tags(Some(tag_list()?))
            .send()
            .await
            .map_err(|e| fail(clients, "iam:TagUser", e))?;
    }
    Ok(EnsuredUser {
        arn: Planned::Known(current.arn),
        outcome: Outcome::change(
            ctx.mode,
            format!("user {name}: set tags {}", keys.join(", ")),
        ),
        warnings,
    })
}

/// The ARNs of the managed policies attached to `user`.
pub async fn attached_policies(clients: &Clients, user: &str) -> HostResult<Vec<String>> {
    let items: Result<Vec<_>, _> = clients
        .iam
        .list_attached_user_policies()
        .user_name(user)
        .into_paginator()
        .items()
        .send()
        .collect()
        .await;
    let items = items.map_err(|e| fail(clients, "iam:ListAttachedUserPolicies", e))?;
    Ok(items.into_iter().filter_map(|p| p.policy_arn).collect())
}

/// The ARNs of the managed policies attached to `user`, or `None` when the
/// user does not exist. A read: it runs in check mode too.
pub async fn user_policies(clients: &Clients, user: &str) -> HostResult<Option<Vec<String>>> {
    match attached_policies(clients, user).await {
        Ok(arns) => Ok(Some(arns)),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Attaches the managed policy to the user; `ok` when already attached.
pub async fn ensure_user_policy(
    ctx: &Ctx,
    clients: &Clients,
    user: &str,
    policy_arn: &Planned<String>,
) -> HostResult<Outcome> {
    let Planned::Known(arn) = policy_arn else {
        return deferred_change(
            ctx.mode,
            "iam::ensure_user_policy",
            format!("attach the new policy to user {user}"),
        );
    };
    let attached = match attached_policies(clients, user).await {
        Ok(a) => a,
        // The user itself is still to be created by an earlier step.
        Err(e) if ctx.mode.is_check() && is_not_found(&e) => vec![],
        Err(e) => return Err(e),
    };
    if attached.iter().any(|a| a == arn) {
        return Ok(Outcome::ok(format!(
            "policy {arn} is attached to user {user}"
        )));
    }
    if ctx.mode.is_apply() {
        clients
            .iam
            .attach_user_policy()
            .user_name(user)
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| fail(clients, "iam:AttachUserPolicy", e))?;
    }
    Ok(Outcome::change(
        ctx.mode,
        format!("attach policy {arn} to user {user}"),
    ))
}

// ------------------------------------------------------------- access keys

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccessKeyInfo {
    pub id: String,
    /// `Active` or `Inactive`.
    pub status: String,
    pub created: String,
    #[serde(skip)]
    created_secs: i64,
}

/// The user's access keys, oldest first. In check mode a user that does not
/// exist yet has none.
pub async fn access_keys(
    ctx: &Ctx,
    clients: &Clients,
    user: &str,
) -> HostResult<Vec<AccessKeyInfo>> {
    let out = match clients.iam.list_access_keys().user_name(user).send().await {
        Ok(o) => o,
        Err(e) => {
            let e = fail(clients, "iam:ListAccessKeys", e);
            return if ctx.mode.is_check() && is_not_found(&e) {
                Ok(vec![])
            } else {
                Err(e)
            };
        }
    };
    let mut keys: Vec<AccessKeyInfo> = out
        .access_key_metadata()
        .iter()
        .map(|k| AccessKeyInfo {
            id: k.access_key_id().unwrap_or_default().to_string(),
            status: k
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            created: k.create_date().map(timestamp).unwrap_or_default(),
            created_secs: k.create_date().map(DateTime::secs).unwrap_or(0),
        })
        .collect();
    keys.sort_by(|a, b| {
        a.created_secs
            .cmp(&b.created_secs)
            .then_with(|| a.created.cmp(&b.created))
    });
    Ok(keys)
}

/// A new access key: its id, and its secret, which AWS shows only now.
#[derive(Debug)]
pub struct NewAccessKey {
    pub id: Planned<String>,
    pub secret: Option<Secret>,
    pub outcome: Outcome,
}

fn two_keys(user: &str, keys: &[AccessKeyInfo]) -> HostError {
    let ids: Vec<String> = keys
        .iter()
        .map(|k| format!("{} ({})", k.id, k.status))
        .collect();
    HostError::new(
        ErrorKind::LimitExceeded,
        format!(
            "user {user} already has {} access keys ({}); AWS allows 2 per user",
            keys.len(),
            ids.join(", ")
        ),
    )
    .with_hint(ROTATE_ADVICE)
}

/// Creates an access key; refuses before calling AWS when the user already
/// has two, so a run stops before it changes anything.
pub async fn create_access_key(
    ctx: &Ctx,
    clients: &Clients,
    user: &str,
) -> HostResult<NewAccessKey> {
    let keys = access_keys(ctx, clients, user).await?;
    if ctx.mode.is_check() {
        // An earlier step of the plan may delete a key first (rotation): in check
        // mode that delete only was planned, so the limit is noted, not enforced.
        let note = if keys.len() >= 2 {
            " (it has 2 keys now: possible only once one is deleted)"
        } else {
            ""
        };
        return Ok(NewAccessKey {
            id: Planned::Unknown,
            secret: None,
            outcome: Outcome::change(
                ctx.mode,
                format!("create an access key for user {user}{note}"),
            ),
        });
    }
    if keys.len() >= 2 {
        return Err(two_keys(user, &keys));
    }
    let out = clients
        .iam
        .create_access_key()
        .user_name(user)
        .send()
        .await
        .map_err(|e| {
            let e = fail(clients, "iam:CreateAccessKey", e);
            if e.kind == ErrorKind::LimitExceeded {
                e.with_hint(ROTATE_ADVICE)
            } else {
                e
            }
        })?;
    let key = out
        .access_key
        .ok_or_else(|| HostError::failed("CreateAccessKey returned no key"))?;
    let secret = Secret::new(key.secret_access_key.clone());
    ctx.redactor.register(secret.expose());
    let id = key.access_key_id.clone();
    Ok(NewAccessKey {
        outcome: Outcome::change(ctx.mode, format!("created access key {id} for user {user}")),
        id: Planned::Known(id),
        secret: Some(secret),
    })
}

async fn find_key(
    ctx: &Ctx,
    clients: &Clients,
    user: &str,
    id: &str,
) -> HostResult<Option<AccessKeyInfo>> {
    let keys = match access_keys(ctx, clients, user).await {
        Ok(k) => k,
        // A user that is gone has no keys left to remove.
        Err(e) if is_not_found(&e) => vec![],
        Err(e) => return Err(e),
    };
    Ok(keys.into_iter().find(|k| k.id == id))
}

/// Makes the key inactive; `ok` when it already is or no longer exists.
pub async fn deactivate_access_key(
    ctx: &Ctx,
    clients: &Clients,
    user: &str,
    id: &Planned<String>,
) -> HostResult<Outcome> {
    let Planned::Known(id) = id else {
        return deferred_change(
            ctx.mode,
            "iam::deactivate_access_key",
            format!("deactivate the new key of user {user}"),
        );
    };
    match find_key(ctx, clients, user, id).await? {
        None => Ok(Outcome::ok(format!(
            "access key {id} of user {user} does not exist"
        ))),
        Some(k) if k.status == StatusType::Inactive.as_str() => {
            Ok(Outcome::ok(format!("access key {id} is inactive")))
        }
        Some(_) => {
            if ctx.mode.is_apply() {
                clients
                    .iam
                    .update_access_key()
                    .user_name(user)
                    .access_key_id(id)
                    .status(StatusType::Inactive)
                    .send()
                    .await
                    .map_err(|e| fail(clients, "iam:UpdateAccessKey", e))?;
            }
            Ok(Outcome::change(
                ctx.mode,
                format!("deactivate access key {id} of user {user}"),
            ))
        }
    }
}

/// Deletes the key; `ok` when it no longer exists.
pub async fn delete_access_key(
    ctx: &Ctx,
    clients: &Clients,
    user: &str,
    id: &Planned<String>,
) -> HostResult<Outcome> {
    let Planned::Known(id) = id else {
        return deferred_change(
            ctx.mode,
            "iam::delete_access_key",
            format!("delete the new key of user {user}"),
        );
    };
    if find_key(ctx, clients, user, id).await?.is_none() {
        return Ok(Outcome::ok(format!(
            "access key {id} of user {user} does not exist"
        )));
    }
    if ctx.mode.is_apply() {
        match clients
            .iam
            .delete_access_key()
            .user_name(user)
            .access_key_id(id)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) => {
                let e = fail(clients, "iam:DeleteAccessKey", e);
                // Deleted between our read and our call: the goal is reached.
                if !is_not_found(&e) {
                    return Err(e);
                }
            }
        }
    }
    Ok(Outcome::change(
        ctx.mode,
        format!("delete access key {id} of user {user}"),
    ))
}
