//! `alation-agent/doctor` end to end, inside the Agent-host sandbox: on a host
//! converged by `alation-agent/secrets-manager-iam-user` it passes; after one
//! breakage at a time it names that failure with its fix; it never changes
//! anything and never prints a secret. Serial: the Agent's containers have
//! fixed names.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::sync::{Mutex, MutexGuard};

const DOCTOR: &str = "alation-agent/doctor";
const SETUP: &str = "alation-agent/secrets-manager-iam-user";
const CRED_DIR: &str = "/etc/hydra/auth/.aws";
const CRED_FILE: &str = "/etc/hydra/auth/.aws/credentials";
const USER: &str = "agent-e2e";
const ADDON: &str = "5.14.0.1968";
const SECRET_NAME: &str = "doctor-db";
const SECRET_VALUE: &str = "doctor-db-password-never-printed";

static LOCK: Mutex<()> = Mutex::new(());

/// Exclusive use of a reset Agent host and moto. Outside the sandbox this
/// fails, unless RUNBOOK_SKIP_SANDBOX=1 says so knowingly (never in CI).
fn agent_host() -> Option<MutexGuard<'static, ()>> {
    let guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let inside =
        Path::new("/run/systemd/system").is_dir() && Path::new("/etc/hydra/sandbox.env").is_file();
    if !inside {
        let skip = std::env::var("RUNBOOK_SKIP_SANDBOX").is_ok_and(|v| v == "1")
            && !std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        if skip {
            eprintln!(
                "SKIPPED knowingly (RUNBOOK_SKIP_SANDBOX=1): not inside the Agent-host sandbox"
            );
            return None;
        }
        panic!(
            "not inside the Agent-host sandbox: run scripts/test.sh (or set RUNBOOK_SKIP_SANDBOX=1 outside CI)"
        );
    }
    moto("POST", "/moto-api/reset", &[], "");
    let _ = Command::new("docker").args(["rm", "-f", "auth"]).output();
    let _ = std::fs::remove_dir_all(CRED_DIR);
    Some(guard)
}

/// One HTTP request to moto, whose address the runner passes in AWS_ENDPOINT_URL.
fn moto(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> String {
    let url = std::env::var("AWS_ENDPOINT_URL")
        .expect("AWS_ENDPOINT_URL (moto) must be set: run scripts/test.sh");
    let host = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let mut s =
        TcpStream::connect(&host).unwrap_or_else(|e| panic!("cannot reach moto at {host}: {e}"));
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\n");
    if !headers.iter().any(|(k, _)| *k == "Content-Type") {
        head.push_str("Content-Type: text/plain\r\n");
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    write!(
        s,
        "{head}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}

/// A call to moto's AWS API as the admin (moto routes by the credential scope
/// and does not verify signatures): for changes runbook has no function for.
fn aws(service: &str, headers: &[(&str, &str)], body: &str) -> String {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"
    );
    let mut all = vec![("Authorization", auth.as_str())];
    all.extend_from_slice(headers);
    moto("POST", "/", &all, body)
}

fn detach_policy(user: &str, policy_arn: &str) {
    let out = aws(
        "iam",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &format!(
            "Action=DetachUserPolicy&Version=2010-05-08&UserName={user}&PolicyArn={}",
            policy_arn.replace(':', "%3A").replace('/', "%2F")
        ),
    );
    assert!(out.contains("DetachUserPolicyResponse"), "{out}");
}

fn create_secret(name: &str, value: &str) {
    let out = aws(
        "secretsmanager",
        &[
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", "secretsmanager.CreateSecret"),
        ],
        &serde_json::json!({"Name": name, "SecretString": value}).to_string(),
    );
    assert!(out.contains("\"ARN\""), "{out}");
}

/// Everything a run could change: AWS (moto's whole state), containers, the
/// credentials folder's content, modes and owners.
fn world() -> (String, String, String) {
    let mut aws: serde_json::Value =
        serde_json::from_str(&moto("GET", "/moto-api/data.json", &[], "")).expect("moto state");
    // moto records a summary on every read of the account: not a change.
    aws["iam"]["AccountSummary"] = serde_json::Value::Null;
    // moto creates a service's empty tables on its first call: not a change.
    let aws = prune(aws).to_string();
    let containers = sh(
        "docker",
        &[
            "ps",
            "-a",
            "--format",
            "{{.Names}} {{.Image}} {{.State}} {{.ID}}",
        ],
    );
    let files = sh(
        "sh",
        &[
            "-c",
            &format!(
                "ls -lan --time-style=full-iso {CRED_DIR} {CRED_DIR}/.. 2>&1; cat {CRED_FILE} 2>&1; true"
            ),
        ],
    );
    (aws, containers, files)
}

/// The value without its empty tables, lists and nulls.
fn prune(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, prune(v)))
                .filter(|(_, v)| {
                    !(v.is_null()
                        || v.as_array().is_some_and(Vec::is_empty)
                        || v.as_object().is_some_and(serde_json::Map::is_empty))
                })
                .collect(),
        ),
        other => other,
    }
}

