//! `--check --diff` shows the whole planned resource (issue 16): snapshots of
//! the plans of `iam-user` with narrowed ARNs on an empty moto account and of
//! the all-in-one playbook on a fresh Agent host, in human and JSON output;
//! and an ejected playbook with a receipt step, planned and applied.

use std::path::Path;

use crate::common::agent::{self, OLD, addon_arg};
use crate::common::moto::Moto;
use crate::common::{Output, Test, normalize};

const NARROWED: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/alation/*";

fn iam_user(t: &Test, extra: &[&str]) -> Output {
    let handover = t.path().join("key.ini");
    let arns = format!("secret_arns={NARROWED}");
    let handover = format!("handover_file={}", handover.display());
    let mut args = vec![
        "run",
        "alation-agent/iam-user",
        "--check",
        "--diff",
        "--set",
        "user_name=alation-agent-prod",
        "--set",
        &arns,
        "--set",
        &handover,
    ];
    args.extend_from_slice(extra);
    Test::new().args(args).run()
}

/// The JSON Lines of a run, without durations, one compact event a line.
fn json_events(out: &Output, dir: &Path) -> String {
    let lines: Vec<String> = out
        .stdout
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            if let Some(m) = v.as_object_mut() {
                m.remove("duration_ms");
            }
            v.to_string()
        })
        .collect();
    normalize(&lines.join("\n"), dir)
}

/// The policy's planned document, from the JSON `diff` of its op.
fn policy_diff(out: &Output) -> String {
    out.stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["event"] == "op" && v["action"] == "ensure_policy")
        .and_then(|v| v["diff"].as_str().map(str::to_string))
        .expect("an ensure_policy op with a diff")
}

#[test]
fn iam_user_plan_with_narrowed_arns_shows_every_attribute() {
    let Some(_moto) = Moto::fresh() else { return };
    let t = Test::new();
    let human = iam_user(&t, &[]);
    assert_eq!(human.code, 0, "{}", human.all());
    assert!(
        human.stdout.contains(&format!("+        \"{NARROWED}\"")),
        "{}",
        human.stdout
    );
    insta::assert_snapshot!("iam_user_human", normalize(&human.stdout, t.path()));

    let json = iam_user(&t, &["--output", "json"]);
    assert_eq!(json.code, 0, "{}", json.all());
    assert!(policy_diff(&json).contains(NARROWED));
    insta::assert_snapshot!("iam_user_json", json_events(&json, t.path()));
}

/// The checkout's folder (the add-on archive is under it) and the Agent
/// group's id differ between machines.
fn host_neutral(text: &str) -> String {
    text.replace(env!("CARGO_MANIFEST_DIR"), "[ROOT]").replace(
        &format!("gid = {}", agent::alationdocker_gid()),
        "gid = [alationdocker]",
    )
}

#[test]
fn all_in_one_plan_on_a_fresh_host_shows_every_attribute() {
    let Some(_g) = agent::host_with_moto() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        let arch = addon_arg(OLD);
        let arns = format!("secret_arns={NARROWED}");
        let mut args = vec![
            "run",
            "alation-agent/secrets-manager-iam-user",
            "--check",
            "--diff",
            "--yes",
            "--set",
            "user_name=alation-agent-prod",
            "--set",
            &arns,
            "--set",
            &arch,
        ];
        args.extend_from_slice(extra);
        agent::runbook(&args).run()
    };
    let human = run(&[]);
    assert_eq!(human.code, 0, "{}", human.all());
    assert!(human.stdout.contains(NARROWED), "{}", human.stdout);
    insta::assert_snapshot!(
        "all_in_one_human",
        host_neutral(&normalize(&human.stdout, dir.path()))
    );
    let json = run(&["--output", "json"]);
    assert_eq!(json.code, 0, "{}", json.all());
    assert!(policy_diff(&json).contains(NARROWED));
    insta::assert_snapshot!(
        "all_in_one_json",
        host_neutral(&json_events(&json, dir.path()))
    );
}
