//! `alation-agent/decommission` killed (SIGKILL) between any two of its
//! changes: a rerun converges to the account and the file as they were before
//! the install, and the run after that changes nothing.

use std::io::BufRead;
use std::path::Path;

use crate::common::agent::*;
use crate::common::imds::query;

const CREDS: &str = "# by hand\n[default]\naws_access_key_id = AKIADEFAULT000000000\naws_secret_access_key=defaultsecretdefaultsecret\n";

/// Users, local policies and their access keys, as IAM lists them.
fn iam_state() -> Vec<String> {
    let mut all = vec![];
    for (action, tag) in [
        ("ListUsers", "UserName"),
        ("ListPolicies&Scope=Local", "PolicyName"),
    ] {
        let out = query("iam", &format!("Action={action}&Version=2010-05-08"));
        let mut names: Vec<String> = out
            .split(&format!("<{tag}>"))
            .skip(1)
            .filter_map(|s| s.split(&format!("</{tag}>")).next())
            .map(|n| format!("{tag}={n}"))
            .collect();
        names.sort();
        all.extend(names);
    }
    all
}

fn install() {
    let run = runbook(&[
        "run",
        "alation-agent/secrets-manager-iam-user",
        "--yes",
        "--set",
        "user_name=agent-e2e",
        "--set",
        &addon_arg(OLD),
    ])
    .run();
    assert_eq!(run.code, 0, "{}", run.all());
}

const ARGS: [&str; 6] = [
    "--set",
    "variant=iam-user",
    "--set",
    "user_name=agent-e2e",
    "--set",
    "delete_policy=true",
];

/// Runs a copy of the playbook that stops before `point`, and kills it there.
fn killed_before(point: &str) {
    let src = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("playbooks/alation-agent/decommission.rhai"),
    )
    .unwrap();
    assert_eq!(
        src.matches(point).count(),
        1,
        "{point:?} moved: update this test"
    );
    let patched = src.replace(
        point,
        &format!("print(\"KILL ME\"); sleep(\"60s\"); {point}"),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decommission.rhai");
    std::fs::write(&path, patched).unwrap();
    let path = path.display().to_string();
    let mut args = vec!["run", path.as_str()];
    args.extend_from_slice(&ARGS);
    // The Test owns the run's folder (its lock file among others): keep it.
    let test = runbook(&args);
    let mut child = test
        .command()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap();
    let mut reached = false;
    let mut out = String::new();
    for line in std::io::BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        out.push_str(&line);
        out.push('\n');
        if line.contains("KILL ME") {
            reached = true;
            child.kill().unwrap();
            break;
        }
    }
    let status = child.wait().unwrap();
    assert!(reached, "the run never reached {point:?}:\n{out}");
    assert!(!status.success());
}

#[test]
fn killed_between_any_two_changes_a_rerun_converges() {
    let Some(_g) = host_with_moto() else { return };
    std::fs::create_dir_all(CRED_DIR).unwrap();
    std::fs::write(CRED_FILE, CREDS).unwrap();
    let before = iam_state();
    for point in [
        // between deactivating and deleting the key
        "            iam::delete_access_key(user, plan.key);",
        // after the key, before the file's section
        "    step(\"Credentials file profile \" + profile",
        // after the file's section, before the user
        "    step(\"IAM user \" + user",
        // after detaching the policy, before deleting the user
        "        iam::delete_user(user, #{keys",
        // after the user, before the policy
        "step(\"IAM policy \" + param(\"policy_name\")",
    ] {
        install();
        killed_before(point);
        let mut args = vec!["run", "alation-agent/decommission"];
        args.extend_from_slice(&ARGS);
        let rerun = runbook(&args).run();
        assert_eq!(rerun.code, 0, "killed before {point:?}:\n{}", rerun.all());
        assert_eq!(iam_state(), before, "killed before {point:?}");
        assert_eq!(
            std::fs::read_to_string(CRED_FILE).unwrap(),
            CREDS,
            "killed before {point:?}: the file is not as before"
        );
        args.extend_from_slice(&["--output", "json"]);
        let again = runbook(&args).run();
        assert_eq!(
            recap(&again)["changed"],
            0,
            "killed before {point:?}: {}",
            again.stdout
        );
    }
}
