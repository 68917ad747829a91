//! Instance profiles: the container that hands a role to an EC2 instance.

use serde::Serialize;

use super::{Clients, fail, is_not_found};
use crate::host::{Ctx, ErrorKind, HostError, HostResult, Outcome, Planned};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InstanceProfileInfo {
    pub name: String,
    pub arn: String,
    pub path: String,
    /// Role names; IAM allows at most one.
    pub roles: Vec<String>,
    pub tags: Vec<(String, String)>,
}

/// The instance profile `name`, or `None`.
pub async fn instance_profile(
    clients: &Clients,
    name: &str,
) -> HostResult<Option<InstanceProfileInfo>> {
    let p = match clients
        .iam
        .get_instance_profile()
        .instance_profile_name(name)
        .send()
        .await
    {
        Ok(out) => match out.instance_profile {
            Some(p) => p,
            None => return Ok(None),
        },
        Err(e) => {
            let e = fail(clients, "iam:GetInstanceProfile", e);
            return if is_not_found(&e) { Ok(None) } else { Err(e) };
        }
    };
    Ok(Some(InstanceProfileInfo {
        name: p.instance_profile_name().to_string(),
        arn: p.arn().to_string(),
        path: p.path().to_string(),
        roles: p
            .roles()
            .iter()
            .map(|r| r.role_name().to_string())
            .collect(),
        tags: p
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect(),
    }))
}

#[derive(Clone, Debug, PartialEq)]
pub struct EnsuredInstanceProfile {
    pub arn: Planned<String>,
    pub outcome: Outcome,
}

/// Creates the instance profile when missing and puts `role` in it. A profile
/// that holds another role is a conflict: it is someone else's, and IAM lets a
/// profile hold one role only.
pub async fn ensure_instance_profile(
    ctx: &Ctx,
    clients: &Clients,
    name: &str,
    role: &str,
    tags: &[(String, String)],
) -> HostResult<EnsuredInstanceProfile> {
    let current = instance_profile(clients, name).await?;
    let mut done = vec![];
    let arn = match &current {
        Some(p) => Planned::Known(p.arn.clone()),
        None if ctx.mode.is_check() => Planned::Unknown,
        None => {
            let iam_tags = tags
                .iter()
                .map(|(k, v)| {
                    aws_sdk_iam::types::Tag::builder()
                        .key(k)
                        .value(v)
                        .build()
                        .map_err(|e| HostError::invalid(format!("tag {k}: {e}")))
                })
                .collect::<HostResult<Vec<_>>>()?;
            let out = clients
                .iam
                .create_instance_profile()
                .instance_profile_name(name)
                .set_tags((!iam_tags.is_empty()).then_some(iam_tags))
                .send()
                .await
                .map_err(|e| fail(clients, "iam:CreateInstanceProfile", e))?;
            Planned::Known(out.instance_profile.map(|p| p.arn).unwrap_or_default())
        }
    };
    if current.is_none() {
        done.push(format!("create instance profile {name}"));
    }
    let roles = current
        .as_ref()
        .map(|p| p.roles.clone())
        .unwrap_or_default();
    if let Some(other) = roles.iter().find(|r| *r != role) {
        return Err(HostError::new(
            ErrorKind::Conflict,
            format!("instance profile {name} holds the role {other}, not {role}"),
        )
        .with_hint("choose another instance profile name (instance_profile_name), or remove that role from it"));
    }
    if roles.is_empty() {
        if ctx.mode.is_apply() {
            clients
                .iam
                .add_role_to_instance_profile()
                .instance_profile_name(name)
                .role_name(role)
                .send()
                .await
                .map_err(|e| fail(clients, "iam:AddRoleToInstanceProfile", e))?;
        }
        done.push(format!("add role {role} to instance profile {name}"));
    }
    let outcome = if done.is_empty() {
        Outcome::ok(format!("instance profile {name} holds role {role}"))
    } else {
        Outcome::change(ctx.mode, done.join(", "))
    };
    Ok(EnsuredInstanceProfile { arn, outcome })
}
