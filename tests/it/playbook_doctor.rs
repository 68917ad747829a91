//! `alation-agent/doctor` end to end, inside the Agent-host sandbox: on a host
//! converged by `alation-agent/secrets-manager-iam-user` it passes; after one
//! breakage at a time it names that failure with its fix; it never changes
//! anything and never prints a secret. Serial: the Agent's containers have
//! fixed names.

use crate::common::agent::*;
use crate::common::moto;

const DOCTOR: &str = "alation-agent/doctor";
const SETUP: &str = "alation-agent/secrets-manager-iam-user";
const SECRET_NAME: &str = "doctor-db";
const SECRET_VALUE: &str = "doctor-db-password-never-printed";

fn detach_policy(user: &str, policy_arn: &str) {
    let out = moto::aws(
        "iam",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &format!(
            "Action=DetachUserPolicy&Version=2010-05-08&UserName={user}&PolicyArn={}",
            policy_arn.replace(':', "%3A").replace('/', "%2F")
        ),
    );
    assert_contains!(out, "DetachUserPolicyResponse");
}

/// A freshly converged Agent host; returns the secret access key in the file.
fn converge() -> String {
    let arch = addon_arg(OLD);
    let run = runbook(&[
        "run",
        SETUP,
        "--set",
        &format!("user_name={USER}"),
        "--set",
        &arch,
        "--yes",
    ])
    .run();
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

fn doctor(extra: &[&str]) -> Output {
    let user = format!("user_name={USER}");
    let arch = addon_arg(OLD);
    let mut args = vec!["run", DOCTOR, "--set", &user, "--set", &arch];
    args.extend_from_slice(extra);
    runbook(&args).run()
}

/// The PASS/FAIL rows of a human run: (passed, name, detail, fix).
#[derive(Debug, Clone, PartialEq)]
struct Row {
    passed: bool,
    line: String,
    fix: Option<String>,
}

fn rows(run: &Output) -> Vec<Row> {
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

fn json_checks(run: &Output) -> (Vec<serde_json::Value>, serde_json::Value) {
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
    "AWS reachable",
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
fn assert_only_failure(expected: &[(&str, &str, &str)], secret: &str) -> Output {
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
                assert_contains!(r.line, detail, "{name}: {r:?}");
                let f = r.fix.as_deref().unwrap_or_else(|| panic!("{name}: no fix"));
                assert_contains!(f, fix, "{name}: fix {f:?} lacks {fix:?}");
            }
            None => assert!(r.passed, "{name} failed:\n{}", run.stdout),
        }
    }
    assert_not_contains!(run.all(), secret, "the secret access key was printed");
    assert_eq!(world(), before, "doctor changed something");
    run
}

#[test]
fn doctor_passes_on_a_converged_host_changes_nothing_and_prints_no_secret() {
    let Some(_g) = host_with_moto() else { return };
    let secret = converge();
    moto::create_secret(SECRET_NAME, SECRET_VALUE);
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
    assert_contains!(
        row(&table, "profile authenticates").line,
        "arn:aws:iam::123456789012:user/agent-e2e",
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
        assert_not_contains!(run.all(), &secret, "the secret access key was printed");
        assert_not_contains!(run.all(), SECRET_VALUE, "the test secret was printed");
    }

    // The mode may be given with its leading 0; check mode reads the same,
    // only the sign-in with the file's credentials is skipped (and said so).
    let zero = doctor(&["--set", "mode=0540"]);
    assert_eq!(zero.code, 0, "{}", zero.all());
    let check = doctor(&["--check"]);
    assert_eq!(check.code, 0, "{}", check.all());
    assert_contains!(check.all(), "run doctor without --check");
    assert_eq!(rows(&check).len(), ALL_CHECKS.len() - 1, "{}", check.stdout);
    assert!(rows(&check).iter().all(|r| r.passed), "{}", check.stdout);
    assert_eq!(world(), before, "doctor changed something");

    // The read doctor relies on for the attachment.
    let attached = eval(&format!("iam::user_policies(\"{USER}\")"));
    assert_eq!(
        attached,
        "[\"arn:aws:iam::123456789012:policy/read_secrets_policy\"]"
    );
    assert_eq!(eval("type_of(iam::user_policies(\"nobody\"))"), "()");
}

#[test]
fn doctor_names_a_wrong_mode_with_its_fix() {
    let Some(_g) = host_with_moto() else { return };
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
    let Some(_g) = host_with_moto() else { return };
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
    let Some(_g) = host_with_moto() else { return };
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
    let Some(_g) = host_with_moto() else { return };
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
    let Some(_g) = host_with_moto() else { return };
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
    let Some(_g) = host_with_moto() else { return };
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
    let Some(_g) = host_with_moto() else { return };
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
    let Some(_g) = host_with_moto() else { return };
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
            "group alationdocker",
            "AWS reachable"
        ],
        "{}",
        run.stdout
    );
    for c in checks.iter().filter(|c| c["passed"] == false) {
        let fix = c["fix"].as_str().unwrap_or_default();
        assert!(!fix.is_empty(), "no fix for {c}");
    }
    let by_name = |n: &str| checks.iter().find(|c| c["name"] == n).unwrap().clone();
    assert_contains!(
        by_name("add-on container Up")["fix"].as_str().unwrap(),
        "--set addon_archive=",
        "{}",
        run.stdout
    );
    assert_contains!(
        by_name("IAM user")["detail"].as_str().unwrap(),
        "no IAM user agent-e2e",
        "{}",
        run.stdout
    );
    assert_eq!(recap["checks_failed"], (ALL_CHECKS.len() - 5) as u64);
    assert_eq!(recap["checks_passed"], 5);
    assert_eq!(world(), before, "doctor changed something");
}