fn sh(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn archive() -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".build/addon")
        .join(format!("auth-service-docker-image-{ADDON}.tar.gz"));
    assert!(
        p.is_file(),
        "{} is missing: run scripts/sandbox.sh addon {ADDON}",
        p.display()
    );
    p.display().to_string()
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

fn runbook(args: &[&str]) -> Run {
    let lock = tempfile::NamedTempFile::new().unwrap();
    let out = Command::new(common::bin())
        .args(args)
        .env("NO_COLOR", "1")
        .env("RUNBOOK_LOCK_FILE", lock.path())
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `runbook eval` as the admin identity, for setting up and reading AWS state.
fn eval(code: &str) -> String {
    let r = runbook(&["eval", code]);
    assert_eq!(r.code, 0, "eval {code}: {}", r.all());
    r.stdout.trim().to_string()
}

/// A freshly converged Agent host; returns the secret access key in the file.
fn converge() -> String {
    let arch = format!("addon_archive={}", archive());
    let run = runbook(&[
        "run",
        SETUP,
        "--set",
        &format!("user_name={USER}"),
        "--set",
        &arch,
        "--yes",
    ]);
    assert_eq!(run.code, 0, "the host did not converge:\n{}", run.all());
    let text = std::fs::read_to_string(CRED_FILE).unwrap();
    let secret = text
        .lines()
        .find_map(|l| {
            l.split_once('=')
                .filter(|(k, _)| k.trim() == "aws_secret_access_key")
        })
        .map(|(_, v)| v.trim().to_string())
        .expect("a secret in the file");
    assert!(secret.len() >= 20);
    secret
}

/// The id of the user's only access key.
fn key_id() -> String {
    eval(&format!("iam::access_keys(\"{USER}\")[0].id"))
        .trim_matches('"')
        .to_string()
}

fn doctor(extra: &[&str]) -> Run {
    let user = format!("user_name={USER}");
    let arch = format!("addon_archive={}", archive());
    let mut args = vec!["run", DOCTOR, "--set", &user, "--set", &arch];
    args.extend_from_slice(extra);
    runbook(&args)
}

/// The PASS/FAIL rows of a human run: (passed, name, detail, fix).
#[derive(Debug, Clone, PartialEq)]
struct Row {
    passed: bool,
    line: String,
    fix: Option<String>,
}

fn rows(run: &Run) -> Vec<Row> {
    let mut out: Vec<Row> = Vec::new();
    for line in run.stdout.lines() {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("PASS  ") {
            out.push(Row {
                passed: true,
                line: rest.to_string(),
                fix: None,
            });
        } else if let Some(rest) = t.strip_prefix("FAIL  ") {
            out.push(Row {
                passed: false,
                line: rest.to_string(),
                fix: None,
            });
        } else if let Some(fix) = t.strip_prefix("fix: ") {
            out.last_mut().expect("a fix after a row").fix = Some(fix.to_string());
        }
    }
    out
}

fn row<'a>(rows: &'a [Row], name: &str) -> &'a Row {
    rows.iter()
        .find(|r| r.line.starts_with(&format!("{name} ")) || r.line == name)
        .unwrap_or_else(|| panic!("no row {name:?} in {rows:#?}"))
}

fn json_checks(run: &Run) -> (Vec<serde_json::Value>, serde_json::Value) {
    let events: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    let recap = events.last().expect("output").clone();
    assert_eq!(recap["event"], "recap", "{}", run.stdout);
    let checks = events
        .into_iter()
        .filter(|e| e["event"] == "check")
        .collect();
    (checks, recap)
}

/// The names every run on a converged host reports.
const ALL_CHECKS: &[&str] = &[
    "Agent version",
    "unit hydra active",
    "add-on container Up",
    "add-on version",
    "add-on runs the archive's image",
    "group alationdocker",
    "credentials folder",
    "credentials folder mode",
    "credentials folder group",
    "credentials folder owner",
    "credentials file",
    "credentials file mode",
    "credentials file group",
    "credentials file owner",
    "profile [alation_auth]",
    "IAM policy",
    "IAM policy document",
    "IAM user",
    "IAM policy attached",
    "access key of the user",
    "access key active",
    "profile authenticates",
];

