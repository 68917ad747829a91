//! Reading secrets with a key from a credentials file, and IAM's enforcement
//! of the policy attachment.

use super::*;

/// Creates the agent user with the read policy (attached or not) and a key,
/// writes the key into a credentials file; returns (policy arn, key id, secret).
pub(super) fn agent_with_key(
    m: &Sdk,
    dir: &Path,
    attach: bool,
) -> (Planned<String>, String, String) {
    let c = m.clients();
    let ctx = apply();
    m.run(iam::ensure_user(&ctx, &c, AGENT, None, &[])).unwrap();
    let arn = m
        .run(iam::ensure_policy(
            &ctx,
            &c,
            POLICY,
            &doc(&["*"]),
            "/",
            None,
        ))
        .unwrap()
        .arn;
    if attach {
        m.run(iam::ensure_user_policy(&ctx, &c, AGENT, &arn))
            .unwrap();
    }
    let key = m.run(iam::create_access_key(&ctx, &c, AGENT)).unwrap();
    let id = key.id.known().unwrap().clone();
    let secret = key.secret.unwrap().expose().to_string();
    write_credentials(dir, &id, &secret);
    m.run(
        c.secrets
            .create_secret()
            .name("db-password")
            .secret_string("s3cr3t-db-value")
            .send(),
    )
    .unwrap();
    (arn, id, secret)
}

