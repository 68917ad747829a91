//! The AWS fault cases that need a setting of their own.

use super::*;
use crate::common::agent::{host_with_moto, recap};
use crate::common::faults::{Fault, FaultProxy};
use crate::common::moto::{self, Moto};
use crate::common::net::moto_addr;

/// A lost `CreateAccessKey` answer in the setup playbook: IAM made the key,
/// its secret is gone. No second key is made; the orphan is named with its
/// id and the command that deletes it; after that, a rerun converges.
#[test]
fn a_lost_create_access_key_answer_names_the_orphan_and_a_rerun_converges() {
    let Some(_g) = host_with_moto() else { return };
    make_test_secret();
    let n = Names::new("lost-key");
    let fp = FaultProxy::start(&moto_addr());
    fp.on(Some("CreateAccessKey"), Some(1), Fault::ResetAfter);
    let out = run(&n.args(SETUP), Some(&fp.url()));
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(
        fp.calls("CreateAccessKey"),
        1,
        "retried blindly: {:?}",
        fp.seen()
    );
    let ids = keys(&n.user);
    assert_eq!(ids.len(), 1, "a second key was made: {ids:?}");
    let id = ids[0].split(':').next().unwrap();
    assert_eq!(
        n.key_in_file(),
        None,
        "a key without its secret is in the file"
    );
    assert_contains!(
        out.stderr,
        &format!("IAM did create access key {id} for user {}", n.user)
    );
    let delete = format!(
        "aws iam delete-access-key --user-name {} --access-key-id {id}",
        n.user
    );
    assert_contains!(out.stderr, &delete);

    // The advice, then a clean rerun: one key, the file's, and nothing left to do.
    value(&format!(
        "iam::delete_access_key(\"{}\", \"{id}\"); ()",
        n.user
    ));
    let rerun = run(&n.args(SETUP), None);
    assert_eq!(rerun.code, 0, "{}", rerun.all());
    let left = keys(&n.user);
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].starts_with(&n.key_in_file().unwrap()), "{left:?}");
    let mut json = n.args(SETUP);
    json.extend(["--output".into(), "json".into()]);
    let again = run(&json, None);
    assert_eq!(recap(&again)["changed"], 0, "{}", again.all());
}

/// A query-protocol call to moto as the admin, from any thread (the proxy's
/// hooks run on its threads, for the test that holds moto).
fn iam_call(params: &[(&str, &str)]) -> String {
    let body: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect();
    let body = format!("{}&Version=2010-05-08", body.join("&"));
    let auth = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0";
    moto::request(
        "POST",
        "/",
        &[
            ("Authorization", auth),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &body,
    )
    .1
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn urldecode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every `<tag>…</tag>` text of an XML answer.
fn xml_all(body: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let Some(j) = after.find(&close) else { break };
        out.push(after[..j].to_string());
        rest = &after[j + close.len()..];
    }
    out
}

const ACCOUNT: &str = "123456789012";

fn policy_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:policy/{name}")
}

/// The policy's versions: (id, is default, document as JSON).
fn versions(name: &str) -> Vec<(String, bool, serde_json::Value)> {
    let arn = policy_arn(name);
    let list = iam_call(&[("Action", "ListPolicyVersions"), ("PolicyArn", &arn)]);
    let ids = xml_all(&list, "VersionId");
    ids.into_iter()
        .map(|id| {
            let v = iam_call(&[
                ("Action", "GetPolicyVersion"),
                ("PolicyArn", &arn),
                ("VersionId", &id),
            ]);
            let doc = xml_all(&v, "Document").pop().unwrap_or_default();
            let doc = doc
                .replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&apos;", "'")
                .replace("&amp;", "&");
            let doc: serde_json::Value = serde_json::from_str(&urldecode(&doc))
                .unwrap_or_else(|e| panic!("version {id} of {name}: {e}: {v}"));
            let default =
                xml_all(&v, "IsDefaultVersion").first().map(String::as_str) == Some("true");
            (id, default, norm(&doc))
        })
        .collect()
}

/// A document as IAM compares it: `Action` and `Resource` as sorted lists.
fn norm(doc: &serde_json::Value) -> serde_json::Value {
    let mut d = doc.clone();
    for st in d["Statement"].as_array_mut().into_iter().flatten() {
        for k in ["Action", "Resource"] {
            let mut list: Vec<String> = match &st[k] {
                serde_json::Value::String(s) => vec![s.clone()],
                serde_json::Value::Array(a) => a
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                _ => vec![],
            };
            list.sort();
            st[k] = serde_json::json!(list);
        }
    }
    d
}