/// Doctor on a broken host: exit 1, exactly `expected` failed (each with its
/// fix containing `fix`), everything else still checked and passing, and
/// nothing changed by the doctor itself.
fn assert_only_failure(expected: &[(&str, &str, &str)], secret: &str) -> Run {
    let before = world();
    let run = doctor(&[]);
    assert_eq!(run.code, 1, "{}", run.all());
    let rows = rows(&run);
    let names: Vec<&str> = ALL_CHECKS.to_vec();
    assert_eq!(
        rows.len(),
        names.len(),
        "the table is not complete:\n{}",
        run.stdout
    );
    for name in names {
        let r = row(&rows, name);
        match expected.iter().find(|(n, _, _)| *n == name) {
            Some((_, detail, fix)) => {
                assert!(!r.passed, "{name} passed:\n{}", run.stdout);
                assert!(r.line.contains(detail), "{name}: {r:?}");
                let f = r.fix.as_deref().unwrap_or_else(|| panic!("{name}: no fix"));
                assert!(f.contains(fix), "{name}: fix {f:?} lacks {fix:?}");
            }
            None => assert!(r.passed, "{name} failed:\n{}", run.stdout),
        }
    }
    assert!(
        !run.all().contains(secret),
        "the secret access key was printed"
    );
    assert_eq!(world(), before, "doctor changed something");
    run
}

#[test]
fn doctor_passes_on_a_converged_host_changes_nothing_and_prints_no_secret() {
    let Some(_g) = agent_host() else { return };
    let secret = converge();
    create_secret(SECRET_NAME, SECRET_VALUE);
    let test_secret = format!("test_secret={SECRET_NAME}");
    let before = world();

    let human = doctor(&["--set", &test_secret]);
    println!("{}", human.stdout);
    assert_eq!(human.code, 0, "{}", human.all());
    let table = rows(&human);
    assert!(
        table.iter().all(|r| r.passed),
        "a check failed:\n{}",
        human.stdout
    );
    for name in ALL_CHECKS.iter().chain(&["test secret readable"]) {
        row(&table, name);
    }
    assert_eq!(table.len(), ALL_CHECKS.len() + 1, "{}", human.stdout);
    assert!(
        row(&table, "profile authenticates")
            .line
            .contains("arn:aws:iam::123456789012:user/agent-e2e"),
        "{}",
        human.stdout
    );

    // The same table as data.
    let json = doctor(&["--set", &test_secret, "--output", "json"]);
    assert_eq!(json.code, 0, "{}", json.all());
    let (checks, recap) = json_checks(&json);
    assert_eq!(checks.len(), table.len(), "{}", json.stdout);
    for (c, r) in checks.iter().zip(&table) {
        assert_eq!(c["passed"], true, "{c}");
        let name = c["name"].as_str().unwrap();
        let detail = c["detail"].as_str().unwrap();
        assert!(
            r.line.starts_with(name) && r.line.ends_with(detail),
            "JSON {c} vs human {r:?}"
        );
    }
    assert_eq!(recap["checks_passed"], table.len() as u64);
    assert_eq!(recap["checks_failed"], 0);
    assert_eq!(recap["changed"], 0);
    assert_eq!(recap["success"], true);

    // Read-only: nothing changed, and no secret in any output.
    assert_eq!(world(), before, "doctor changed something");
    for run in [&human, &json] {
        assert!(
            !run.all().contains(&secret),
            "the secret access key was printed"
        );
        assert!(
            !run.all().contains(SECRET_VALUE),
            "the test secret was printed"
        );
    }

    // The mode may be given with its leading 0; check mode reads the same,
    // only the sign-in with the file's credentials is skipped (and said so).
    let zero = doctor(&["--set", "mode=0540"]);
    assert_eq!(zero.code, 0, "{}", zero.all());
    let check = doctor(&["--check"]);
    assert_eq!(check.code, 0, "{}", check.all());
    assert!(
        check.all().contains("run doctor without --check"),
        "{}",
        check.all()
    );
    assert_eq!(rows(&check).len(), ALL_CHECKS.len() - 1, "{}", check.stdout);
    assert!(rows(&check).iter().all(|r| r.passed), "{}", check.stdout);
    assert_eq!(world(), before, "doctor changed something");

    // The read doctor relies on for the attachment.
    let attached = eval(&format!("iam::user_policies(\"{USER}\")"));
    assert_eq!(
        attached,
        "[\"arn:aws:iam::123456789012:policy/read_secrets_policy\"]"
    );
    assert_eq!(eval("type_of(iam::user_policies(\"nobody\"))"), "\"()\"");
}

#[test]
fn doctor_names_a_wrong_mode_with_its_fix() {
    let Some(_g) = agent_host() else { return };
    let secret = converge();
    sh("chmod", &["644", CRED_FILE]);
    assert_only_failure(
        &[(
            "credentials file mode",
            "0644 (0540 required)",
            "chmod 540 /etc/hydra/auth/.aws/credentials",
        )],
        &secret,
    );
}

#[test]
fn doctor_names_a_wrong_group_with_its_fix() {
    let Some(_g) = agent_host() else { return };
    let secret = converge();
    sh("chgrp", &["root", CRED_FILE]);
    assert_only_failure(
        &[(
            "credentials file group",
            "root (alationdocker required",
            "chgrp alationdocker /etc/hydra/auth/.aws/credentials",
        )],
        &secret,
    );
}

