//! IAM roles: the trust policy, compared by meaning, and attached policies.

use serde::Serialize;
use serde_json::Value;

use super::{Clients, fail, is_not_found};
use crate::host::attr_diff::{AttrDiff, prefixed};
use crate::host::aws::policy;
use crate::host::{Ctx, ErrorKind, HostError, HostResult, Outcome, Planned, deferred_change};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RoleInfo {
    pub name: String,
    pub arn: String,
    pub path: String,
    pub trust_policy: Value,
    pub tags: serde_json::Map<String, Value>,
}

/// The trust policy letting EC2 instances assume a role.
pub fn ec2_trust_policy() -> Value {
    serde_json::json!({
        "Version": policy::POLICY_VERSION,
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }]
    })
}

/// True when `trust` lets `service` (e.g. `ec2.amazonaws.com`) assume the role.
pub fn trusts_service(trust: &Value, service: &str) -> bool {
    let list = |v: Option<&Value>| -> Vec<String> {
        match v {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect(),
            _ => vec![],
        }
    };
    let stmts = match trust.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(s) => vec![s.clone()],
        None => vec![],
    };
    stmts.iter().any(|s| {
        s.get("Effect").and_then(Value::as_str) == Some("Allow")
            && s.get("Condition").is_none()
            && list(s.get("Action"))
                .iter()
                .any(|a| a.eq_ignore_ascii_case("sts:AssumeRole") || a == "sts:*" || a == "*")
            && list(s.get("Principal").and_then(|p| p.get("Service")))
                .iter()
                .any(|p| p == service)
    })
}

/// The role `name`, or `None`.
pub async fn role(clients: &Clients, name: &str) -> HostResult<Option<RoleInfo>> {
    let r = match clients.iam.get_role().role_name(name).send().await {
        Ok(out) => match out.role {
            Some(r) => r,
            None => return Ok(None),
        },
        Err(e) => {
            let e = fail(clients, "iam:GetRole", e);
            return if is_not_found(&e) { Ok(None) } else { Err(e) };
        }
    };
    let trust = match r.assume_role_policy_document() {
        Some(t) => policy::parse(t)?,
        None => Value::Null,
    };
    let tags = r
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), Value::String(t.value().to_string())))
        .collect();
    Ok(Some(RoleInfo {
        name: r.role_name().to_string(),
        arn: r.arn().to_string(),
        path: r.path().to_string(),
        trust_policy: trust,
        tags,
    }))
}

#[derive(Clone, Debug, PartialEq)]
pub struct EnsuredRole {
    pub arn: Planned<String>,
    pub outcome: Outcome,
}

fn iam_tags(tags: &[(String, String)]) -> HostResult<Vec<aws_sdk_iam::types::Tag>> {
    tags.iter()
        .map(|(k, v)| {
            aws_sdk_iam::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| HostError::invalid(format!("tag {k}: {e}")))
        })
        .collect()
}

