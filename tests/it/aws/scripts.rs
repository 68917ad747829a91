//! Scripts of the procedure's steps against moto, through an in-process session.

use super::credentials::agent_with_key;
use super::*;

const STEPS_1_2: &str = r#"
    let doc = iam::policy_document(["secretsmanager:GetSecretValue"], ["*"]);
    let p = iam::ensure_policy("read_secrets_policy", doc, #{description: "Alation Agent reads secrets"});
    let u = iam::ensure_user("alation-agent-test", #{tags: #{purpose: "alation-agent"}});
    let a = iam::ensure_user_policy("alation-agent-test", p.arn);
    let before = iam::access_keys("alation-agent-test");
    let k = iam::create_access_key("alation-agent-test");
    let line = `key ${k.id} secret ${k.secret}`;
    print(line);
    #{
        line: line, secret: k.secret,
        policy: p.status, arn_unknown: is_unknown(p.arn), user: u.status, attach: a.status,
        keys_before: before.len(), key: k.status, id_unknown: is_unknown(k.id),
        secret_unknown: is_unknown(k.secret), account: sts::whoami().account,
    }
"#;

#[test]
fn a_check_run_of_steps_1_and_2_plans_everything_and_changes_nothing() {
    let Some(m) = sdk() else { return };
    let c = m.clients();
    let before = m.run(inventory(&c));
    let (r, out) = script(Mode::Check, STEPS_1_2);
    let r = r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(m.run(inventory(&c)), before);
    for k in ["policy", "user", "attach", "key"] {
        assert_eq!(r[k].to_string(), "would_change", "{k}: {out}");
    }
    for k in ["arn_unknown", "id_unknown", "secret_unknown"] {
        assert!(r[k].as_bool().unwrap(), "{k}");
    }
    assert_eq!(r["account"].to_string(), "123456789012");
    assert_eq!(
        r["line"].to_string(),
        "key (known after apply) secret (known after apply)"
    );
}

#[test]
fn an_apply_run_of_steps_1_and_2_converges_and_never_prints_the_secret() {
    let Some(m) = sdk() else { return };
    let (r, out) = script(Mode::Apply, STEPS_1_2);
    let r = r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    for k in ["policy", "user", "attach", "key"] {
        assert_eq!(r[k].to_string(), "changed", "{k}: {out}");
    }
    let c = m.clients();
    let ctx = apply();
    let keys = m.run(iam::access_keys(&ctx, &c, AGENT)).unwrap();
    assert_eq!(keys.len(), 1);
    assert_contains!(out, &keys[0].id, "the key id is shown");
    let line = r["line"].to_string();
    assert_eq!(line, format!("key {} secret ********", keys[0].id));
    let secret = r["secret"].clone().cast::<runbook::secret::Secret>();
    assert!(secret.expose().len() >= 20);
    assert_not_contains!(out, secret.expose());
    assert_not_contains!(line, secret.expose());

    // A second run changes nothing but the new key, and the third key is refused.
    let (r2, out2) = script(Mode::Apply, STEPS_1_2);
    let r2 = r2.unwrap();
    for k in ["policy", "user", "attach"] {
        assert_eq!(r2[k].to_string(), "ok", "{k}: {out2}");
    }
    let (r3, out3) = script(Mode::Apply, STEPS_1_2);
    let e = r3.unwrap_err();
    assert_contains!(e, "limit_exceeded", "the script's report:\n{out3}");
    assert_contains!(e, "rotate-access-key", "the script's report:\n{out3}");

    // The script can catch a host error as a map with kind and message.
    let (caught, _) = script(
        Mode::Apply,
        r#"let r = #{}; try { iam::create_access_key("alation-agent-test"); } catch (err) { r = #{kind: err.kind, hint: err.hint}; } r"#,
    );
    assert_eq!(caught.unwrap()["kind"].to_string(), "limit_exceeded");
}

#[test]
fn configure_switches_the_identity_and_bad_input_is_refused() {
    let Some(_m) = sdk() else { return };
    let (r, out) = script(
        Mode::Apply,
        r#"
        aws::configure(#{region: "eu-west-1"});
        let s = aws::settings();
        let bad = "";
        try { iam::policy_document(["secretsmanager:GetSecretValue"], ["db"]); } catch (e) { bad = e.kind; }
        let opt = "";
        try { iam::ensure_user("x", #{pth: "/"}); } catch (e) { opt = e.kind; }
        #{region: s.region, who: sts::whoami().account, bad: bad, opt: opt, missing: type_of(iam::user("nobody"))}
        "#,
    );
    let r = r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(r["region"].to_string(), "eu-west-1");
    assert_eq!(r["who"].to_string(), "123456789012");
    assert_eq!(r["bad"].to_string(), "invalid_input");
    assert_eq!(r["opt"].to_string(), "invalid_input");
    assert_eq!(r["missing"].to_string(), "()");
}

#[test]
fn a_profile_missing_from_the_credentials_file_is_a_clear_error() {
    let Some(m) = sdk() else { return };
    let dir = tempfile::tempdir().unwrap();
    write_credentials(dir.path(), "AKIAEXAMPLE", "not-a-real-secret-value-xyz");
    let opts = SecretOpts {
        profile: Some("nope".into()),
        ..verify_opts(dir.path())
    };
    let e = m
        .run(secrets::get_value(
            &apply(),
            &m.aws,
            &AwsSettings::default(),
            "db",
            &opts,
        ))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::AccessDenied, "{e:?}");
    assert_contains!(e.message, "profile `nope`");
    assert_not_contains!(e.message, "DispatchFailure {", "no SDK debug dump");
    assert_contains!(e.hint.as_deref().unwrap(), "AWS_SHARED_CREDENTIALS_FILE");
    assert_not_contains!(format!("{e:?}"), "not-a-real-secret");
}

#[test]
fn an_explicit_profile_wins_over_environment_credentials() {
    let Some(m) = sdk() else { return };
    // The sandbox's shared credentials file from .build/moto.env; never a real one.
    let file = std::env::var("AWS_SHARED_CREDENTIALS_FILE")
        .ok()
        .filter(|f| f.contains("/.build/home/"))
        .expect("AWS_SHARED_CREDENTIALS_FILE must point into .build/home: source .build/moto.env");
    let file = Path::new(&file);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let dir = file.parent().unwrap();
    let _ = agent_with_key(&m, dir, true);
    let explicit = AwsSettings {
        profile: Some("alation_auth".into()),
        region: None,
        no_proxy: false,
    };
    let c = m.run(m.aws.clients(&explicit)).unwrap();
    let id = m.run(sts::whoami(&c)).unwrap();
    std::fs::remove_file(file).unwrap();
    assert!(id.arn.ends_with(&format!("user/{AGENT}")), "{}", id.arn);
    // Without a profile the environment's credentials (moto's default user) are used.
    let default = m.run(sts::whoami(&m.clients())).unwrap();
    assert_ne!(default.arn, id.arn);
}