fn document(resource: &str) -> serde_json::Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": [resource]}]
    })
}

/// A policy with 5 versions, each with another document (made straight
/// through the IAM API, not by a playbook): v5 is the default.
fn policy_at_the_limit(name: &str) {
    let docs: Vec<String> = (1..=5)
        .map(|i| {
            document(&format!(
                "arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:old-{i}-AbCdEf"
            ))
            .to_string()
        })
        .collect();
    let out = iam_call(&[
        ("Action", "CreatePolicy"),
        ("PolicyName", name),
        ("PolicyDocument", &docs[0]),
    ]);
    assert_contains!(out, "<Arn>");
    for d in &docs[1..] {
        let out = iam_call(&[
            ("Action", "CreatePolicyVersion"),
            ("PolicyArn", &policy_arn(name)),
            ("PolicyDocument", d),
            ("SetAsDefault", "true"),
        ]);
        assert_contains!(out, "<VersionId>");
    }
    let v = versions(name);
    assert_eq!(v.len(), 5, "{v:?}");
    assert!(v.iter().any(|(id, d, _)| id == "v5" && *d), "{v:?}");
}

/// `alation-agent/iam-user` (the cloud side: no root, no Agent) for `user`,
/// its key handed over into a file of `dir`.
fn iam_user_args(user: &str, policy: &str, dir: &std::path::Path) -> Vec<String> {
    vec![
        "run".into(),
        "alation-agent/iam-user".into(),
        "--set".into(),
        format!("user_name={user}"),
        "--set".into(),
        format!("policy_name={policy}"),
        "--set".into(),
        format!("handover_file={}", dir.join("key.ini").display()),
    ]
}

/// The policy step at the 5-version limit while another party deletes a
/// version: `delete` is the hook's moment (which call, before or after moto
/// saw it) and which version it deletes (`None`: the one runbook deletes).
fn at_the_limit_with_a_concurrent_deletion(action: &str, after: bool, delete: Option<&str>) {
    let Some(_m) = Moto::fresh() else { return };
    let policy = format!("limit-{}", action.to_ascii_lowercase());
    policy_at_the_limit(&policy);
    let fp = FaultProxy::start(&moto_addr());
    let arn = policy_arn(&policy);
    let fixed = delete.map(str::to_string);
    fp.hook(action, 1, after, move |body| {
        // The version runbook is deleting, from its own request, or the one given.
        let id = fixed.clone().unwrap_or_else(|| {
            body.split('&')
                .find_map(|kv| kv.strip_prefix("VersionId="))
                .unwrap_or("v1")
                .to_string()
        });
        iam_call(&[
            ("Action", "DeletePolicyVersion"),
            ("PolicyArn", &arn),
            ("VersionId", &id),
        ]);
    });
    let dir = tempfile::tempdir().unwrap();
    let args = iam_user_args("limit-u", &policy, dir.path());
    let out = run(&args, Some(&fp.url()));
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        fp.log().iter().any(|s| s.action == action),
        "the hook's call never came: {:?}",
        fp.seen()
    );
    let v = versions(&policy);
    assert!(v.len() <= 5, "{} versions: {v:?}", v.len());
    let want = document("*");
    let defaults: Vec<_> = v.iter().filter(|(_, d, _)| *d).collect();
    assert_eq!(defaults.len(), 1, "{v:?}");
    assert_eq!(
        defaults[0].2, want,
        "the default version is not the wanted document: {v:?}"
    );
    for (i, a) in v.iter().enumerate() {
        for b in &v[i + 1..] {
            assert_ne!(
                a.2, b.2,
                "versions {} and {} have the same document",
                a.0, b.0
            );
        }
    }
    // Converged: the rerun changes nothing.
    let mut json = args.clone();
    json.extend(["--output".into(), "json".into()]);
    let again = run(&json, None);
    assert_eq!(again.code, 0, "{}", again.all());
    assert_eq!(recap(&again)["changed"], 0, "{}", again.stdout);
    assert_eq!(versions(&policy).len(), v.len());
}

