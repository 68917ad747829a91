//! IAM policy documents: building, ARN validation, semantic comparison, the
//! version planner, and evaluation (`eval`). Pure functions, unit-tested
//! without AWS.

mod eval;
mod pattern;

use std::cmp::Ordering;

use serde_json::{Map, Value};

use crate::host::{HostError, HostResult};

pub use eval::allows;

/// The policy language version AWS assumes when a document names none.
const DEFAULT_POLICY_VERSION: &str = "2008-10-17";
/// The version runbook writes.
pub const POLICY_VERSION: &str = "2012-10-17";

/// A document of statements allowing `actions` on `resources`.
///
/// Every resource must be `*` or a Secrets Manager secret ARN, since that is
/// what runbook's policies are for; a typo in an ARN would otherwise silently
/// grant nothing.
pub fn document(actions: &[String], resources: &[String]) -> HostResult<Value> {
    if actions.is_empty() {
        return Err(HostError::invalid("policy_document: no actions given"));
    }
    if resources.is_empty() {
        return Err(HostError::invalid(
            "policy_document: no resources given; use [\"*\"] for all secrets",
        ));
    }
    for a in actions {
        validate_action(a)?;
    }
    for r in resources {
        validate_secret_arn(r)?;
    }
    let list = |v: &[String]| {
        if v.len() == 1 {
            Value::String(v[0].clone())
        } else {
            Value::Array(v.iter().cloned().map(Value::String).collect())
        }
    };
    Ok(serde_json::json!({
        "Version": POLICY_VERSION,
        "Statement": [{
            "Effect": "Allow",
            "Action": list(actions),
            "Resource": list(resources),
        }]
    }))
}

fn validate_action(action: &str) -> HostResult<()> {
    let ok = match action.split_once(':') {
        Some((service, name)) => {
            !service.is_empty()
                && service
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '*')
        }
        None => action == "*",
    };
    if ok {
        Ok(())
    } else {
        Err(HostError::invalid(format!(
            "action '{action}' is not valid: expected service:Action, e.g. secretsmanager:GetSecretValue"
        )))
    }
}

/// Accepts `*` or `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>`
/// (the name may carry AWS's `-AbCdEf` suffix or end in a `*` pattern).
pub fn validate_secret_arn(arn: &str) -> HostResult<()> {
    if arn == "*" {
        return Ok(());
    }
    let bad = |why: &str| {
        HostError::invalid(format!(
            "resource '{arn}' is not a Secrets Manager secret ARN ({why}): expected \
             arn:<partition>:secretsmanager:<region>:<account>:secret:<name>, or \"*\""
        ))
    };
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    if parts.len() != 7 || parts[0] != "arn" {
        return Err(bad("wrong number of ':'-separated parts"));
    }
    let (partition, service, region, account, kind, name) =
        (parts[1], parts[2], parts[3], parts[4], parts[5], parts[6]);
    if !(partition == "aws" || partition.starts_with("aws-"))
        || !partition
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '-')
    {
        return Err(bad("unknown partition"));
    }
    if service != "secretsmanager" {
        return Err(bad("service is not secretsmanager"));
    }
    // A made-up region (`mars-1`) would make a policy that matches no secret.
    if region != "*" && !crate::runtime::params::checks::is_region(region) {
        return Err(bad(
            "region is missing or not an AWS region such as us-east-1",
        ));
    }
    if !(account == "*" || (account.len() == 12 && account.chars().all(|c| c.is_ascii_digit()))) {
        return Err(bad("account id must be 12 digits"));
    }
    if kind != "secret" {
        return Err(bad("resource type is not 'secret'"));
    }
    if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c == ':') {
        return Err(bad("secret name is missing or malformed"));
    }
    Ok(())
}

/// The region inside a secret ARN, if `id` is one.
pub fn region_of_arn(id: &str) -> Option<&str> {
    let parts: Vec<&str> = id.splitn(7, ':').collect();
    (parts.len() == 7 && parts[0] == "arn" && !parts[3].is_empty()).then(|| parts[3])
}

/// Parses a document as IAM returns it: real AWS URL-encodes documents, moto
/// and the create calls do not.
pub fn parse(text: &str) -> HostResult<Value> {
    let trimmed = text.trim();
    let decoded;
    let json = if trimmed.starts_with('{') {
        trimmed
    } else {
        decoded = percent_encoding::percent_decode_str(trimmed)
            .decode_utf8()
            .map_err(|_| HostError::invalid("policy document is not valid UTF-8 after decoding"))?;
        decoded.as_ref()
    };
    serde_json::from_str(json)
        .map_err(|e| HostError::invalid(format!("policy document is not valid JSON: {e}")))
}

/// True when the two documents grant the same thing, as IAM evaluates them.
pub fn same(a: &Value, b: &Value) -> bool {
    normalize(a) == normalize(b)
}

/// The document as [`same`] compares it, for plans: what is shown is what is checked.
pub fn normalized(doc: &Value) -> Value {
    normalize(doc)
}

