//! `alation-agent/decommission` end to end in the Agent-host sandbox: after
//! the IAM-user playbook, the account's IAM listings and the credentials
//! file's bytes are as before the install; other profiles stay; a user
//! without `managed-by=runbook` is never deleted; a rerun changes nothing.

use crate::common::agent::*;
use crate::common::imds::{Imds, query, run_instance};

const CREDS: &str = "# by hand\n[default]\naws_access_key_id = AKIADEFAULT000000000\naws_secret_access_key=defaultsecretdefaultsecret\n\n; old\n[legacy]\naws_access_key_id=AKIALEGACY0000000000\naws_secret_access_key = legacysecretlegacysecret\n";

/// The names IAM lists: users, local policies, roles, instance profiles.
fn listings() -> Vec<String> {
    let mut all = vec![];
    for (action, tag) in [
        ("ListUsers", "UserName"),
        ("ListPolicies&Scope=Local", "PolicyName"),
        ("ListRoles", "RoleName"),
        ("ListInstanceProfiles", "InstanceProfileName"),
    ] {
        let out = query("iam", &format!("Action={action}&Version=2010-05-08"));
        let open = format!("<{tag}>");
        let mut names: Vec<String> = out
            .split(&open)
            .skip(1)
            .filter_map(|s| s.split(&format!("</{tag}>")).next())
            .map(|n| format!("{tag}={n}"))
            .collect();
        names.sort();
        names.dedup();
        all.extend(names);
    }
    all
}

fn keys_of(user: &str) -> String {
    eval(&format!("iam::access_keys(\"{user}\").len()"))
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

fn decommission(extra: &[&str]) -> Output {
    let mut args = vec![
        "run",
        "alation-agent/decommission",
        "--set",
        "variant=iam-user",
        "--set",
        "user_name=agent-e2e",
    ];
    args.extend_from_slice(extra);
    runbook(&args).run()
}

#[test]
fn after_the_iam_user_variant_the_account_and_the_file_are_as_before() {
    let Some(_g) = host_with_moto() else { return };
    std::fs::create_dir_all(CRED_DIR).unwrap();
    std::fs::write(CRED_FILE, CREDS).unwrap();
    let before = listings();
    install();
    assert_ne!(listings(), before);

    let iam_after_install = listings();
    let file_after_install = std::fs::read(CRED_FILE).unwrap();
    let check = decommission(&["--check", "--set", "delete_policy=true"]);
    assert_eq!(check.code, 0, "{}", check.all());
    for expected in [
        "would_change iam::deactivate_access_key agent-e2e",
        "would_change iam::delete_access_key agent-e2e",
        "would_change ini::remove_section",
        "would_change iam::detach_user_policy agent-e2e",
        "would_change iam::delete_user agent-e2e",
        "would_change iam::delete_policy",
    ] {
        assert_contains!(check.stdout, expected);
    }
    assert_eq!(listings(), iam_after_install, "check mode changed IAM");
    assert_eq!(
        std::fs::read(CRED_FILE).unwrap(),
        file_after_install,
        "check mode changed the file"
    );

    let run = decommission(&["--set", "delete_policy=true"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(listings(), before);
    assert_eq!(
        std::fs::read_to_string(CRED_FILE).unwrap(),
        CREDS,
        "other bytes of the file changed"
    );

    let again = decommission(&["--set", "delete_policy=true", "--output", "json"]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert_eq!(recap(&again)["changed"], 0, "{}", again.stdout);
}

#[test]
fn a_user_without_the_runbook_tag_stays_and_the_policy_is_kept_unless_asked() {
    let Some(_g) = host_with_moto() else { return };
    install();
    let out = query(
        "iam",
        "Action=UntagUser&Version=2010-05-08&UserName=agent-e2e&TagKeys.member.1=managed-by",
    );
    assert_contains!(out, "UntagUserResponse");
    let run = decommission(&[]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_contains!(
        run.stdout,
        "user agent-e2e stays: it is not tagged managed-by=runbook"
    );
    assert_contains!(run.stdout, "the policy is kept");
    assert_eq!(eval("iam::user(\"agent-e2e\").name"), "agent-e2e");
    assert_eq!(
        keys_of("agent-e2e"),
        "0",
        "the key in the file was not deleted"
    );
    assert_eq!(eval("iam::user_policies(\"agent-e2e\").len()"), "0");
    assert_contains!(
        eval("iam::policy(\"read_secrets_policy\").name"),
        "read_secrets_policy"
    );
}

#[test]
fn after_the_instance_profile_variant_the_account_is_as_before() {
    let Some(_g) = host_with_moto() else { return };
    let id = run_instance();
    let imds = Imds::start(&id, "us-east-1");
    let before = listings();
    let run = runbook(&[
        "run",
        "alation-agent/secrets-manager-instance-profile",
        "--yes",
        "--set",
        "propagation_wait=20s",
        "--set",
        &addon_arg(OLD),
    ])
    .env_remove("AWS_EC2_METADATA_DISABLED")
    .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds.endpoint)
    .run();
    assert_eq!(run.code, 0, "{}", run.all());
    let after_install = listings();
    let decom = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "alation-agent/decommission",
            "--set",
            "variant=instance-profile",
            "--set",
            "delete_policy=true",
        ];
        args.extend_from_slice(extra);
        runbook(&args)
            .env_remove("AWS_EC2_METADATA_DISABLED")
            .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds.endpoint)
            .run()
    };
    let check = decom(&["--check"]);
    assert_eq!(check.code, 0, "{}", check.all());
    assert_contains!(
        check.stdout,
        format!("would_change ec2::remove_instance_profile {id}")
    );
    assert_contains!(check.stdout, "would_change iam::delete_role");
    assert_eq!(listings(), after_install, "check mode changed IAM");
    let done = decom(&[]);
    assert_eq!(done.code, 0, "{}", done.all());
    assert_eq!(listings(), before);
    assert_eq!(eval(&format!("ec2::instance_profile(\"{id}\")")), "");
    let again = decom(&["--output", "json"]);
    assert_eq!(recap(&again)["changed"], 0, "{}", again.stdout);
}

#[test]
fn a_rerun_after_an_interrupted_decommission_converges() {
    let Some(_g) = host_with_moto() else { return };
    let before = listings();
    install();
    // As if killed right after the key's deletion, then after the policy's detachment.
    let (id, _) = key_in(std::path::Path::new(CRED_FILE));
    eval(&format!(
        "iam::deactivate_access_key(\"agent-e2e\", \"{id}\"); iam::delete_access_key(\"agent-e2e\", \"{id}\")"
    ));
    let first = decommission(&["--set", "delete_policy=true"]);
    assert_eq!(first.code, 0, "{}", first.all());
    assert_eq!(listings(), before);
    assert!(profile_of(&std::fs::read_to_string(CRED_FILE).unwrap(), "alation_auth").is_empty());

    install();
    eval("iam::detach_user_policy(\"agent-e2e\", iam::policy(\"read_secrets_policy\").arn)");
    let second = decommission(&["--set", "delete_policy=true"]);
    assert_eq!(second.code, 0, "{}", second.all());
    assert_eq!(listings(), before);
}
