//! `alation-agent/secrets-manager-instance-profile` end to end, inside the
//! Agent-host sandbox: moto's IAM and EC2 (a `RunInstances` instance), the
//! IMDSv2 stand-in on loopback handing out moto `AssumeRole` credentials of
//! the associated role, the real Docker daemon and systemd.

use crate::common::agent::*;
use crate::common::imds::{Imds, run_instance};

const PLAYBOOK: &str = "alation-agent/secrets-manager-instance-profile";

fn playbook(imds: &Imds, extra: &[&str]) -> Output {
    let mut args = vec!["run", PLAYBOOK, "--yes", "--set", "propagation_wait=20s"];
    args.extend_from_slice(extra);
    runbook(&args)
        .env_remove("AWS_EC2_METADATA_DISABLED")
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds.endpoint)
        .run()
}

#[test]
fn check_on_a_fresh_account_shows_the_plan_and_changes_nothing() {
    let Some(_g) = host_with_moto() else { return };
    let id = run_instance();
    let imds = Imds::start(&id, "us-east-1");
    let before = world();
    let run = playbook(&imds, &["--check", "--diff", "--set", &addon_arg(OLD)]);
    assert_eq!(run.code, 0, "{}", run.all());
    for expected in [
        // The whole role, as the plan shows it: tags, path and trust policy.
        &format!("role alation-agent-{id}"),
        "+ path = \"/\"",
        "+ tags.managed-by = \"runbook\"",
        "+ trust_policy =",
        "\"ec2.amazonaws.com\"",
        "would_change iam::ensure_policy read_secrets_policy",
        &format!("would_change iam::ensure_role alation-agent-{id}"),
        "would_change iam::ensure_role_policy",
        &format!("would_change iam::ensure_instance_profile alation-agent-{id}"),
        &format!("would_change ec2::ensure_instance_profile {id}"),
        "(known after apply)",
        "Authentication Type  IAM Instance Profile",
    ] {
        assert_contains!(run.stdout, expected);
    }
    assert_eq!(world(), before, "a check run changed something");
}

#[test]
fn a_fresh_account_converges_and_the_rerun_changes_nothing() {
    let Some(_g) = host_with_moto() else { return };
    let id = run_instance();
    let imds = Imds::start(&id, "us-east-1");
    let role = format!("alation-agent-{id}");
    let first = playbook(&imds, &["--set", &addon_arg(OLD)]);
    assert_eq!(first.code, 0, "{}", first.all());
    assert_contains!(
        first.stdout,
        format!("changed      iam::ensure_role {role}")
    );
    assert_contains!(
        first.stdout,
        format!("changed      ec2::ensure_instance_profile {id}")
    );
    assert_contains!(
        first.stdout,
        format!("the instance's credentials act as arn:aws:sts::123456789012:assumed-role/{role}/")
    );
    assert_eq!(
        eval(&format!("ec2::instance_profile(\"{id}\").profile_name")),
        role.to_string()
    );
    assert_eq!(
        eval(&format!("iam::instance_profile(\"{role}\").roles")),
        format!("[\"{role}\"]")
    );
    assert_contains!(
        eval(&format!("iam::role_policies(\"{role}\")")),
        ":policy/read_secrets_policy"
    );
    let ps = sh(
        "docker",
        &["ps", "--filter", "name=^auth$", "--format", "{{.Status}}"],
    );
    assert!(ps.starts_with("Up"), "{ps}");
    // No credentials file: nothing to leak or rotate.
    assert!(!std::path::Path::new(CRED_FILE).exists());

    let second = playbook(&imds, &["--set", &addon_arg(OLD), "--output", "json"]);
    assert_eq!(second.code, 0, "{}", second.all());
    let r = recap(&second);
    assert_eq!(r["changed"], 0, "{}", second.stdout);
    assert_eq!(r["success"], true);
    assert_not_contains!(second.stdout, "systemd\",\"action\":\"restart");
}

#[test]
fn an_instance_with_a_foreign_instance_profile_stops_and_nothing_changes() {
    let Some(_g) = host_with_moto() else { return };
    let id = run_instance();
    let imds = Imds::start(&id, "us-east-1");
    eval(&format!(
        "iam::ensure_role(\"other-software\", iam::ec2_trust_policy()); \
         iam::ensure_instance_profile(\"other-software\", \"other-software\"); \
         ec2::ensure_instance_profile(\"{id}\", \"other-software\")"
    ));
    let before = world();
    let arg = addon_arg(OLD);
    for check in [true, false] {
        let mut args = vec!["--set", arg.as_str()];
        if check {
            args.push("--check");
        }
        let run = playbook(&imds, &args);
        assert_eq!(run.code, 1, "{}", run.all());
        assert_contains!(
            run.all(),
            format!("instance {id} already has the instance profile other-software")
        );
        assert_contains!(run.all(), "--set replace_instance_profile=true");
        assert_eq!(world(), before, "a refused run changed something");
    }
}

#[test]
fn a_host_without_imds_is_told_to_use_the_iam_user_variant() {
    let Some(_g) = host_with_moto() else { return };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let before = world();
    let run = runbook(&["run", PLAYBOOK, "--check"])
        .env(
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
            format!("http://127.0.0.1:{port}"),
        )
        .run();
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains!(
        run.all(),
        "this host is not an EC2 instance: use secrets-manager-iam-user"
    );
    assert_eq!(world(), before);
}

#[test]
fn a_foreign_instance_profile_is_replaced_only_when_asked_and_confirmed() {
    let Some(_g) = host_with_moto() else { return };
    let id = run_instance();
    let imds = Imds::start(&id, "us-east-1");
    eval(&format!(
        "iam::ensure_role(\"other-software\", iam::ec2_trust_policy()); \
         iam::ensure_instance_profile(\"other-software\", \"other-software\"); \
         ec2::ensure_instance_profile(\"{id}\", \"other-software\")"
    ));
    // Without a terminal and without --yes there is no confirmation.
    let unconfirmed = runbook(&[
        "run",
        PLAYBOOK,
        "--set",
        "replace_instance_profile=true",
        "--set",
        &addon_arg(OLD),
    ])
    .env_remove("AWS_EC2_METADATA_DISABLED")
    .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds.endpoint)
    .run();
    assert_eq!(unconfirmed.code, 1, "{}", unconfirmed.all());
    assert_contains!(unconfirmed.all(), "--yes");
    assert_eq!(
        eval(&format!("ec2::instance_profile(\"{id}\").profile_name")),
        "other-software"
    );

    let replaced = playbook(
        &imds,
        &[
            "--set",
            "replace_instance_profile=true",
            "--set",
            &addon_arg(OLD),
        ],
    );
    assert_eq!(replaced.code, 0, "{}", replaced.all());
    assert_contains!(
        replaced.stdout,
        "replace instance profile other-software with"
    );
    assert_eq!(
        eval(&format!("ec2::instance_profile(\"{id}\").profile_name")),
        format!("alation-agent-{id}")
    );
}
