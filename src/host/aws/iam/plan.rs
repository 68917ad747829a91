//! Pure planners for a managed policy: compare what is with what is wanted and
//! say what to do, without I/O, so every case is unit-tested.

use serde_json::Value;

use crate::host::Mode;
use crate::host::aws::policy;

/// AWS keeps at most this many versions of a managed policy.
pub const MAX_POLICY_VERSIONS: usize = 5;

/// One version of a managed policy, as listed by IAM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyVersion {
    /// `v1`, `v2` …
    pub id: String,
    pub is_default: bool,
    /// Seconds since the epoch.
    pub created: i64,
}

/// What to do to make the desired document the policy's default version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionPlan {
    /// The default version already matches.
    Keep,
    /// An older version matches: make it the default again.
    SetDefault(String),
    /// Create a new default version, deleting `delete_first` before, to stay
    /// within AWS's limit of 5 versions.
    Create { delete_first: Option<String> },
}

/// Plans the change given the versions and which of them (if any) matches.
/// The default version is never deleted; among the others the oldest goes.
pub fn plan_versions(versions: &[PolicyVersion], matching: Option<&str>) -> VersionPlan {
    if let Some(m) = matching {
        return match versions.iter().find(|v| v.id == m) {
            Some(v) if v.is_default => VersionPlan::Keep,
            _ => VersionPlan::SetDefault(m.to_string()),
        };
    }
    let delete_first = if versions.len() >= MAX_POLICY_VERSIONS {
        versions
            .iter()
            .filter(|v| !v.is_default)
            .min_by(|a, b| {
                a.created
                    .cmp(&b.created)
                    .then_with(|| version_number(&a.id).cmp(&version_number(&b.id)))
            })
            .map(|v| v.id.clone())
    } else {
        None
    };
    VersionPlan::Create { delete_first }
}

fn version_number(id: &str) -> u64 {
    id.trim_start_matches('v').parse().unwrap_or(u64::MAX)
}

/// A managed policy as it is now.
#[derive(Clone, Debug, PartialEq)]
pub struct CurrentPolicy {
    pub default_version: String,
    /// The default version's document.
    pub document: Value,
    /// Every version, with its document where it was read: the non-default
    /// versions are read only when the default one differs from the desired.
    pub versions: Vec<(PolicyVersion, Option<Value>)>,
}

/// What `ensure_policy` must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyPlan {
    /// No such policy: create it.
    Create,
    /// The default version already says what is wanted.
    Keep { version: String },
    /// An older version says it: make that one the default again.
    SetDefault { from: String, to: String },
    /// Add a new default version, first deleting `delete_first` at the limit.
    NewVersion { delete_first: Option<String> },
}

/// Plans `ensure_policy` from the facts; documents are compared by meaning.
pub fn plan_policy(current: Option<&CurrentPolicy>, desired: &Value) -> PolicyPlan {
    let Some(c) = current else {
        return PolicyPlan::Create;
    };
    if policy::same(&c.document, desired) {
        return PolicyPlan::Keep {
            version: c.default_version.clone(),
        };
    }
    let matching = c
        .versions
        .iter()
        .find(|(v, doc)| !v.is_default && doc.as_ref().is_some_and(|d| policy::same(d, desired)))
        .map(|(v, _)| v.id.as_str());
    let list: Vec<PolicyVersion> = c.versions.iter().map(|(v, _)| v.clone()).collect();
    match plan_versions(&list, matching) {
        VersionPlan::Keep => PolicyPlan::Keep {
            version: c.default_version.clone(),
        },
        VersionPlan::SetDefault(to) => PolicyPlan::SetDefault {
            from: c.default_version.clone(),
            to,
        },
        VersionPlan::Create { delete_first } => PolicyPlan::NewVersion { delete_first },
    }
}

impl PolicyPlan {
    pub fn is_change(&self) -> bool {
        !matches!(self, PolicyPlan::Keep { .. })
    }

