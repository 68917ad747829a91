//! The doctor's "AWS reachable" row names the cause of a TLS failure (moto
//! over TLS with a throwaway CA) and passes, showing the route, once the CA
//! bundle is given. Inside the Agent-host sandbox, as the other doctor tests.

use crate::common::agent::*;
use crate::common::net::{self, Ca};

fn reachable_row(out: &Output) -> String {
    out.stdout
        .lines()
        .skip_while(|l| !l.contains("AWS reachable"))
        .take(2)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn doctor_names_a_tls_failure_and_passes_with_the_ca_bundle() {
    let Some(_g) = host_with_moto() else { return };
    net::require_tools();
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new(dir.path());
    let tls = net::tls_front(&ca, &net::moto_addr());
    let url = format!("https://127.0.0.1:{}", tls.port);
    let user = format!("user_name={USER}");
    let doctor = || {
        runbook(&["run", "alation-agent/doctor", "--set", &user])
            .env("AWS_ENDPOINT_URL", &url)
            .env_remove("AWS_CA_BUNDLE")
    };
    let out = doctor().run();
    assert_eq!(out.code, 1, "{}", out.all());
    let row = reachable_row(&out);
    assert_contains!(row, "FAIL", "{}", out.stdout);
    assert_contains!(row, "unknown issuer", "{}", out.stdout);
    assert_contains!(row, "AWS_CA_BUNDLE", "{}", out.stdout);

    let out = doctor().env("AWS_CA_BUNDLE", &ca.bundle).run();
    let row = reachable_row(&out);
    assert_contains!(row, "PASS", "{}", out.stdout);
    assert_contains!(row, &format!("{url} direct"), "{}", out.stdout);
    assert_contains!(
        row,
        &format!("{} (from AWS_CA_BUNDLE", ca.bundle.display()),
        "{}",
        out.stdout
    );
}
