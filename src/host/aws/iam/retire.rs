//! Undoing what the playbooks made: detaching policies, and deleting users,
//! roles, instance profiles and policies only when they are runbook's own
//! (tagged `managed-by=runbook`) and nothing else still hangs on them.
//!
//! Each call reads the facts first, decides, and mutates only in apply mode.
//! A thing that stays is `skipped` with the reason, never an error: a
//! decommission must go on past what it must not touch.

use super::{Clients, fail, instance_profile, is_not_found, role};
use crate::host::{Ctx, HostResult, Outcome};

/// The tag that marks what runbook created.
pub const OURS: (&str, &str) = ("managed-by", "runbook");

fn tagged_ours(tags: &[(String, String)]) -> bool {
    tags.iter().any(|(k, v)| k == OURS.0 && v == OURS.1)
}

/// Why a user, role or profile must stay, from what still hangs on it; pure.
pub fn reasons_to_keep(ours: bool, hanging: &[(&str, Vec<String>)]) -> Vec<String> {
    let mut why = vec![];
    if !ours {
        why.push(format!("it is not tagged {}={}", OURS.0, OURS.1));
    }
    for (what, items) in hanging {
        if !items.is_empty() {
            why.push(format!("it still has {what} {}", items.join(", ")));
        }
    }
    why
}

/// Detaches the managed policy from the user; `ok` when not attached or no user.
pub async fn detach_user_policy(
    ctx: &Ctx,
    c: &Clients,
    user: &str,
    arn: &str,
) -> HostResult<Outcome> {
    let attached = match super::user_policies(c, user).await? {
        Some(a) => a,
        None => return Ok(Outcome::ok(format!("user {user} does not exist"))),
    };
    if !attached.iter().any(|a| a == arn) {
        return Ok(Outcome::ok(format!(
            "policy {arn} is not attached to user {user}"
        )));
    }
    if ctx.mode.is_apply() {
        c.iam
            .detach_user_policy()
            .user_name(user)
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| fail(c, "iam:DetachUserPolicy", e))?;
    }
    Ok(Outcome::change(
        ctx.mode,
        format!("detach policy {arn} from user {user}"),
    ))
}

/// Detaches the managed policy from the role; `ok` when not attached or no role.
pub async fn detach_role_policy(
    ctx: &Ctx,
    c: &Clients,
    role: &str,
    arn: &str,
) -> HostResult<Outcome> {
    let attached = match super::role_policies(c, role).await? {
        Some(a) => a,
        None => return Ok(Outcome::ok(format!("role {role} does not exist"))),
    };
    if !attached.iter().any(|a| a == arn) {
        return Ok(Outcome::ok(format!(
            "policy {arn} is not attached to role {role}"
        )));
    }
    if ctx.mode.is_apply() {
        c.iam
            .detach_role_policy()
            .role_name(role)
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| fail(c, "iam:DetachRolePolicy", e))?;
    }
    Ok(Outcome::change(
        ctx.mode,
        format!("detach policy {arn} from role {role}"),
    ))
}