    /// The one-line report of the plan for policy `name`, worded for the mode.
    pub fn summary(&self, name: &str, mode: Mode) -> String {
        match self {
            PolicyPlan::Create if mode.is_check() => format!("create policy {name}"),
            PolicyPlan::Create => format!("created policy {name}"),
            PolicyPlan::Keep { version } => format!("policy {name} is up to date ({version})"),
            PolicyPlan::SetDefault { from, to } => {
                format!("policy {name}: default version {from} -> existing {to}")
            }
            PolicyPlan::NewVersion { delete_first } => {
                let pruned = delete_first
                    .as_ref()
                    .map(|d| format!(", deleting the oldest version {d} (5 is the limit)"))
                    .unwrap_or_default();
                format!("policy {name}: new default version{pruned}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(id: &str, is_default: bool, created: i64) -> PolicyVersion {
        PolicyVersion {
            id: id.into(),
            is_default,
            created,
        }
    }

    #[test]
    fn plans_versions() {
        let two = [v("v1", false, 1), v("v2", true, 2)];
        assert_eq!(plan_versions(&two, Some("v2")), VersionPlan::Keep);
        assert_eq!(
            plan_versions(&two, Some("v1")),
            VersionPlan::SetDefault("v1".into())
        );
        assert_eq!(
            plan_versions(&two, None),
            VersionPlan::Create { delete_first: None }
        );
        // At the limit the oldest non-default goes, never the default, even if older.
        let five = [
            v("v3", true, 1),
            v("v4", false, 4),
            v("v5", false, 3),
            v("v6", false, 5),
            v("v7", false, 6),
        ];
        assert_eq!(
            plan_versions(&five, None),
            VersionPlan::Create {
                delete_first: Some("v5".into())
            }
        );
        // Same timestamp (moto's second resolution): the lower number is older.
        let same_time = [
            v("v1", false, 7),
            v("v2", false, 7),
            v("v3", false, 7),
            v("v4", false, 7),
            v("v5", true, 7),
        ];
        assert_eq!(
            plan_versions(&same_time, None),
            VersionPlan::Create {
                delete_first: Some("v1".into())
            }
        );
    }

    fn doc(action: &str) -> Value {
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": action, "Resource": "*"}
        ]})
    }

    fn current(default: &str, versions: &[(&str, bool, i64, Option<&str>)]) -> CurrentPolicy {
        let default_doc = versions
            .iter()
            .find(|(id, ..)| *id == default)
            .and_then(|(.., d)| d.map(doc))
            .unwrap();
        CurrentPolicy {
            default_version: default.into(),
            document: default_doc,
            versions: versions
                .iter()
                .map(|(id, is_default, created, d)| (v(id, *is_default, *created), d.map(doc)))
                .collect(),
        }
    }

    #[test]
    fn plans_a_policy_from_its_facts() {
        let want = doc("secretsmanager:GetSecretValue");
        assert_eq!(plan_policy(None, &want), PolicyPlan::Create);

        let same = current(
            "v1",
            &[("v1", true, 1, Some("secretsmanager:GetSecretValue"))],
        );
        assert_eq!(
            plan_policy(Some(&same), &want),
            PolicyPlan::Keep {
                version: "v1".into()
            }
        );
        // Case and a lone string versus a list do not make a difference.
        let alike = current(
            "v1",
            &[("v1", true, 1, Some("SecretsManager:getSecretValue"))],
        );
        assert!(!plan_policy(Some(&alike), &want).is_change());

        let older = current(
            "v2",
            &[
                ("v1", false, 1, Some("secretsmanager:GetSecretValue")),
                ("v2", true, 2, Some("s3:GetObject")),
            ],
        );
        assert_eq!(
            plan_policy(Some(&older), &want),
            PolicyPlan::SetDefault {
                from: "v2".into(),
                to: "v1".into()
            }
        );

        let full = current(
            "v5",
            &[
                ("v1", false, 1, Some("s3:A")),
                ("v2", false, 2, Some("s3:B")),
                ("v3", false, 3, Some("s3:C")),
                ("v4", false, 4, Some("s3:D")),
                ("v5", true, 5, Some("s3:E")),
            ],
        );
        let plan = plan_policy(Some(&full), &want);
        assert_eq!(
            plan,
            PolicyPlan::NewVersion {
                delete_first: Some("v1".into())
            }
        );
        assert_eq!(
            plan.summary("read_secrets_policy", Mode::Check),
            "policy read_secrets_policy: new default version, deleting the oldest version v1 (5 is the limit)"
        );
        assert_eq!(
            PolicyPlan::Create.summary("p", Mode::Check),
            "create policy p"
        );
        assert_eq!(
            PolicyPlan::Create.summary("p", Mode::Apply),
            "created policy p"
        );
    }
}