#[test]
fn create_policy_version_at_the_limit_while_the_version_it_deletes_is_deleted_converges() {
    // Between runbook's plan and its DeletePolicyVersion, someone deletes that version.
    at_the_limit_with_a_concurrent_deletion("DeletePolicyVersion", false, None);
}

#[test]
fn create_policy_version_at_the_limit_while_a_listed_version_is_deleted_converges() {
    // Right after runbook listed the versions, the oldest goes before runbook reads it.
    at_the_limit_with_a_concurrent_deletion("ListPolicyVersions", true, Some("v1"));
}

#[test]
fn create_policy_version_at_the_limit_while_another_version_is_deleted_converges() {
    // While CreatePolicyVersion is on its way, another version goes.
    at_the_limit_with_a_concurrent_deletion("CreatePolicyVersion", false, Some("v3"));
}

/// A throttled `GetSecretValue` while the setup playbook verifies the new
/// key: the SDK retries it; throttled on every attempt, the run fails naming
/// secretsmanager, GetSecretValue and the throttling. The secret is never shown.
#[test]
fn a_throttled_get_secret_value_in_the_verification_is_retried_or_named() {
    let Some(_g) = host_with_moto() else { return };
    let value_text = "fault-test-value-0123456789";
    make_test_secret();
    let n = Names::new("throttled");
    let fp = FaultProxy::start(&moto_addr());
    fp.on(Some("GetSecretValue"), Some(1), Fault::Throttling);
    let out = run(&n.args(SETUP), Some(&fp.url()));
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(fp.calls("GetSecretValue"), 2, "{:?}", fp.seen());
    assert_contains!(out.stdout, &format!("and can read {TEST_SECRET}"));
    assert_not_contains!(out.all(), value_text);

    // Throttled on every attempt: a clear failure, after the SDK's 3 attempts.
    let fp = FaultProxy::start(&moto_addr());
    fp.on(Some("GetSecretValue"), None, Fault::Throttling);
    let out = run(&n.args(SETUP), Some(&fp.url()));
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(fp.calls("GetSecretValue"), 3, "{:?}", fp.seen());
    assert_contains!(out.stderr, "secretsmanager:GetSecretValue failed");
    assert_contains!(out.stderr, "Rate exceeded (ThrottlingException)");
    assert_not_contains!(out.all(), value_text);
}

/// A lost `CreatePolicy` answer: the SDK sends the call again and IAM says
/// the name exists. The policy there, same name, path and document, is the
/// one this run made: the run goes on (issue 18: it used to say "a policy
/// named … already exists under another path").
#[test]
fn a_lost_create_policy_answer_is_taken_as_the_policy_this_run_made() {
    let Some(_m) = Moto::fresh() else { return };
    let fp = FaultProxy::start(&moto_addr());
    fp.on(Some("CreatePolicy"), Some(1), Fault::ResetAfter);
    let dir = tempfile::tempdir().unwrap();
    let args = iam_user_args("lost-policy-u", "lost-policy", dir.path());
    let out = run(&args, Some(&fp.url()));
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(
        fp.calls("CreatePolicy"),
        2,
        "the SDK retries it: {:?}",
        fp.seen()
    );
    assert_not_contains!(out.all(), "under another path");
    assert_contains!(out.stdout, "changed      iam::ensure_policy lost-policy");
    let v = versions("lost-policy");
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].2, document("*"));
    let mut json = args.clone();
    json.extend(["--output".into(), "json".into()]);
    let again = run(&json, None);
    assert_eq!(recap(&again)["changed"], 0, "{}", again.all());
}

/// A throttled call that creates something did nothing: runbook makes it
/// again after a pause (it used to stop: a 400 is no "unknown outcome").
#[test]
fn a_throttled_create_access_key_is_made_again_and_makes_one_key() {
    let Some(_m) = Moto::fresh() else { return };
    let dir = tempfile::tempdir().unwrap();
    let fp = FaultProxy::start(&moto_addr());
    fp.on(Some("CreateAccessKey"), Some(1), Fault::Throttling);
    let args = iam_user_args("throttled-key-u", "throttled-key-p", dir.path());
    let out = run(&args, Some(&fp.url()));
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(fp.calls("CreateAccessKey"), 2, "{:?}", fp.seen());
    let left = keys("throttled-key-u");
    assert_eq!(left.len(), 1, "{left:?}");
}