/// Deletes the user when it is runbook's and has no keys, managed or inline
/// policies, or groups. `gone_keys` and `gone_policies` are what earlier steps
/// of the same run remove (in check mode they are still there).
pub async fn delete_user(
    ctx: &Ctx,
    c: &Clients,
    user: &str,
    gone_keys: &[String],
    gone_policies: &[String],
) -> HostResult<Outcome> {
    if super::user(c, user).await?.is_none() {
        return Ok(Outcome::ok(format!("user {user} does not exist")));
    }
    let tags = c
        .iam
        .list_user_tags()
        .user_name(user)
        .send()
        .await
        .map_err(|e| fail(c, "iam:ListUserTags", e))?;
    let tags: Vec<(String, String)> = tags
        .tags()
        .iter()
        .map(|t| (t.key().into(), t.value().into()))
        .collect();
    let keys: Vec<String> = c
        .iam
        .list_access_keys()
        .user_name(user)
        .send()
        .await
        .map_err(|e| fail(c, "iam:ListAccessKeys", e))?
        .access_key_metadata()
        .iter()
        .filter_map(|k| k.access_key_id().map(str::to_string))
        .filter(|k| !(ctx.mode.is_check() && gone_keys.contains(k)))
        .collect();
    let policies: Vec<String> = super::attached_policies(c, user)
        .await?
        .into_iter()
        .filter(|p| !(ctx.mode.is_check() && gone_policies.contains(p)))
        .collect();
    let inline = c
        .iam
        .list_user_policies()
        .user_name(user)
        .send()
        .await
        .map_err(|e| fail(c, "iam:ListUserPolicies", e))?
        .policy_names()
        .to_vec();
    let groups: Vec<String> = c
        .iam
        .list_groups_for_user()
        .user_name(user)
        .send()
        .await
        .map_err(|e| fail(c, "iam:ListGroupsForUser", e))?
        .groups()
        .iter()
        .map(|g| g.group_name().to_string())
        .collect();
    let why = reasons_to_keep(
        tagged_ours(&tags),
        &[
            ("access keys", keys),
            ("managed policies", policies),
            ("inline policies", inline),
            ("groups", groups),
        ],
    );
    if !why.is_empty() {
        return Ok(Outcome::skipped(format!(
            "user {user} stays: {}",
            why.join("; ")
        )));
    }
    if ctx.mode.is_apply() {
        c.iam
            .delete_user()
            .user_name(user)
            .send()
            .await
            .map_err(|e| fail(c, "iam:DeleteUser", e))?;
    }
    Ok(Outcome::change(ctx.mode, format!("delete user {user}")))
}

/// Removes `role` from the instance profile and deletes the profile, when the
/// profile is runbook's and holds no other role.
pub async fn delete_instance_profile(
    ctx: &Ctx,
    c: &Clients,
    name: &str,
    role: &str,
) -> HostResult<Outcome> {
    let Some(p) = instance_profile(c, name).await? else {
        return Ok(Outcome::ok(format!(
            "instance profile {name} does not exist"
        )));
    };
    let others: Vec<String> = p.roles.iter().filter(|r| *r != role).cloned().collect();
    let why = reasons_to_keep(tagged_ours(&p.tags), &[("roles", others)]);
    if !why.is_empty() {
        return Ok(Outcome::skipped(format!(
            "instance profile {name} stays: {}",
            why.join("; ")
        )));
    }
    let mut done = vec![];
    if p.roles.iter().any(|r| r == role) {
        if ctx.mode.is_apply() {
            c.iam
                .remove_role_from_instance_profile()
                .instance_profile_name(name)
                .role_name(role)
                .send()
                .await
                .map_err(|e| fail(c, "iam:RemoveRoleFromInstanceProfile", e))?;
        }
        done.push(format!("remove role {role} from instance profile {name}"));
    }
    if ctx.mode.is_apply() {
        c.iam
            .delete_instance_profile()
            .instance_profile_name(name)
            .send()
            .await
            .map_err(|e| fail(c, "iam:DeleteInstanceProfile", e))?;
    }
    done.push(format!("delete instance profile {name}"));
    Ok(Outcome::change(ctx.mode, done.join(", ")))
}

