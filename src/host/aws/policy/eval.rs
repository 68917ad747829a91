//! Whether one identity-policy document allows an action on resources, read
//! from the document alone (no other policies, permission boundaries, SCPs or
//! resource policies). Pure; `iam::allows` in scripts.
//!
//! The rules, which err towards "not allowed" wherever the document alone
//! cannot tell:
//! - A resource is allowed when an `Allow` statement without a `Condition`
//!   covers both the action and the resource, and no `Deny` statement may
//!   apply to them. A `Deny` with a `Condition` counts as applying: the
//!   condition may hold.
//! - `Action`/`NotAction` and `Resource`/`NotResource` are a string or a list
//!   of patterns with `*` (any run of characters) and `?` (one character).
//!   Actions match without regard to case, resources with it.
//! - A resource asked about may itself be a pattern (`*`, `arn:…:secret:db-*`):
//!   it is allowed only when a statement covers every name it stands for, and
//!   a `Deny` applies when it could match any of them. So a `Deny` on one
//!   secret means `*` is not allowed. (Secret names hold no `*` or `?`, so
//!   nothing is lost by reading them as wildcards.)
//! - In a `2012-10-17` document, a policy variable (`${aws:username}`) in a
//!   resource cannot be resolved here: an `Allow` pattern holding one covers
//!   nothing, a `Deny` pattern holding one may match anything. `${*}`, `${?}`
//!   and `${$}` stand for those characters.
//! - A statement that IAM would refuse (no or both of `Action`/`NotAction`,
//!   or of `Resource`/`NotResource`, an `Effect` other than `Allow`/`Deny`,
//!   a pattern that is not a string) is not counted.

use serde_json::Value;

use super::pattern::Pattern;
use super::{POLICY_VERSION, normalize};
use crate::host::{HostError, HostResult};

/// True when `doc` allows `action` on every one of `resources`.
pub fn allows(doc: &Value, action: &str, resources: &[String]) -> HostResult<bool> {
    if action.trim().is_empty() {
        return Err(HostError::invalid("iam::allows: no action given"));
    }
    if resources.is_empty() || resources.iter().any(|r| r.trim().is_empty()) {
        return Err(HostError::invalid(
            "iam::allows: a resource is missing or empty; use [\"*\"] for all resources",
        ));
    }
    let doc = normalize(doc);
    let variables = doc.get("Version").and_then(Value::as_str) == Some(POLICY_VERSION);
    let statements: Vec<Statement> = doc
        .get("Statement")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| Statement::read(s, variables))
                .collect()
        })
        .unwrap_or_default();
    let action = Pattern::new(&action.to_ascii_lowercase(), false);
    Ok(resources.iter().all(|r| {
        let r = Pattern::new(r, false);
        statements.iter().any(|s| s.allows(&action, &r))
            && !statements.iter().any(|s| s.may_deny(&action, &r))
    }))
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Effect {
    Allow,
    Deny,
}

/// `Action` or `Resource` (one of the patterns), or their `Not…` form (none of them).
#[derive(Debug)]
enum Matcher {
    OneOf(Vec<Pattern>),
    NoneOf(Vec<Pattern>),
}

impl Matcher {
    fn read(stmt: &Value, key: &str, variables: bool) -> Option<Matcher> {
        let patterns = |v: &Value| -> Option<Vec<Pattern>> {
            // normalize() made every form a list.
            v.as_array()?
                .iter()
                .map(|p| p.as_str().map(|s| Pattern::new(s, variables)))
                .collect()
        };
        match (stmt.get(key), stmt.get(format!("Not{key}"))) {
            (Some(v), None) => patterns(v).map(Matcher::OneOf),
            (None, Some(v)) => patterns(v).map(Matcher::NoneOf),
            _ => None,
        }
    }

    /// Certainly matches every name `q` stands for.
    fn covers(&self, q: &Pattern) -> bool {
        match self {
            Matcher::OneOf(ps) => ps.iter().any(|p| p.covers(q)),
            Matcher::NoneOf(ps) => ps.iter().all(|p| !p.intersects(q)),
        }
    }

