//! Typed parameters through the bundled playbooks: a bad value exits 2 before
//! the script starts (so nothing changes in AWS), with a message naming the
//! parameter, the rule and the fix; a secret of the wrong type is never shown.

use std::os::unix::ffi::OsStringExt;

use crate::common::moto::{self, Moto};
use crate::common::runner::Test;

const IAM_USER: &str = "alation-agent/iam-user";

/// IAM's users and customer-managed policies, as moto lists them.
fn iam_users_and_policies() -> String {
    let list = |body: &str| {
        moto::aws(
            "iam",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            body,
        )
    };
    let users = list("Action=ListUsers&Version=2010-05-08");
    let policies = list("Action=ListPolicies&Scope=Local&Version=2010-05-08");
    assert!(users.contains("ListUsersResult"), "{users}");
    assert!(policies.contains("ListPoliciesResult"), "{policies}");
    // The request id differs between calls; the lists themselves must not.
    let strip = |s: String| match (s.find("<RequestId>"), s.find("</RequestId>")) {
        (Some(a), Some(b)) if a < b => format!("{}{}", &s[..a], &s[b..]),
        _ => s,
    };
    format!("{}\n{}", strip(users), strip(policies))
}

#[test]
fn iam_user_refuses_a_bad_profile_or_region_before_any_change() {
    let Some(_moto) = Moto::fresh() else { return };
    let before = iam_users_and_policies();
    for (bad, rule, fix) in [
        ("profile=a]b", "holds '[' or ']'", "e.g. alation_auth"),
        ("profile=a\nb", "newline", "e.g. alation_auth"),
        (
            "profile= padded",
            "starts or ends with a space",
            "e.g. alation_auth",
        ),
        (
            "region=not a region",
            "is not an AWS region",
            "e.g. us-east-1",
        ),
        (
            "user_name=a b",
            "is not an IAM user name",
            "e.g. alation-agent-",
        ),
        (
            "policy_name=p/q",
            "is not an IAM policy name",
            "e.g. read_secrets_policy",
        ),
        (
            "secret_arns=*, secret:x",
            "is not an ARN",
            "use * for every resource",
        ),
    ] {
        let t = Test::new();
        let handover = t.path().join("key.ini");
        let run = t
            .args(["run", IAM_USER, "--set", "user_name=agent-e2e", "--set"])
            .arg(bad)
            .arg("--set")
            .arg(format!("handover_file={}", handover.display()))
            .run();
        let name = bad.split('=').next().unwrap();
        assert_eq!(run.code, 2, "{bad:?}: {}", run.all());
        assert_contains!(run.stderr, &format!("parameter '{name}' from --set"));
        assert_contains!(run.stderr, rule);
        assert_contains!(run.stderr, fix);
        assert_not_contains!(run.stdout, "[1]", "a step ran");
        assert!(
            !handover.exists(),
            "{bad:?}: the hand-over file was written"
        );
        assert_eq!(iam_users_and_policies(), before, "{bad:?} changed IAM");
    }

    // The same run with good values does reach IAM: the refusals above were
    // the parameter check, not a run that could not have changed anything.
    let t = Test::new();
    let handover = t.path().join("key.ini");
    let run = t
        .args(["run", IAM_USER, "--set", "user_name=agent-e2e"])
        .args(["--set", "profile=alation_auth", "--set", "region=us-east-1"])
        .arg("--set")
        .arg(format!("handover_file={}", handover.display()))
        .run();
    assert_eq!(run.code, 0, "{}", run.all());
    let after = iam_users_and_policies();
    assert_ne!(after, before);
    assert_contains!(after, "agent-e2e");
    assert_contains!(after, "read_secrets_policy");
    assert!(handover.exists());
}

/// The secret text of every case below; it must appear nowhere in the output.
const TOKEN: &str = "98765";

#[test]
fn a_secret_of_the_wrong_type_is_never_echoed() {
    for (playbook, param) in [
        ("examples/hello", "token"),
        ("alation-agent/agent-setup", "access_key_secret"),
    ] {
        for body in [
            format!("{param} = {TOKEN}"),
            format!("{param} = {TOKEN}.25"),
            format!("{param} = [\"{TOKEN}\", {TOKEN}]"),
            format!("{param} = {{ text = \"{TOKEN}\" }}"),
        ] {
            let t = Test::new();
            let vars = t.file("vars.toml", &body);
            let run = t.args(["run", playbook, "--vars"]).arg(&vars).run();
            assert_eq!(run.code, 2, "{body}: {}", run.all());
            assert_contains!(run.stderr, &format!("parameter '{param}'"));
            assert_contains!(run.stderr, "expected a secret");
            assert_not_contains!(run.all(), TOKEN, "{body} echoed the secret");
        }
    }
}

#[test]
fn a_secret_env_value_that_is_not_utf8_names_the_variable_only() {
    let value = std::ffi::OsString::from_vec(b"98765\xff".to_vec());
    let run = Test::new()
        .args(["run", "examples/hello"])
        .env("RUNBOOK_TOKEN", &value)
        .run();
    assert_eq!(run.code, 2, "{}", run.all());
    assert_contains!(run.stderr, "RUNBOOK_TOKEN");
    assert_contains!(run.stderr, "not valid UTF-8");
    assert_not_contains!(run.all(), TOKEN);
}

#[test]
fn a_duplicate_set_warns_naming_the_parameter() {
    let run = Test::new()
        .args([
            "run",
            "examples/hello",
            "--set",
            "who=first",
            "--set",
            "who=second",
        ])
        .run();
    assert_eq!(run.code, 0, "{}", run.all());
    // Warnings go where the run's messages go (stdout for a human).
    assert_contains!(run.all(), "parameter 'who' is given more than once");
    assert_contains!(run.stdout, "hello, second!");
}

#[test]
fn show_names_the_parameter_types() {
    let run = Test::new().args(["show", IAM_USER]).run();
    assert_eq!(run.code, 0, "{}", run.all());
    assert_contains!(run.stdout, "region (region)");
    assert_contains!(run.stdout, "profile (profile_name)");
    assert_contains!(run.stdout, "secret_arns (list of iam_resource)");
}

#[test]
fn sleep_needs_a_unit_and_an_absurd_duration_names_the_bound() {
    let run = Test::new().args(["eval", r#"sleep("5")"#]).run();
    assert_ne!(run.code, 0, "{}", run.all());
    assert_contains!(run.stderr, "use a number with a unit");
    let run = Test::new()
        .args(["eval", r#"sleep("99999999999999999999h")"#])
        .run();
    assert_ne!(run.code, 0, "{}", run.all());
    assert_contains!(run.stderr, "at most 24h");
}

#[test]
fn a_missing_operator_is_told_in_script_types() {
    let run = Test::new().args(["eval", r#""x" + 1 - 2"#]).run();
    assert_ne!(run.code, 0, "{}", run.all());
    assert_contains!(run.stderr, "operator '-' does not take a string and an int");
    assert_not_contains!(run.stderr, "ImmutableString");
    assert_not_contains!(run.stderr, "i64");
}
