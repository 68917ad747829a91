//! A user's access keys: listing, creating (the secret exists once), retiring.

use aws_sdk_iam::primitives::DateTime;
use aws_sdk_iam::types::StatusType;
use serde::Serialize;

use aws_sdk_iam::operation::create_access_key::CreateAccessKeyOutput;

use super::{Clients, ROTATE_ADVICE, fail, is_not_found, once, timestamp};
use crate::host::attr_diff::AttrDiff;
use crate::host::{Ctx, ErrorKind, HostError, HostResult, Outcome, Planned, deferred_change};
use crate::secret::Secret;

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
    let create_diff = |id: &str| {
        ctx.diff.then(|| {
            AttrDiff::new(&format!("access key of user {user}"))
                .added(&[
                    ("id".into(), id.to_string()),
                    ("secret".into(), crate::secret::MASK.into()),
                    ("status".into(), "Active".into()),
                ])
                .build()
        })
    };
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
            )
            .with_diff(create_diff(crate::host::KNOWN_AFTER_APPLY)),
        });
    }
    if keys.len() >= 2 {
        return Err(two_keys(user, &keys));
    }
    let out = create_once(ctx, clients, user, &keys).await?;
    let key = out
        .access_key
        .ok_or_else(|| HostError::failed("CreateAccessKey returned no key"))?;
    let secret = Secret::new(key.secret_access_key.clone());
    ctx.redactor.register(secret.expose());
    let id = key.access_key_id.clone();
    Ok(NewAccessKey {
        outcome: Outcome::change(ctx.mode, format!("created access key {id} for user {user}"))
            .with_diff(create_diff(&id)),
        id: Planned::Known(id),
        secret: Some(secret),
    })
}

/// `CreateAccessKey` without blind retries (see `once.rs`): after a failure
/// whose outcome is unknown, the user's keys are listed again; a key that
/// was not there before is an orphan, reported by id with the command that
/// deletes it, since its secret was lost with the answer. Only when no key
/// appeared is the call made again.
async fn create_once(
    ctx: &Ctx,
    clients: &Clients,
    user: &str,
    before: &[AccessKeyInfo],
) -> HostResult<CreateAccessKeyOutput> {
    let max = once::attempts(clients);
    let mut n = 1;
    loop {
        let res = clients
            .iam
            .create_access_key()
            .user_name(user)
            .customize()
            .config_override(once::no_retry())
            .send()
            .await;
        let err = match res {
            Ok(out) => return Ok(out),
            Err(e) => e,
        };
        if once::throttled(&err) && n < max {
            once::settle().await;
            n += 1;
            continue;
        }
        let unsure = once::ambiguous(&err);
        let e = fail(clients, "iam:CreateAccessKey", err);
        if !unsure {
            return Err(if e.kind == ErrorKind::LimitExceeded {
                e.with_hint(ROTATE_ADVICE)
            } else {
                e
            });
        }
        once::settle().await;
        let now = access_keys(ctx, clients, user).await.map_err(|le| {
            HostError::new(
                e.kind,
                format!(
                    "{}; whether IAM created a key is unknown: listing the keys of user {user} \
                     failed too ({})",
                    e.message, le.message
                ),
            )
            .with_hint(format!(
                "check with `aws iam list-access-keys --user-name {user}` and delete a key \
                 created now: its secret is lost"
            ))
        })?;
        let orphans: Vec<&AccessKeyInfo> = now
            .iter()
            .filter(|k| !before.iter().any(|b| b.id == k.id))
            .collect();
        if !orphans.is_empty() {
            return Err(orphan_error(user, &e, &orphans));
        }
        if n >= max {
            return Err(e);
        }
        n += 1;
    }
}

fn orphan_error(user: &str, cause: &HostError, orphans: &[&AccessKeyInfo]) -> HostError {
    let ids: Vec<&str> = orphans.iter().map(|k| k.id.as_str()).collect();
    let commands: Vec<String> = ids
        .iter()
        .map(|id| format!("aws iam delete-access-key --user-name {user} --access-key-id {id}"))
        .collect();
    HostError::new(
        ErrorKind::Conflict,
        format!(
            "{}; IAM did create access key {} for user {user}, but its secret was lost with \
             the answer: the key is an orphan nobody can use",
            cause.message,
            ids.join(" and ")
        ),
    )
    .with_hint(format!(
        "delete it, then run again: {} (or in a playbook: iam::delete_access_key(\"{user}\", \"{}\"))",
        commands.join("; "),
        ids[0]
    ))
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

/// The key to act on, or the outcome when there is nothing to act on: an id
/// known only after apply (planned in check mode), or a key that is gone (`ok`).
async fn key_to_change(
    ctx: &Ctx,
    clients: &Clients,
    call: &str,
    verb: &str,
    user: &str,
    id: &Planned<String>,
) -> HostResult<Result<AccessKeyInfo, Outcome>> {
    let Planned::Known(id) = id else {
        let summary = format!("{verb} the new key of user {user}");
        return deferred_change(ctx.mode, call, summary).map(Err);
    };
    Ok(find_key(ctx, clients, user, id)
        .await?
        .ok_or_else(|| Outcome::ok(format!("access key {id} of user {user} does not exist"))))
}

/// Makes the key inactive; `ok` when it already is or no longer exists.
pub async fn deactivate_access_key(
    ctx: &Ctx,
    clients: &Clients,
    user: &str,
    id: &Planned<String>,
) -> HostResult<Outcome> {
    let call = "iam::deactivate_access_key";
    let key = match key_to_change(ctx, clients, call, "deactivate", user, id).await? {
        Ok(k) => k,
        Err(nothing_to_do) => return Ok(nothing_to_do),
    };
    let id = &key.id;
    if key.status == StatusType::Inactive.as_str() {
        return Ok(Outcome::ok(format!("access key {id} is inactive")));
    }
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
    let diff = ctx.diff.then(|| {
        AttrDiff::new(&format!("access key {id} of user {user}"))
            .changed("status", &key.status, StatusType::Inactive.as_str())
            .build()
    });
    Ok(Outcome::change(
        ctx.mode,
        format!("deactivate access key {id} of user {user}"),
    )
    .with_diff(diff))
}

/// Deletes the key; `ok` when it no longer exists.
pub async fn delete_access_key(
    ctx: &Ctx,
    clients: &Clients,
    user: &str,
    id: &Planned<String>,
) -> HostResult<Outcome> {
    let call = "iam::delete_access_key";
    let key = match key_to_change(ctx, clients, call, "delete", user, id).await? {
        Ok(k) => k,
        Err(nothing_to_do) => return Ok(nothing_to_do),
    };
    let id = &key.id;
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
    let diff = ctx.diff.then(|| {
        AttrDiff::new(&format!("access key {id} of user {user}"))
            .removed(&[
                ("id".into(), id.clone()),
                ("status".into(), key.status.clone()),
                ("created".into(), key.created.clone()),
            ])
            .build()
    });
    Ok(Outcome::change(ctx.mode, format!("delete access key {id} of user {user}")).with_diff(diff))
}