    /// May match some name `q` stands for.
    fn may_match(&self, q: &Pattern) -> bool {
        match self {
            Matcher::OneOf(ps) => ps.iter().any(|p| p.intersects(q)),
            Matcher::NoneOf(ps) => !ps.iter().any(|p| p.covers(q)),
        }
    }
}

#[derive(Debug)]
struct Statement {
    effect: Effect,
    actions: Matcher,
    resources: Matcher,
    conditional: bool,
}

impl Statement {
    fn read(stmt: &Value, variables: bool) -> Option<Statement> {
        let effect = match stmt.get("Effect")?.as_str()? {
            "Allow" => Effect::Allow,
            "Deny" => Effect::Deny,
            _ => return None,
        };
        let conditional = match stmt.get("Condition") {
            None | Some(Value::Null) => false,
            Some(Value::Object(m)) => !m.is_empty(),
            Some(_) => true,
        };
        Some(Statement {
            effect,
            // Actions carry no policy variables; normalize() lower-cased them.
            actions: Matcher::read(stmt, "Action", false)?,
            resources: Matcher::read(stmt, "Resource", variables)?,
            conditional,
        })
    }

    fn allows(&self, action: &Pattern, resource: &Pattern) -> bool {
        self.effect == Effect::Allow
            && !self.conditional
            && self.actions.covers(action)
            && self.resources.covers(resource)
    }