#[test]
fn get_value_with_a_profile_from_a_credentials_file_uses_that_key() {
    let Some(m) = sdk() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (_, id, _) = agent_with_key(&m, dir.path(), true);
    let ctx = apply();
    let v = m
        .run(secrets::get_value(
            &ctx,
            &m.aws,
            &AwsSettings::default(),
            "db-password",
            &verify_opts(dir.path()),
        ))
        .unwrap();
    assert_eq!(v.expose(), "s3cr3t-db-value");
    assert_not_contains!(format!("{v:?} {v}"), "s3cr3t");
    // The call really was made as the agent: moto maps keys to users.
    let who = m
        .run(runbook::host::aws::config::verification_clients(
            "alation_auth",
            Some(&dir.path().join("credentials")),
            Some("us-east-1"),
            false,
        ))
        .unwrap();
    let me = m.run(sts::caller_identity(&who)).unwrap();
    assert!(
        me.arn.ends_with(&format!("user/{AGENT}")),
        "{} for {id}",
        me.arn
    );
    let file = dir.path().join("credentials");
    let me2 = m
        .run(sts::whoami_as(
            &ctx,
            "alation_auth",
            Some(&file),
            Some("us-east-1"),
            Duration::ZERO,
            false,
        ))
        .unwrap();
    assert_eq!(me, me2);
    // Through the script API as well.
    let (r, out) = script(
        Mode::Apply,
        &format!(
            r#"let w = sts::whoami(#{{profile: "alation_auth", credentials_file: "{0}", wait: "0s"}});
               let v = secrets::get_value("db-password", #{{profile: "alation_auth", credentials_file: "{0}"}});
               #{{arn: w.arn, shown: `${{v}}`, len: v.expose().len()}}"#,
            file.display()
        ),
    );
    let r = r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(r["arn"].to_string(), me.arn);
    assert_eq!(r["shown"].to_string(), "********");
    assert_eq!(r["len"].as_int().unwrap(), "s3cr3t-db-value".len() as i64);
    let (checked, out) = script(
        Mode::Check,
        &format!(
            r#"#{{w: is_unknown(sts::whoami(#{{profile: "alation_auth", credentials_file: "{0}"}})),
                 v: is_unknown(secrets::get_value("db-password", #{{profile: "alation_auth", credentials_file: "{0}"}})),
                 plain: secrets::get_value("db-password").to_string()}}"#,
            file.display()
        ),
    );
    let checked = checked.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert!(checked["w"].as_bool().unwrap() && checked["v"].as_bool().unwrap());
    assert_eq!(
        checked["plain"].to_string(),
        "********",
        "reads still run in check mode"
    );
    assert_contains!(out, "skipped (check mode)");

    let info = m
        .run(secrets::describe(
            &m.aws,
            &AwsSettings::default(),
            "db-password",
            &SecretOpts::default(),
        ))
        .unwrap()
        .unwrap();
    assert_eq!(info.name, "db-password");
    assert_not_contains!(format!("{info:?}"), "s3cr3t");
    assert!(
        m.run(secrets::describe(
            &m.aws,
            &AwsSettings::default(),
            "nope",
            &SecretOpts::default()
        ))
        .unwrap()
        .is_none()
    );
    let missing = m
        .run(secrets::get_value(
            &ctx,
            &m.aws,
            &AwsSettings::default(),
            "nope",
            &SecretOpts::default(),
        ))
        .unwrap_err();
    assert_eq!(missing.kind, ErrorKind::NotFound, "{missing:?}");
}

#[test]
fn enforced_authorisation_follows_the_attachment() {
    let Some(m) = sdk() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (arn, _, secret) = agent_with_key(&m, dir.path(), false);
    let ctx = apply();
    let c = m.clients();
    let get = |opts: &SecretOpts| {
        let _on = m.moto.enforced();
        m.run(secrets::get_value(
            &ctx,
            &m.aws,
            &AwsSettings::default(),
            "db-password",
            opts,
        ))
    };
    let opts = verify_opts(dir.path());

    let denied = get(&opts).unwrap_err();
    assert_eq!(denied.kind, ErrorKind::AccessDenied, "{denied:?}");
    assert_contains!(denied.message, "GetSecretValue");
    eprintln!("denied: {denied:?}");
    assert_not_contains!(format!("{denied:?}"), &secret);

    // With a wait, denial is retried (IAM propagation) and then reported as such.
    let waited = get(&SecretOpts {
        wait: Some(Duration::from_millis(1600)),
        ..opts.clone()
    })
    .unwrap_err();
    assert_eq!(waited.kind, ErrorKind::AccessDenied);
    assert_contains!(waited.message, "still denied after");

    m.run(iam::ensure_user_policy(&ctx, &c, AGENT, &arn))
        .unwrap();
    assert_eq!(get(&opts).unwrap().expose(), "s3cr3t-db-value");

    m.run(
        c.iam
            .detach_user_policy()
            .user_name(AGENT)
            .policy_arn(arn.known().unwrap())
            .send(),
    )
    .unwrap();
    let again = get(&opts).unwrap_err();
    assert_eq!(again.kind, ErrorKind::AccessDenied, "{again:?}");

    // An access_denied error from the session's own calls names the caller.
    let agent = m
        .run(runbook::host::aws::config::verification_clients(
            "alation_auth",
            Some(&dir.path().join("credentials")),
            Some("us-east-1"),
            false,
        ))
        .unwrap();
    let named = {
        let _on = m.moto.enforced();
        m.run(async { sts::with_identity(&agent, iam::user(&agent, "someone").await).await })
            .unwrap_err()
    };
    assert_eq!(named.kind, ErrorKind::AccessDenied, "{named:?}");
    assert_contains!(named.message, "iam:GetUser");
    assert_contains!(
        named.message,
        &format!("identity: arn:aws:iam::123456789012:user/{AGENT}")
    );

    // A wrong secret for a real key id is refused too, and never shown.
    m.run(iam::ensure_user_policy(&ctx, &c, AGENT, &arn))
        .unwrap();
    let id = m.run(iam::access_keys(&ctx, &c, AGENT)).unwrap()[0]
        .id
        .clone();
    write_credentials(
        dir.path(),
        &id,
        "not-the-secret-at-all-0123456789abcdefghij",
    );
    let wrong = get(&opts).unwrap_err();
    assert_eq!(wrong.kind, ErrorKind::AccessDenied, "{wrong:?}");
    assert!(!wrong.message.is_empty());
    eprintln!("wrong secret: {wrong:?}");
    let shown = format!("{wrong:?} {wrong} {denied} {again}");
    assert_not_contains!(shown, "not-the-secret-at-all");
    assert_not_contains!(shown, &secret);
}