/// Deletes the role when it is runbook's and has no managed or inline
/// policies and is in no instance profile. `gone_policies` and
/// `gone_profile` are what earlier steps remove (still there in check mode).
pub async fn delete_role(
    ctx: &Ctx,
    c: &Clients,
    name: &str,
    gone_policies: &[String],
    gone_profile: Option<&str>,
) -> HostResult<Outcome> {
    let Some(r) = role(c, name).await? else {
        return Ok(Outcome::ok(format!("role {name} does not exist")));
    };
    let tags: Vec<(String, String)> = r
        .tags
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    let policies: Vec<String> = super::role_policies(c, name)
        .await?
        .unwrap_or_default()
        .into_iter()
        .filter(|p| !(ctx.mode.is_check() && gone_policies.contains(p)))
        .collect();
    let inline = c
        .iam
        .list_role_policies()
        .role_name(name)
        .send()
        .await
        .map_err(|e| fail(c, "iam:ListRolePolicies", e))?
        .policy_names()
        .to_vec();
    let profiles: Vec<String> = c
        .iam
        .list_instance_profiles_for_role()
        .role_name(name)
        .send()
        .await
        .map_err(|e| fail(c, "iam:ListInstanceProfilesForRole", e))?
        .instance_profiles()
        .iter()
        .map(|p| p.instance_profile_name().to_string())
        .filter(|p| !(ctx.mode.is_check() && Some(p.as_str()) == gone_profile))
        .collect();
    let why = reasons_to_keep(
        tagged_ours(&tags),
        &[
            ("managed policies", policies),
            ("inline policies", inline),
            ("instance profiles", profiles),
        ],
    );
    if !why.is_empty() {
        return Ok(Outcome::skipped(format!(
            "role {name} stays: {}",
            why.join("; ")
        )));
    }
    if ctx.mode.is_apply() {
        c.iam
            .delete_role()
            .role_name(name)
            .send()
            .await
            .map_err(|e| fail(c, "iam:DeleteRole", e))?;
    }
    Ok(Outcome::change(ctx.mode, format!("delete role {name}")))
}

/// Deletes the managed policy (its other versions first) when no user, group
/// or role uses it (`ListEntitiesForPolicy`). `gone` are the entities earlier
/// steps detach it from (still attached in check mode).
pub async fn delete_policy(
    ctx: &Ctx,
    c: &Clients,
    arn: &str,
    gone: &[String],
) -> HostResult<Outcome> {
    let users_groups_roles = match c
        .iam
        .list_entities_for_policy()
        .policy_arn(arn)
        .send()
        .await
    {
        Ok(out) => {
            let mut all: Vec<String> = out
                .policy_users()
                .iter()
                .filter_map(|u| u.user_name().map(|n| format!("user {n}")))
                .collect();
            all.extend(
                out.policy_groups()
                    .iter()
                    .filter_map(|g| g.group_name().map(|n| format!("group {n}"))),
            );
            all.extend(
                out.policy_roles()
                    .iter()
                    .filter_map(|r| r.role_name().map(|n| format!("role {n}"))),
            );
            all
        }
        Err(e) => {
            let e = fail(c, "iam:ListEntitiesForPolicy", e);
            return if is_not_found(&e) {
                Ok(Outcome::ok(format!("policy {arn} does not exist")))
            } else {
                Err(e)
            };
        }
    };
    let users: Vec<String> = users_groups_roles
        .into_iter()
        .filter(|e| !(ctx.mode.is_check() && gone.contains(e)))
        .collect();
    if !users.is_empty() {
        return Ok(Outcome::skipped(format!(
            "policy {arn} stays: it is still attached to {}",
            users.join(", ")
        )));
    }
    if ctx.mode.is_apply() {
        let versions = c
            .iam
            .list_policy_versions()
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| fail(c, "iam:ListPolicyVersions", e))?;
        for v in versions
            .versions()
            .iter()
            .filter(|v| !v.is_default_version())
        {
            c.iam
                .delete_policy_version()
                .policy_arn(arn)
                .version_id(v.version_id().unwrap_or_default())
                .send()
                .await
                .map_err(|e| fail(c, "iam:DeletePolicyVersion", e))?;
        }
        c.iam
            .delete_policy()
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| fail(c, "iam:DeletePolicy", e))?;
    }
    Ok(Outcome::change(ctx.mode, format!("delete policy {arn}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_untagged_or_still_used_thing_stays() {
        assert!(reasons_to_keep(true, &[("access keys", vec![])]).is_empty());
        assert_eq!(
            reasons_to_keep(false, &[("access keys", vec!["AKIA1".into()])]),
            vec![
                "it is not tagged managed-by=runbook".to_string(),
                "it still has access keys AKIA1".into()
            ]
        );
    }
}
