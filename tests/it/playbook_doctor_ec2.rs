//! `alation-agent/doctor` on the instance-profile variant, in the Agent-host
//! sandbox with moto's EC2 and the IMDSv2 stand-in: it passes once converged,
//! and names the failure after the policy is detached from the role, the
//! profile is disassociated, or IMDS is unreachable.

use crate::common::agent::*;
use crate::common::imds::{Imds, run_instance};

fn on(imds: &Imds, args: &[&str]) -> Output {
    runbook(args)
        .env_remove("AWS_EC2_METADATA_DISABLED")
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds.endpoint)
        .run()
}

#[test]
fn doctor_passes_on_the_converged_variant_and_names_each_failure() {
    let Some(_g) = host_with_moto() else { return };
    let id = run_instance();
    let imds = Imds::start(&id, "us-east-1");
    let role = format!("alation-agent-{id}");
    let setup = on(
        &imds,
        &[
            "run",
            "alation-agent/secrets-manager-instance-profile",
            "--yes",
            "--set",
            "propagation_wait=20s",
            "--set",
            &addon_arg(OLD),
        ],
    );
    assert_eq!(setup.code, 0, "{}", setup.all());

    let ok = on(&imds, &["run", "alation-agent/doctor"]);
    assert_eq!(ok.code, 0, "{}", ok.all());
    for row in [
        "instance profile associated",
        "role trusts EC2",
        "role carries the policy",
        "IMDS gives credentials",
        "credentials authenticate as the role",
    ] {
        assert_contains!(ok.stdout, row);
    }
    assert_not_contains!(ok.stdout, "FAIL");

    eval(&format!(
        "iam::detach_role_policy(\"{role}\", iam::policy(\"read_secrets_policy\").arn)"
    ));
    let detached = on(&imds, &["run", "alation-agent/doctor"]);
    assert_eq!(detached.code, 1, "{}", detached.all());
    assert_contains!(detached.stdout, "FAIL");
    assert_contains!(detached.stdout, "role carries the policy");

    eval(&format!(
        "ec2::remove_instance_profile(\"{id}\", \"{role}\")"
    ));
    let gone = on(&imds, &["run", "alation-agent/doctor"]);
    assert_eq!(gone.code, 1, "{}", gone.all());
    assert_contains!(gone.stdout, "neither variant is in place");

    drop(imds);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let unreachable = runbook(&["run", "alation-agent/doctor"])
        .env_remove("AWS_EC2_METADATA_DISABLED")
        .env(
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
            format!("http://127.0.0.1:{port}"),
        )
        .run();
    assert_eq!(unreachable.code, 1, "{}", unreachable.all());
    assert_contains!(unreachable.stdout, "FAIL");
    assert_contains!(unreachable.all(), "no instance metadata service answers");
}