/// A canonical form: `Version` defaulted, `Statement` a list of statements
/// without `Sid` (the vendor example's `VisualEditor0` must not count), single
/// strings as one-element lists, lists sorted and deduplicated, action names
/// lower-cased (IAM matches them case-insensitively), statements sorted.
fn normalize(doc: &Value) -> Value {
    let Value::Object(map) = doc else {
        return doc.clone();
    };
    let mut out = Map::new();
    for (k, v) in map {
        match k.as_str() {
            "Statement" => {
                let stmts = match v {
                    Value::Array(a) => a.clone(),
                    other => vec![other.clone()],
                };
                let mut norm: Vec<Value> = stmts.iter().map(normalize_statement).collect();
                norm.sort_by(cmp_values);
                norm.dedup();
                out.insert(k.clone(), Value::Array(norm));
            }
            // Only the policy's id is cosmetic like Sid; it does not affect evaluation.
            "Id" => {}
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    out.entry("Version")
        .or_insert_with(|| Value::String(DEFAULT_POLICY_VERSION.into()));
    Value::Object(out)
}

fn normalize_statement(stmt: &Value) -> Value {
    let Value::Object(map) = stmt else {
        return stmt.clone();
    };
    let mut out = Map::new();
    for (k, v) in map {
        let nv = match k.as_str() {
            "Sid" => continue,
            "Action" | "NotAction" => string_set(v, true),
            "Resource" | "NotResource" => string_set(v, false),
            "Principal" | "NotPrincipal" | "Condition" => deep_sets(v),
            _ => v.clone(),
        };
        out.insert(k.clone(), nv);
    }
    Value::Object(out)
}

/// A string or list of strings as a sorted, deduplicated list.
fn string_set(v: &Value, lowercase: bool) -> Value {
    let items: Vec<Value> = match v {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    let mut items: Vec<Value> = items
        .into_iter()
        .map(|i| match i {
            Value::String(s) if lowercase => Value::String(s.to_ascii_lowercase()),
            other => other,
        })
        .collect();
    items.sort_by(cmp_values);
    items.dedup();
    Value::Array(items)
}

/// In `Principal` and `Condition` maps, every leaf value is a string or a list.
fn deep_sets(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), deep_sets(v))).collect())
        }
        Value::String(_) | Value::Array(_) => string_set(v, false),
        other => other.clone(),
    }
}

fn cmp_values(a: &Value, b: &Value) -> Ordering {
    // serde_json's map is sorted by key, so the serialisation is canonical.
    a.to_string().cmp(&b.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(s: &str) -> Value {
        parse(s).unwrap()
    }

    const VENDOR: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"VisualEditor0","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;

    #[test]
    fn url_encoded_documents_compare_equal_to_plain_ones() {
        // As real AWS returns it from GetPolicyVersion.
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%5B%22secretsmanager%3AGetSecretValue%22%5D%2C%22Resource%22%3A%5B%22%2A%22%5D%7D%5D%7D";
        let built = document(&["secretsmanager:GetSecretValue".into()], &["*".into()]).unwrap();
        assert!(same(&p(encoded), &built));
        assert!(same(&p(encoded), &p(VENDOR)));
        // A missing decode would fail to parse, not compare equal by accident.
        assert!(serde_json::from_str::<Value>(encoded).is_err());
    }

    #[test]
    fn sid_order_and_single_strings_do_not_matter() {
        let a = json!({"Version":"2012-10-17","Statement":[
            {"Sid":"A","Effect":"Allow","Action":["s3:GetObject","secretsmanager:GetSecretValue"],"Resource":["arn:aws:secretsmanager:us-east-1:123456789012:secret:b","arn:aws:secretsmanager:us-east-1:123456789012:secret:a"]},
            {"Effect":"Deny","Action":"iam:*","Resource":"*"}]});
        let b = json!({"Version":"2012-10-17","Statement":[
            {"Effect":"Deny","Action":["iam:*"],"Resource":["*"]},
            {"Sid":"B","Effect":"Allow","Action":["SecretsManager:GetSecretValue","s3:GetObject"],"Resource":["arn:aws:secretsmanager:us-east-1:123456789012:secret:a","arn:aws:secretsmanager:us-east-1:123456789012:secret:b"]}]});
        assert!(same(&a, &b));
        // A single statement object equals a one-element list.
        let single = json!({"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"iam:*","Resource":"*"}});
        let list = json!({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["iam:*"],"Resource":"*"}]});
        assert!(same(&single, &list));
    }

    #[test]
    fn version_defaults_as_aws_does() {
        let none = json!({"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*"}]});
        let old = json!({"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*"}]});
        let new = json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*"}]});
        assert!(same(&none, &old));
        assert!(!same(&none, &new));
    }

    #[test]
    fn real_differences_are_seen() {
        let star = document(&["secretsmanager:GetSecretValue".into()], &["*".into()]).unwrap();
        let narrow = document(
            &["secretsmanager:GetSecretValue".into()],
            &["arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf".into()],
        )
        .unwrap();
        assert!(!same(&star, &narrow));
        let deny = json!({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"secretsmanager:GetSecretValue","Resource":"*"}]});
        assert!(!same(&star, &deny));
    }

    #[test]
    fn validates_secret_arns() {
        for ok in [
            "*",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db*",
            "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:x",
            "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:x",
        ] {
            validate_secret_arn(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in [
            "",
            "db-password",
            "arn:aws:s3:::bucket",
            "arn:aws:secretsmanager:us-east-1:1234:secret:x",
            "arn:aws:secretsmanager::123456789012:secret:x",
            "arn:aws:secretsmanager:us-east-1:123456789012:parameter:x",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:",
            "arn:foo:secretsmanager:us-east-1:123456789012:secret:x",
        ] {
            let e = validate_secret_arn(bad).unwrap_err();
            assert!(e.message.contains("expected arn:"), "{bad}: {}", e.message);
        }
        assert!(document(&["secretsmanager:GetSecretValue".into()], &["nope".into()]).is_err());
        assert!(document(&["GetSecretValue x".into()], &["*".into()]).is_err());
    }

    #[test]
    fn finds_the_region_in_an_arn() {
        assert_eq!(
            region_of_arn("arn:aws:secretsmanager:eu-west-1:123456789012:secret:x"),
            Some("eu-west-1")
        );
        assert_eq!(region_of_arn("db-password"), None);
    }
}