/// Creates the role with `trust` as its trust policy, or makes an existing
/// one's trust policy mean `trust` (compared semantically). Tags are set on
/// creation; an existing role's tags are left alone (whoever made it owns them).
pub async fn ensure_role(
    ctx: &Ctx,
    clients: &Clients,
    name: &str,
    trust: &Value,
    tags: &[(String, String)],
) -> HostResult<EnsuredRole> {
    let text = trust.to_string();
    // The trust policy as the comparison sees it, for --diff.
    let pretty =
        |v: &Value| serde_json::to_string_pretty(&policy::normalized(v)).unwrap_or_default();
    // The whole desired role, as a create shows it under --diff.
    let create_diff = ctx.diff.then(|| {
        let mut d = AttrDiff::new(&format!("role {name}"))
            .added(&[
                ("name".into(), format!("{name:?}")),
                ("path".into(), "\"/\"".into()),
                ("arn".into(), crate::host::KNOWN_AFTER_APPLY.into()),
            ])
            .added(&prefixed("tags", tags))
            .build();
        d.push_str("+ trust_policy =\n");
        for line in pretty(trust).lines() {
            d.push_str(&format!("+   {line}\n"));
        }
        d
    });
    let Some(current) = role(clients, name).await? else {
        if ctx.mode.is_check() {
            return Ok(EnsuredRole {
                arn: Planned::Unknown,
                outcome: Outcome::change(ctx.mode, format!("create role {name}"))
                    .with_diff(create_diff),
            });
        }
        let out = clients
            .iam
            .create_role()
            .role_name(name)
            .assume_role_policy_document(&text)
            .set_tags((!tags.is_empty()).then(|| iam_tags(tags)).transpose()?)
            .send()
            .await
            .map_err(|e| fail(clients, "iam:CreateRole", e))?;
        let arn = out.role.map(|r| r.arn).unwrap_or_default();
        return Ok(EnsuredRole {
            arn: Planned::Known(arn),
            outcome: Outcome::change(ctx.mode, format!("created role {name}"))
                .with_diff(create_diff),
        });
    };
    if policy::same(&current.trust_policy, trust) {
        return Ok(EnsuredRole {
            arn: Planned::Known(current.arn),
            outcome: Outcome::ok(format!("role {name} exists with its trust policy")),
        });
    }
    if ctx.mode.is_apply() {
        clients
            .iam
            .update_assume_role_policy()
            .role_name(name)
            .policy_document(&text)
            .send()
            .await
            .map_err(|e| fail(clients, "iam:UpdateAssumeRolePolicy", e))?;
    }
    let diff = ctx.diff.then(|| {
        crate::host::fs::diff::line_diff(
            &format!("trust policy of role {name}"),
            Some(&pretty(&current.trust_policy)),
            &pretty(trust),
            false,
        )
    });
    Ok(EnsuredRole {
        arn: Planned::Known(current.arn),
        outcome: Outcome::change(ctx.mode, format!("role {name}: update the trust policy"))
            .with_diff(diff),
    })
}

/// The ARNs of the managed policies attached to `role`, or `None` when there
/// is no such role.
pub async fn role_policies(clients: &Clients, role: &str) -> HostResult<Option<Vec<String>>> {
    let items: Result<Vec<_>, _> = clients
        .iam
        .list_attached_role_policies()
        .role_name(role)
        .into_paginator()
        .items()
        .send()
        .collect()
        .await;
    match items {
        Ok(items) => Ok(Some(
            items.into_iter().filter_map(|p| p.policy_arn).collect(),
        )),
        Err(e) => {
            let e = fail(clients, "iam:ListAttachedRolePolicies", e);
            if is_not_found(&e) { Ok(None) } else { Err(e) }
        }
    }
}

/// Attaches the managed policy to the role; `ok` when already attached.
pub async fn ensure_role_policy(
    ctx: &Ctx,
    clients: &Clients,
    role: &str,
    policy_arn: &Planned<String>,
) -> HostResult<Outcome> {
    let Planned::Known(arn) = policy_arn else {
        return deferred_change(
            ctx.mode,
            "iam::ensure_role_policy",
            format!("attach the new policy to role {role}"),
        );
    };
    let attached = match role_policies(clients, role).await? {
        Some(a) => a,
        // The role itself is still to be created by an earlier step.
        None if ctx.mode.is_check() => vec![],
        None => {
            return Err(HostError::new(
                ErrorKind::NotFound,
                format!("role {role} does not exist"),
            ));
        }
    };
    if attached.iter().any(|a| a == arn) {
        return Ok(Outcome::ok(format!(
            "policy {arn} is attached to role {role}"
        )));
    }
    if ctx.mode.is_apply() {
        clients
            .iam
            .attach_role_policy()
            .role_name(role)
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| fail(clients, "iam:AttachRolePolicy", e))?;
    }
    Ok(Outcome::change(
        ctx.mode,
        format!("attach policy {arn} to role {role}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ec2_trust_policy_trusts_ec2_only() {
        let t = ec2_trust_policy();
        assert!(trusts_service(&t, "ec2.amazonaws.com"));
        assert!(!trusts_service(&t, "lambda.amazonaws.com"));
    }

    #[test]
    fn a_trust_policy_written_differently_is_the_same() {
        let other = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": {"Sid": "x", "Effect": "Allow",
                "Principal": {"Service": ["ec2.amazonaws.com"]}, "Action": ["sts:assumerole"]}
        });
        assert!(policy::same(&ec2_trust_policy(), &other));
        assert!(trusts_service(&other, "ec2.amazonaws.com"));
        let conditional = serde_json::json!({"Statement": [{"Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole",
            "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]});
        assert!(!policy::same(&ec2_trust_policy(), &conditional));
        assert!(!trusts_service(&conditional, "ec2.amazonaws.com"));
    }
}