#[test]
fn doctor_names_a_stopped_container_with_its_fix() {
    let Some(_g) = agent_host() else { return };
    let secret = converge();
    sh("docker", &["stop", "auth"]);
    assert_only_failure(
        &[(
            "add-on container Up",
            "auth: exited",
            "systemctl restart hydra",
        )],
        &secret,
    );
}

#[test]
fn doctor_names_a_deactivated_key_with_its_fix() {
    let Some(_g) = agent_host() else { return };
    let secret = converge();
    let id = key_id();
    eval(&format!(
        "iam::deactivate_access_key(\"{USER}\", \"{id}\"); ()"
    ));
    // moto still signs a deactivated key in (real STS answers
    // InvalidClientTokenId); the IAM check catches it either way.
    assert_only_failure(
        &[(
            "access key active",
            &format!("{id} is Inactive"),
            &format!(
                "aws iam update-access-key --user-name {USER} --access-key-id {id} --status Active"
            ),
        )],
        &secret,
    );
}

#[test]
fn doctor_names_a_deleted_key_and_still_completes_the_table() {
    let Some(_g) = agent_host() else { return };
    let secret = converge();
    let id = key_id();
    eval(&format!("iam::delete_access_key(\"{USER}\", \"{id}\"); ()"));
    assert_only_failure(
        &[
            (
                "access key of the user",
                &format!("{id} in /etc/hydra/auth/.aws/credentials is not a key of {USER}"),
                "runbook run alation-agent/rotate-access-key",
            ),
            (
                "access key active",
                "not checked",
                "runbook run alation-agent/rotate-access-key",
            ),
            (
                "profile authenticates",
                "not as arn:aws:iam::123456789012:user/agent-e2e",
                "write a working key",
            ),
        ],
        &secret,
    );
}

#[test]
fn doctor_names_a_detached_policy_with_its_fix() {
    let Some(_g) = agent_host() else { return };
    let secret = converge();
    let arn = "arn:aws:iam::123456789012:policy/read_secrets_policy";
    detach_policy(USER, arn);
    assert_eq!(eval(&format!("iam::user_policies(\"{USER}\")")), "[]");
    assert_only_failure(
        &[(
            "IAM policy attached",
            "read_secrets_policy is not attached to agent-e2e (attached: none)",
            &format!("aws iam attach-user-policy --user-name {USER} --policy-arn {arn}"),
        )],
        &secret,
    );
}

#[test]
fn doctor_names_a_policy_that_does_not_allow_the_secrets() {
    let Some(_g) = agent_host() else { return };
    let secret = converge();
    eval(
        "iam::ensure_policy(\"read_secrets_policy\", iam::policy_document([\"secretsmanager:GetSecretValue\"], [\"arn:aws:secretsmanager:us-east-1:123456789012:secret:other-AbCdEf\"])); ()",
    );
    assert_only_failure(
        &[(
            "IAM policy document",
            "v2 does not allow secretsmanager:GetSecretValue on [\"*\"]",
            "runbook run alation-agent/secrets-manager-iam-user --set user_name=agent-e2e --set policy_name=read_secrets_policy",
        )],
        &secret,
    );
}

#[test]
fn doctor_on_a_bare_host_completes_the_table_and_changes_nothing() {
    let Some(_g) = agent_host() else { return };
    let before = world();
    let run = doctor(&["--output", "json"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let (checks, recap) = json_checks(&run);
    let names: Vec<&str> = checks.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ALL_CHECKS, "{}", run.stdout);
    let passed: Vec<&str> = checks
        .iter()
        .filter(|c| c["passed"] == true)
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        passed,
        [
            "Agent version",
            "unit hydra active",
            "add-on version",
            "group alationdocker"
        ],
        "{}",
        run.stdout
    );
    for c in checks.iter().filter(|c| c["passed"] == false) {
        let fix = c["fix"].as_str().unwrap_or_default();
        assert!(!fix.is_empty(), "no fix for {c}");
    }
    let by_name = |n: &str| checks.iter().find(|c| c["name"] == n).unwrap().clone();
    assert!(
        by_name("add-on container Up")["fix"]
            .as_str()
            .unwrap()
            .contains("--set addon_archive="),
        "{}",
        run.stdout
    );
    assert!(
        by_name("IAM user")["detail"]
            .as_str()
            .unwrap()
            .contains("no IAM user agent-e2e"),
        "{}",
        run.stdout
    );
    assert_eq!(recap["checks_failed"], (ALL_CHECKS.len() - 4) as u64);
    assert_eq!(recap["checks_passed"], 4);
    assert_eq!(world(), before, "doctor changed something");
}