    fn may_deny(&self, action: &Pattern, resource: &Pattern) -> bool {
        self.effect == Effect::Deny
            && self.actions.may_match(action)
            && self.resources.may_match(resource)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const GET: &str = "secretsmanager:GetSecretValue";
    const DB: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-prod-AbCdEf";
    const OTHER: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:other-AbCdEf";
    const SECRETS: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:*";

    fn ok(doc: &Value, action: &str, resources: &[&str]) -> bool {
        let resources: Vec<String> = resources.iter().map(|r| r.to_string()).collect();
        allows(doc, action, &resources).unwrap()
    }

    fn doc(statements: Value) -> Value {
        json!({"Version": "2012-10-17", "Statement": statements})
    }

    fn allow(action: Value, resource: Value) -> Value {
        json!({"Effect": "Allow", "Action": action, "Resource": resource})
    }

    #[test]
    fn the_document_runbook_writes_allows_what_it_says() {
        let star = super::super::document(&[GET.into()], &["*".into()]).unwrap();
        assert!(ok(&star, GET, &["*"]));
        assert!(ok(&star, GET, &[DB, OTHER]));
        assert!(!ok(&star, "secretsmanager:ListSecrets", &["*"]));
        let narrow = super::super::document(&[GET.into()], &[DB.into()]).unwrap();
        assert!(ok(&narrow, GET, &[DB]));
        assert!(!ok(&narrow, GET, &["*"]));
        assert!(
            !ok(&narrow, GET, &[DB, OTHER]),
            "every resource must be allowed"
        );
    }

    #[test]
    fn actions_match_with_wildcards_and_without_regard_to_case() {
        for pattern in [
            "*",
            "secretsmanager:*",
            "SecretsManager:Get*",
            "secretsmanager:GetSecret?alue",
            "secretsmanager:*Value",
        ] {
            let d = doc(json!([allow(json!(pattern), json!("*"))]));
            assert!(ok(&d, GET, &["*"]), "{pattern}");
            assert!(ok(&d, "SECRETSMANAGER:getsecretvalue", &["*"]), "{pattern}");
        }
        for pattern in [
            "secretsmanager:List*",
            "s3:*",
            "secretsmanager:GetSecret",
            "secretsmanager:?",
        ] {
            let d = doc(json!([allow(json!(pattern), json!("*"))]));
            assert!(!ok(&d, GET, &["*"]), "{pattern}");
        }
        // A list allows when one of its patterns does.
        let d = doc(json!([allow(
            json!(["s3:GetObject", "secretsmanager:Get*"]),
            json!("*")
        )]));
        assert!(ok(&d, GET, &["*"]));
    }

    #[test]
    fn resources_match_with_wildcards_and_with_regard_to_case() {
        let d = doc(json!([allow(
            json!(GET),
            json!("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-*")
        )]));
        assert!(ok(&d, GET, &[DB]));
        assert!(!ok(&d, GET, &[OTHER]));
        assert!(!ok(&d, GET, &[&DB.to_uppercase()]));
        // `*` asked means every resource: only a statement on every resource allows it.
        assert!(!ok(&d, GET, &["*"]));
        let q = doc(json!([allow(
            json!(GET),
            json!("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-prod-??????")
        )]));
        assert!(ok(&q, GET, &[DB]));
        assert!(!ok(
            &q,
            GET,
            &["arn:aws:secretsmanager:us-east-1:123456789012:secret:db-prod-AbC"]
        ));
    }

    #[test]
    fn a_pattern_asked_about_needs_a_statement_covering_all_it_stands_for() {
        let all = doc(json!([allow(json!(GET), json!(SECRETS))]));
        let db_star = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-*";
        assert!(ok(&all, GET, &[db_star]));
        let one = doc(json!([allow(json!(GET), json!(DB))]));
        assert!(!ok(&one, GET, &[db_star]));
        assert!(ok(
            &doc(json!([allow(json!(GET), json!(db_star))])),
            GET,
            &[db_star]
        ));
        // `?` in a statement stands for one character, never for a `*` asked about.
        let single = doc(json!([allow(
            json!(GET),
            json!("arn:aws:secretsmanager:us-east-1:123456789012:secret:d?")
        )]));
        assert!(!ok(
            &single,
            GET,
            &["arn:aws:secretsmanager:us-east-1:123456789012:secret:d*"]
        ));
    }

    #[test]
    fn a_deny_wins_and_a_deny_on_one_secret_means_not_all() {
        let d = doc(json!([
            allow(json!("secretsmanager:*"), json!("*")),
            {"Effect": "Deny", "Action": GET, "Resource": DB},
        ]));
        assert!(!ok(&d, GET, &[DB]));
        assert!(ok(&d, GET, &[OTHER]));
        assert!(!ok(&d, GET, &["*"]), "the Deny applies to part of *");
        assert!(ok(&d, "secretsmanager:DescribeSecret", &[DB]));
        let broad = doc(json!([
            allow(json!(GET), json!("*")),
            {"Effect": "Deny", "Action": "secretsmanager:*", "Resource": SECRETS},
        ]));
        assert!(!ok(&broad, GET, &[DB]));
    }

    #[test]
    fn conditions_are_not_evaluated_an_allow_with_one_does_not_count_a_deny_does() {
        let cond = json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}});
        let d =
            doc(json!([{"Effect": "Allow", "Action": GET, "Resource": "*", "Condition": cond}]));
        assert!(!ok(&d, GET, &["*"]));
        let d = doc(json!([
            allow(json!(GET), json!("*")),
            {"Effect": "Deny", "Action": GET, "Resource": "*", "Condition": cond},
        ]));
        assert!(!ok(&d, GET, &["*"]));
        // An empty condition block is no condition.
        let d = doc(json!([{"Effect": "Allow", "Action": GET, "Resource": "*", "Condition": {}}]));
        assert!(ok(&d, GET, &["*"]));
    }

    #[test]
    fn not_action_and_not_resource() {
        let d = doc(json!([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]));
        assert!(ok(&d, GET, &["*"]));
        assert!(!ok(&d, "iam:CreateUser", &["*"]));
        let d =
            doc(json!([{"Effect": "Allow", "NotAction": "secretsmanager:Get*", "Resource": "*"}]));
        assert!(!ok(&d, GET, &["*"]));

        let admin = "arn:aws:secretsmanager:us-east-1:123456789012:secret:admin-*";
        let d = doc(json!([{"Effect": "Allow", "Action": GET, "NotResource": admin}]));
        assert!(ok(&d, GET, &[DB]));
        assert!(!ok(
            &d,
            GET,
            &["arn:aws:secretsmanager:us-east-1:123456789012:secret:admin-x"]
        ));
        assert!(!ok(&d, GET, &["*"]));

        // Deny everything but the db secrets: they stay allowed, the others do not.
        let db = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-*";
        let d = doc(json!([
            allow(json!(GET), json!("*")),
            {"Effect": "Deny", "Action": GET, "NotResource": db},
        ]));
        assert!(ok(&d, GET, &[DB]));
        assert!(!ok(&d, GET, &[OTHER]));
        // Deny every action but reading secrets.
        let d = doc(json!([
            allow(json!("*"), json!("*")),
            {"Effect": "Deny", "NotAction": "secretsmanager:GetSecretValue", "Resource": "*"},
        ]));
        assert!(ok(&d, GET, &["*"]));
        assert!(!ok(&d, "s3:GetObject", &["*"]));
    }

    #[test]
    fn document_forms_are_read_as_iam_reads_them() {
        // One statement object rather than a list, strings rather than lists, a Sid.
        let single = json!({"Version": "2012-10-17", "Statement":
            {"Sid": "VisualEditor0", "Effect": "Allow", "Action": GET, "Resource": "*"}});
        assert!(ok(&single, GET, &["*"]));
        // As real AWS returns it: URL-encoded.
        let encoded = super::super::parse(
            "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C\
             %22Action%22%3A%5B%22secretsmanager%3AGetSecretValue%22%5D%2C%22Resource%22%3A%5B%22%2A%22%5D%7D%5D%7D",
        )
        .unwrap();
        assert!(ok(&encoded, GET, &["*"]));
        // No statements, or only statements IAM would refuse: nothing is allowed.
        for d in [
            json!({}),
            json!({"Version": "2012-10-17"}),
            json!("text"),
            doc(json!([{"Action": GET, "Resource": "*"}])),
            doc(json!([{"Effect": "allow", "Action": GET, "Resource": "*"}])),
            doc(json!([{"Effect": "Allow", "Resource": "*"}])),
            doc(json!([{"Effect": "Allow", "Action": GET}])),
            doc(json!([{"Effect": "Allow", "Action": GET, "NotAction": "s3:*", "Resource": "*"}])),
            doc(json!([{"Effect": "Allow", "Action": [GET, 7], "Resource": "*"}])),
            doc(json!(["not a statement"])),
        ] {
            assert!(!ok(&d, GET, &["*"]), "{d}");
        }
    }

    #[test]
    fn policy_variables_are_unknown_values() {
        let own = "arn:aws:secretsmanager:us-east-1:123456789012:secret:${aws:username}-*";
        let d = doc(json!([allow(json!(GET), json!(own))]));
        assert!(
            !ok(&d, GET, &[DB]),
            "an Allow on a variable covers nothing here"
        );
        let d = doc(
            json!([allow(json!(GET), json!("*")), {"Effect": "Deny", "Action": GET, "Resource": own}]),
        );
        assert!(!ok(&d, GET, &[DB]), "a Deny on a variable may apply");
        // Escapes stand for the character itself, not for a wildcard.
        let star = doc(json!([allow(
            json!(GET),
            json!("arn:aws:secretsmanager:us-east-1:123456789012:secret:a${*}b")
        )]));
        assert!(!ok(
            &star,
            GET,
            &["arn:aws:secretsmanager:us-east-1:123456789012:secret:axb"]
        ));
        let dollar = doc(json!([allow(json!(GET), json!("a${$}b"))]));
        assert!(ok(&dollar, GET, &["a$b"]));
        // The 2008 language has no variables: `${` is text.
        let old =
            json!({"Version": "2008-10-17", "Statement": [allow(json!(GET), json!("a${x}"))]});
        assert!(ok(&old, GET, &["a${x}"]));
    }

    #[test]
    fn an_empty_question_is_an_error() {
        let d = doc(json!([allow(json!(GET), json!("*"))]));
        assert!(allows(&d, "", &["*".into()]).is_err());
        assert!(allows(&d, GET, &[]).is_err());
        assert!(allows(&d, GET, &[" ".into()]).is_err());
    }
}
