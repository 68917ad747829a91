//! Customer-managed policies: read by ARN, and made to say what is wanted.

use aws_sdk_iam::primitives::DateTime;
use serde::Serialize;
use serde_json::Value;

use super::plan::{CurrentPolicy, PolicyPlan, PolicyVersion, plan_policy};
use super::{Clients, check_path, fail, is_not_found, once, policy_arn};
use crate::host::aws::policy;
use crate::host::aws::sts::whoami;
use crate::host::{Ctx, ErrorKind, HostError, HostResult, Outcome, Planned};

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

/// The facts `plan_policy` needs: the policy, and its other versions'
/// documents when the default one is not the desired one.
async fn current_policy(
    clients: &Clients,
    info: &PolicyInfo,
    desired: &Value,
) -> HostResult<CurrentPolicy> {
    let mut current = CurrentPolicy {
        default_version: info.default_version.clone(),
        document: info.document.clone(),
        versions: vec![],
    };
    if policy::same(&info.document, desired) {
        return Ok(current);
    }
    let listed = clients
        .iam
        .list_policy_versions()
        .policy_arn(&info.arn)
        .send()
        .await
        .map_err(|e| fail(clients, "iam:ListPolicyVersions", e))?;
    for v in listed.versions() {
        let version = PolicyVersion {
            id: v.version_id().unwrap_or_default().to_string(),
            is_default: v.is_default_version(),
            created: v.create_date().map(DateTime::secs).unwrap_or(0),
        };
        let document = if version.is_default {
            None
        } else {
            match version_document(clients, &info.arn, &version.id).await {
                Ok(d) => Some(d),
                // Deleted since the list (another run pruning versions): gone, not an error.
                Err(e) if is_not_found(&e) => continue,
                Err(e) => return Err(e),
            }
        };
        current.versions.push((version, document));
    }
    Ok(current)
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
/// default version: facts, then the pure plan, then the one guarded branch
/// per kind of change.
pub async fn ensure_policy(
    ctx: &Ctx,
    clients: &Clients,
    name: &str,
    document: &Value,
    path: &str,
    description: Option<&str>,
) -> HostResult<EnsuredPolicy> {
    check_path(path)?;
    let arn = policy_arn(&whoami(clients).await?, path, name);
    let info = policy_by_arn(clients, &arn).await?;
    let current = match &info {
        Some(i) => Some(current_policy(clients, i, document).await?),
        None => None,
    };
    let plan = plan_policy(current.as_ref(), document);
    let summary = plan.summary(name, ctx.mode);
    let diff = (ctx.diff && plan.is_change())
        .then(|| diff(name, info.as_ref().map(|i| &i.document), document));
    let mut warnings = vec![];
    if let (Some(i), Some(d)) = (&info, description) {
        if i.description.as_deref().unwrap_or("") != d {
            warnings.push(format!(
                "policy {name} has the description {:?}, not {d:?}; IAM cannot change a policy's \
                 description (recreate the policy to change it)",
                i.description.as_deref().unwrap_or("")
            ));
        }
    }
    let outcome = |status_ok: bool| {
        if status_ok {
            Outcome::ok(summary.clone())
        } else {
            Outcome::change(ctx.mode, summary.clone()).with_diff(diff.clone())
        }
    };
    let done = |arn: Planned<String>, version: Planned<String>, o: Outcome| EnsuredPolicy {
        arn,
        version,
        outcome: o,
        warnings: warnings.clone(),
    };
    let known = |s: &str| Planned::Known(s.to_string());
    let text = document.to_string();
    match plan {
        PolicyPlan::Keep { version } => Ok(done(known(&arn), known(&version), outcome(true))),
        PolicyPlan::Create if ctx.mode.is_check() => {
            Ok(done(Planned::Unknown, Planned::Unknown, outcome(false)))
        }
        PolicyPlan::Create => {
            let res = clients
                .iam
                .create_policy()
                .policy_name(name)
                .path(path)
                .policy_document(&text)
                .set_description(description.map(str::to_string))
                .send()
                .await;
            let p = match res {
                Ok(out) => out
                    .policy
                    .unwrap_or_else(|| aws_sdk_iam::types::Policy::builder().build()),
                Err(e) => {
                    let e = fail(clients, "iam:CreatePolicy", e);
                    if e.kind != ErrorKind::Conflict {
                        return Err(e);
                    }
                    let made = created_meanwhile(clients, &arn, name, path, document).await?;
                    return Ok(done(
                        known(&made.arn),
                        known(&made.default_version),
                        outcome(false),
                    ));
                }
            };
            Ok(done(
                known(p.arn().unwrap_or(&arn)),
                known(p.default_version_id().unwrap_or("v1")),
                outcome(false),
            ))
        }
        PolicyPlan::SetDefault { to, .. } => {
            if ctx.mode.is_apply() {
                clients
                    .iam
                    .set_default_policy_version()
                    .policy_arn(&arn)
                    .version_id(&to)
                    .send()
                    .await
                    .map_err(|e| fail(clients, "iam:SetDefaultPolicyVersion", e))?;
            }
            Ok(done(known(&arn), known(&to), outcome(false)))
        }
        PolicyPlan::NewVersion { .. } if ctx.mode.is_check() => {
            Ok(done(known(&arn), Planned::Unknown, outcome(false)))
        }
        PolicyPlan::NewVersion { delete_first } => {
            if let Some(old) = &delete_first {
                let deleted = clients
                    .iam
                    .delete_policy_version()
                    .policy_arn(&arn)
                    .version_id(old)
                    .send()
                    .await
                    .map_err(|e| fail(clients, "iam:DeletePolicyVersion", e));
                match deleted {
                    // Deleted meanwhile by someone else: the room is made all the same.
                    Err(e) if !is_not_found(&e) => return Err(e),
                    _ => {}
                }
            }
            let id = create_version_once(clients, &arn, &text, document).await?;
            Ok(done(known(&arn), known(&id), outcome(false)))
        }
    }
}

/// After `CreatePolicy` answered that the name exists although the policy
/// was not there a moment before: the SDK retries a call whose answer was
/// lost, so the policy may be the one this run's first attempt made. It is
/// taken as made when it is at `arn` (same name and path) with the desired
/// document; otherwise the error says which policy is in the way.
async fn created_meanwhile(
    clients: &Clients,
    arn: &str,
    name: &str,
    path: &str,
    document: &Value,
) -> HostResult<PolicyInfo> {
    let mut found = policy_by_arn(clients, arn).await?;
    if found.is_none() {
        // IAM is eventually consistent: a policy made a moment ago may not show yet.
        once::settle().await;
        found = policy_by_arn(clients, arn).await?;
    }
    match found {
        Some(p) if policy::same(&p.document, document) => Ok(p),
        Some(p) => Err(HostError::new(
            ErrorKind::Conflict,
            format!(
                "policy {name} (path {path}) appeared while this run was creating it, with another \
                 document (default version {}): another run or person made it meanwhile",
                p.default_version
            ),
        )
        .with_hint("run again: the rerun finds the policy and gives it the wanted document")),
        None => Err(HostError::new(
            ErrorKind::Conflict,
            format!("a policy named {name} already exists under another path than {path}"),
        )
        .with_hint(format!(
            "policy names are unique per account whatever the path: find it with `aws iam \
             list-policies --scope Local --query \"Policies[?PolicyName=='{name}']\"`, then use \
             its path (opts.path) or choose another policy name"
        ))),
    }
}

async fn version_ids(clients: &Clients, arn: &str) -> HostResult<Vec<(String, bool)>> {
    let listed = clients
        .iam
        .list_policy_versions()
        .policy_arn(arn)
        .send()
        .await
        .map_err(|e| fail(clients, "iam:ListPolicyVersions", e))?;
    Ok(listed
        .versions()
        .iter()
        .map(|v| {
            (
                v.version_id().unwrap_or_default().to_string(),
                v.is_default_version(),
            )
        })
        .collect())
}

/// `CreatePolicyVersion` (as the default) without blind retries (see
/// `once.rs`): after a failure whose outcome is unknown, a version that
/// appeared meanwhile with the desired document is the one this call made,
/// so it is used (made the default if it is not), and no second one is made.
async fn create_version_once(
    clients: &Clients,
    arn: &str,
    text: &str,
    desired: &Value,
) -> HostResult<String> {
    let before = version_ids(clients, arn).await?;
    let max = once::attempts(clients);
    let mut n = 1;
    loop {
        let res = clients
            .iam
            .create_policy_version()
            .policy_arn(arn)
            .policy_document(text)
            .set_as_default(true)
            .customize()
            .config_override(once::no_retry())
            .send()
            .await;
        let err = match res {
            Ok(out) => {
                return Ok(out
                    .policy_version()
                    .and_then(|v| v.version_id())
                    .unwrap_or_default()
                    .to_string());
            }
            Err(e) => e,
        };
        if once::throttled(&err) && n < max {
            once::settle().await;
            n += 1;
            continue;
        }
        let unsure = once::ambiguous(&err);
        let e = fail(clients, "iam:CreatePolicyVersion", err);
        if !unsure {
            return Err(if e.kind == ErrorKind::LimitExceeded {
                e.with_hint("a policy keeps at most 5 versions: delete an unused one")
            } else {
                e
            });
        }
        once::settle().await;
        for (id, is_default) in version_ids(clients, arn).await? {
            if before.iter().any(|(b, _)| *b == id) {
                continue;
            }
            let document = match version_document(clients, arn, &id).await {
                Ok(d) => d,
                Err(e) if is_not_found(&e) => continue,
                Err(e) => return Err(e),
            };
            if !policy::same(&document, desired) {
                continue;
            }
            if !is_default {
                clients
                    .iam
                    .set_default_policy_version()
                    .policy_arn(arn)
                    .version_id(&id)
                    .send()
                    .await
                    .map_err(|e| fail(clients, "iam:SetDefaultPolicyVersion", e))?;
            }
            return Ok(id);
        }
        if n >= max {
            return Err(e);
        }
        n += 1;
    }
}

/// A before/after view of two documents for `--diff`, both normalised the
/// way the comparison sees them, so the plan shows exactly what differs.
fn diff(name: &str, before: Option<&Value>, after: &Value) -> String {
    let pretty =
        |v: &Value| serde_json::to_string_pretty(&policy::normalized(v)).unwrap_or_default();
    crate::host::fs::diff::line_diff(
        &format!("policy {name}"),
        before.map(pretty).as_deref(),
        &pretty(after),
        false,
    )
}
