//! moto over TLS (stunnel4 with a throwaway CA made by openssl): refused
//! without the CA, with a message naming the certificate problem and
//! AWS_CA_BUNDLE; accepted with `AWS_CA_BUNDLE` and with a profile's
//! `ca_bundle`; a bundle that cannot be read names the file and the setting.

use crate::common::net::{self, Ca};
use crate::common::{Output, Test};

/// A run without the machine's own `AWS_CA_BUNDLE`, if it has one.
fn clean() -> Test {
    Test::new().env_remove("AWS_CA_BUNDLE")
}

/// `runbook eval CODE` against `endpoint`.
fn eval(t: Test, endpoint: &str, code: &str) -> Output {
    t.env("AWS_ENDPOINT_URL", endpoint)
        .args(["eval", code])
        .run()
}

#[test]
fn a_tls_endpoint_with_an_unknown_ca_is_refused_as_a_certificate_problem() {
    let Some(_m) = net::fresh() else { return };
    let t = clean();
    let ca = Ca::new(t.path());
    let tls = net::tls_front(&ca, &net::moto_addr());
    let url = format!("https://127.0.0.1:{}", tls.port);
    let out = eval(t, &url, "sts::whoami()");
    assert_eq!(out.code, 1, "{}", out.all());
    assert_contains!(
        out.stderr,
        &format!("the TLS certificate of {url} was not accepted")
    );
    assert_contains!(out.stderr, "unknown issuer");
    assert_contains!(out.stderr, "AWS_CA_BUNDLE");
    assert_not_contains!(out.stderr, "did not answer in time");
    assert_not_contains!(out.stderr, "try again later");
}

#[test]
fn aws_ca_bundle_makes_the_tls_endpoint_trusted() {
    let Some(_m) = net::fresh() else { return };
    let t = clean();
    let ca = Ca::new(t.path());
    let tls = net::tls_front(&ca, &net::moto_addr());
    let url = format!("https://127.0.0.1:{}", tls.port);
    let out = eval(
        t.env("AWS_CA_BUNDLE", &ca.bundle),
        &url,
        "let s = aws::settings(); print(s.ca_bundle); sts::whoami().account",
    );
    assert_eq!(out.code, 0, "{}", out.all());
    assert_contains!(out.stdout, "123456789012");
    assert_contains!(
        out.stdout,
        &format!(
            "{} (from AWS_CA_BUNDLE, 1 certificates)",
            ca.bundle.display()
        )
    );
}

#[test]
fn a_profile_ca_bundle_works_like_aws_ca_bundle() {
    let Some(_m) = net::fresh() else { return };
    let t = clean();
    let ca = Ca::new(t.path());
    let tls = net::tls_front(&ca, &net::moto_addr());
    let url = format!("https://127.0.0.1:{}", tls.port);
    let config = t.file(
        "aws-config",
        &format!(
            "[profile site]\nregion = us-east-1\nca_bundle = {}\n",
            ca.bundle.display()
        ),
    );
    let t = t.env("AWS_CONFIG_FILE", &config);
    let out = eval(t.env("AWS_PROFILE", "site"), &url, "sts::whoami().account");
    // The profile has no credentials: the environment's are used, its ca_bundle is.
    assert_eq!(out.code, 0, "{}", out.all());
    assert_contains!(out.stdout, "123456789012");
}

#[test]
fn a_missing_or_bad_ca_bundle_names_the_file_and_the_setting() {
    let Some(_m) = net::fresh() else { return };
    let t = clean();
    let missing = t.path().join("nope.pem");
    let out = eval(
        clean().env("AWS_CA_BUNDLE", &missing),
        "https://127.0.0.1:1",
        "sts::whoami()",
    );
    assert_eq!(out.code, 1, "{}", out.all());
    assert_contains!(
        out.stderr,
        &format!(
            "the CA bundle {} (from AWS_CA_BUNDLE) cannot be used",
            missing.display()
        )
    );
    let junk = t.file("junk.pem", "not a certificate\n");
    let config = t.file(
        "aws-config",
        &format!("[default]\nca_bundle = {}\n", junk.display()),
    );
    let out = eval(
        clean().env("AWS_CONFIG_FILE", &config),
        "https://127.0.0.1:1",
        "sts::whoami()",
    );
    assert_eq!(out.code, 1, "{}", out.all());
    assert_contains!(out.stderr, &format!("the CA bundle {}", junk.display()));
    assert_contains!(out.stderr, "from ca_bundle of AWS profile default");
    assert_contains!(out.stderr, "no PEM certificate");
}
