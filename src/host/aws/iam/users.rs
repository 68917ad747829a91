//! IAM users and the managed policies attached to them.

use aws_sdk_iam::types::Tag;
use serde::Serialize;

use super::{Clients, check_path, fail, is_not_found, once, timestamp};
use crate::host::attr_diff::{AttrDiff, prefixed};
use crate::host::{
    Ctx, ErrorKind, HostError, HostResult, KNOWN_AFTER_APPLY, Outcome, Planned, deferred_change,
};

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
    // The whole desired user, as a create shows it under --diff.
    let create_diff = ctx.diff.then(|| {
        AttrDiff::new(&format!("user {name}"))
            .added(&[
                ("name".into(), format!("{name:?}")),
                ("path".into(), format!("{:?}", path.unwrap_or("/"))),
                ("arn".into(), crate::host::KNOWN_AFTER_APPLY.into()),
            ])
            .added(&prefixed("tags", tags))
            .build()
    });
    let Some(current) = user(clients, name).await? else {
        if ctx.mode.is_check() {
            return Ok(EnsuredUser {
                arn: Planned::Unknown,
                outcome: Outcome::change(ctx.mode, format!("create user {name}"))
                    .with_diff(create_diff),
                warnings: vec![],
            });
        }
        let tag_set = (!tags.is_empty()).then(tag_list).transpose()?;
        let arn = match create_user_once(clients, name, path, tag_set).await? {
            Created::Now(arn) => arn,
            Created::Before(arn) => {
                // Created by someone else since we looked: the goal is reached.
                return Ok(EnsuredUser {
                    arn: Planned::Known(arn),
                    outcome: Outcome::ok(format!("user {name} exists")),
                    warnings: vec![],
                });
            }
        };
        return Ok(EnsuredUser {
            arn: Planned::Known(arn),
            outcome: Outcome::change(ctx.mode, format!("created user {name}"))
                .with_diff(create_diff),
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
    let tag_diff = ctx.diff.then(|| {
        let mut d = AttrDiff::new(&format!("user {name}"));
        for (k, v) in &missing {
            let key = format!("tags.{k}");
            d = match have.tags().iter().find(|t| t.key() == k) {
                Some(t) => d.changed(&key, &format!("{:?}", t.value()), &format!("{v:?}")),
                None => d.added(&[(key, format!("{v:?}"))]),
            };
        }
        d.build()
    });
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
        )
        .with_diff(tag_diff),
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
        let diff = ctx.diff.then(|| {
            AttrDiff::new(&format!("user {user}"))
                .added(&[("attached_policy".into(), KNOWN_AFTER_APPLY.into())])
                .build()
        });
        return deferred_change(
            ctx.mode,
            "iam::ensure_user_policy",
            format!("attach the new policy to user {user}"),
        )
        .map(|o| o.with_diff(diff));
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
    let diff = ctx.diff.then(|| {
        AttrDiff::new(&format!("user {user}"))
            .added(&[("attached_policy".into(), arn.clone())])
            .build()
    });
    Ok(Outcome::change(ctx.mode, format!("attach policy {arn} to user {user}")).with_diff(diff))
}

enum Created {
    /// By this call; the ARN.
    Now(String),
    /// It existed already (someone else made it meanwhile).
    Before(String),
}

/// `CreateUser` without blind retries (see `once.rs`): after a failure whose
/// outcome is unknown, a user that exists now was made by this call.
async fn create_user_once(
    clients: &Clients,
    name: &str,
    path: Option<&str>,
    tags: Option<Vec<Tag>>,
) -> HostResult<Created> {
    let max = once::attempts(clients);
    let mut n = 1;
    loop {
        let res = clients
            .iam
            .create_user()
            .user_name(name)
            .set_path(path.map(str::to_string))
            .set_tags(tags.clone())
            .customize()
            .config_override(once::no_retry())
            .send()
            .await;
        let err = match res {
            Ok(out) => return Ok(Created::Now(out.user.map(|u| u.arn).unwrap_or_default())),
            Err(e) => e,
        };
        if once::throttled(&err) && n < max {
            once::settle().await;
            n += 1;
            continue;
        }
        let unsure = once::ambiguous(&err);
        let e = fail(clients, "iam:CreateUser", err);
        if e.kind == ErrorKind::Conflict {
            let now = user(clients, name).await?.ok_or(e)?;
            // After our own lost answer, EntityAlreadyExists means we made it.
            return Ok(if n > 1 {
                Created::Now(now.arn)
            } else {
                Created::Before(now.arn)
            });
        }
        if !unsure {
            return Err(e);
        }
        once::settle().await;
        if let Some(now) = user(clients, name).await? {
            return Ok(Created::Now(now.arn));
        }
        if n >= max {
            return Err(e);
        }
        n += 1;
    }
}
