//! The AWS primitives against a moto server, through the real SDK.
//!
//! Start one with `scripts/moto.sh start && . .build/moto.env`. Without it
//! these tests fail, or are skipped knowingly outside CI (see `common::gate`).

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use rhai::Map;
use runbook::host::aws::iam::{self, Planned};
use runbook::host::aws::secrets::{self, SecretOpts};
use runbook::host::aws::{Aws, AwsSettings, Clients, policy, sts};
use runbook::host::{Ctx, ErrorKind, Mode, Status};
use serde_json::Value;

use crate::common::engine::Engine;
use crate::common::moto::Moto;

const AGENT: &str = "alation-agent-test";
const POLICY: &str = "read_secrets_policy";

/// moto through the SDK: the lock of moto's state, a runtime, the clients.
struct Sdk {
    moto: Moto,
    rt: tokio::runtime::Runtime,
    aws: Aws,
}

impl Sdk {
    fn run<F: Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    fn clients(&self) -> std::rc::Rc<Clients> {
        self.run(self.aws.clients(&AwsSettings::default())).unwrap()
    }
}

/// Exclusive use of a freshly reset moto, or `None` when skipped knowingly.
fn sdk() -> Option<Sdk> {
    Some(Sdk {
        moto: Moto::fresh()?,
        rt: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
        aws: Aws::new(),
    })
}

fn apply() -> Ctx {
    Ctx::plain(Mode::Apply)
}

fn doc(resources: &[&str]) -> Value {
    let r: Vec<String> = resources.iter().map(|s| s.to_string()).collect();
    policy::document(&["secretsmanager:GetSecretValue".into()], &r).unwrap()
}

fn secret_arn(n: u32) -> String {
    format!("arn:aws:secretsmanager:us-east-1:123456789012:secret:s{n}")
}

async fn versions(c: &Clients, arn: &str) -> Vec<(String, bool)> {
    let out = c
        .iam
        .list_policy_versions()
        .policy_arn(arn)
        .send()
        .await
        .unwrap();
    let mut v: Vec<(String, bool)> = out
        .versions()
        .iter()
        .map(|v| (v.version_id().unwrap().to_string(), v.is_default_version()))
        .collect();
    v.sort();
    v
}

#[test]
fn whoami_reports_the_moto_account() {
    let Some(m) = sdk() else { return };
    let c = m.clients();
    let id = m.run(sts::whoami(&c)).unwrap();
    assert_eq!(id.account, "123456789012");
    assert_eq!(id.partition, "aws");
    assert!(id.arn.starts_with("arn:aws:"), "{}", id.arn);
}

#[test]
fn policy_is_created_then_left_alone() {
    let Some(m) = sdk() else { return };
    let c = m.clients();
    let ctx = apply();
    let d = doc(&["*"]);
    let first = m
        .run(iam::ensure_policy(
            &ctx,
            &c,
            POLICY,
            &d,
            "/",
            Some("read secrets"),
        ))
        .unwrap();
    assert_eq!(first.outcome.status, Status::Changed);
    let arn = first.arn.known().unwrap().clone();
    assert_eq!(arn, "arn:aws:iam::123456789012:policy/read_secrets_policy");
    assert_eq!(first.version, Planned::Known("v1".into()));

    let again = m
        .run(iam::ensure_policy(
            &ctx,
            &c,
            POLICY,
            &d,
            "/",
            Some("read secrets"),
        ))
        .unwrap();
    assert_eq!(
        again.outcome.status,
        Status::Ok,
        "{}",
        again.outcome.summary
    );
    assert!(again.warnings.is_empty());

    // A differing description is a warning, not a change.
    let other = m
        .run(iam::ensure_policy(&ctx, &c, POLICY, &d, "/", Some("other")))
        .unwrap();
    assert_eq!(other.outcome.status, Status::Ok);
    assert_eq!(other.warnings.len(), 1, "{:?}", other.warnings);

    let found = m
        .run(iam::policy(&c, POLICY))
        .unwrap()
        .expect("policy by name");
    assert_eq!(found.arn, arn);
    assert_eq!(found.default_version, "v1");
    assert!(policy::same(&found.document, &d));
    assert!(m.run(iam::policy(&c, "no_such_policy")).unwrap().is_none());
    assert!(m.run(iam::policy(&c, &arn)).unwrap().is_some());
}

#[test]
fn changed_document_makes_a_new_default_and_a_matching_old_one_is_reused() {
    let Some(m) = sdk() else { return };
    let c = m.clients();
    let ctx = apply();
    let a = doc(&["*"]);
    let b = doc(&[&secret_arn(1)]);
    let arn = m
        .run(iam::ensure_policy(&ctx, &c, POLICY, &a, "/", None))
        .unwrap()
        .arn;
    let arn = arn.known().unwrap().clone();

    let changed = m
        .run(iam::ensure_policy(&ctx, &c, POLICY, &b, "/", None))
        .unwrap();
    assert_eq!(changed.outcome.status, Status::Changed);
    assert_eq!(changed.version, Planned::Known("v2".into()));
    assert_eq!(
        m.run(versions(&c, &arn)),
        vec![("v1".into(), false), ("v2".into(), true)]
    );

    let back = m
        .run(iam::ensure_policy(&ctx, &c, POLICY, &a, "/", None))
        .unwrap();
    assert_eq!(back.outcome.status, Status::Changed);
    assert_eq!(
        back.version,
        Planned::Known("v1".into()),
        "{}",
        back.outcome.summary
    );
    assert_eq!(
        m.run(versions(&c, &arn)),
        vec![("v1".into(), true), ("v2".into(), false)]
    );

    let ok = m
        .run(iam::ensure_policy(&ctx, &c, POLICY, &a, "/", None))
        .unwrap();
    assert_eq!(ok.outcome.status, Status::Ok);
}

#[test]
fn sixth_version_prunes_the_oldest_non_default() {
    let Some(m) = sdk() else { return };
    let c = m.clients();
    let ctx = apply();
    let mut arn = String::new();
    for n in 1..=5 {
        let r = m
            .run(iam::ensure_policy(
                &ctx,
                &c,
                POLICY,
                &doc(&[&secret_arn(n)]),
                "/",
                None,
            ))
            .unwrap();
        arn = r.arn.known().unwrap().clone();
    }
    assert_eq!(m.run(versions(&c, &arn)).len(), 5);
    let sixth = m
        .run(iam::ensure_policy(
            &ctx,
            &c,
            POLICY,
            &doc(&[&secret_arn(6)]),
            "/",
            None,
        ))
        .unwrap();
    assert_eq!(sixth.outcome.status, Status::Changed);
    assert_contains!(sixth.outcome.summary, "v1");
    let v = m.run(versions(&c, &arn));
    let ids: Vec<&str> = v.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["v2", "v3", "v4", "v5", "v6"]);
    assert!(v.iter().any(|(id, d)| id == "v6" && *d));
}

// Not tested here: a policy of the same name under another path. Real IAM
// refuses the CreatePolicy with EntityAlreadyExists (names are unique per
// account), which ensure_policy reports as a conflict; moto accepts the
// duplicate, so it cannot exercise that path.

#[test]
fn attaching_twice_leaves_one_attachment() {
    let Some(m) = sdk() else { return };
    let c = m.clients();
    let ctx = apply();
    let u = m
        .run(iam::ensure_user(
            &ctx,
            &c,
            AGENT,
            None,
            &[("purpose".into(), "alation".into())],
        ))
        .unwrap();
    assert_eq!(u.outcome.status, Status::Changed);
    let u2 = m
        .run(iam::ensure_user(
            &ctx,
            &c,
            AGENT,
            None,
            &[("purpose".into(), "alation".into())],
        ))
        .unwrap();
    assert_eq!(u2.outcome.status, Status::Ok, "{}", u2.outcome.summary);
    assert_eq!(u.arn, u2.arn);
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
    let first = m
        .run(iam::ensure_user_policy(&ctx, &c, AGENT, &arn))
        .unwrap();
    assert_eq!(first.status, Status::Changed);
    let second = m
        .run(iam::ensure_user_policy(&ctx, &c, AGENT, &arn))
        .unwrap();
    assert_eq!(second.status, Status::Ok);
    assert_eq!(m.run(iam::attached_policies(&c, AGENT)).unwrap().len(), 1);
    let p = m.run(iam::policy(&c, POLICY)).unwrap().unwrap();
    assert_eq!(p.attachment_count, 1);
}

#[test]
fn third_access_key_is_refused_with_advice() {
    let Some(m) = sdk() else { return };
    let c = m.clients();
    let ctx = apply();
    m.run(iam::ensure_user(&ctx, &c, AGENT, None, &[])).unwrap();
    let k1 = m.run(iam::create_access_key(&ctx, &c, AGENT)).unwrap();
    let k2 = m.run(iam::create_access_key(&ctx, &c, AGENT)).unwrap();
    let secrets = [k1.secret.clone().unwrap(), k2.secret.clone().unwrap()];
    let e = m.run(iam::create_access_key(&ctx, &c, AGENT)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::LimitExceeded);
    assert_contains!(
        e.hint.as_deref().unwrap(),
        "runbook run alation-agent/rotate-access-key"
    );
    let keys = m.run(iam::access_keys(&ctx, &c, AGENT)).unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(Planned::Known(keys[0].id.clone()), k1.id, "oldest first");
    // Nothing that is printed holds a secret.
    let shown = format!("{e:?} {e} {k1:?} {k2:?} {keys:?}");
    for s in &secrets {
        assert_not_contains!(shown, s.expose(), "secret leaked");
    }
    // Deactivate and delete are idempotent.
    let d1 = m
        .run(iam::deactivate_access_key(&ctx, &c, AGENT, &k1.id))
        .unwrap();
    assert_eq!(d1.status, Status::Changed);
    let d2 = m
        .run(iam::deactivate_access_key(&ctx, &c, AGENT, &k1.id))
        .unwrap();
    assert_eq!(d2.status, Status::Ok);
    let x1 = m
        .run(iam::delete_access_key(&ctx, &c, AGENT, &k1.id))
        .unwrap();
    assert_eq!(x1.status, Status::Changed);
    let x2 = m
        .run(iam::delete_access_key(&ctx, &c, AGENT, &k1.id))
        .unwrap();
    assert_eq!(x2.status, Status::Ok);
    assert_eq!(m.run(iam::access_keys(&ctx, &c, AGENT)).unwrap().len(), 1);
}

async fn inventory(c: &Clients) -> (usize, usize, usize) {
    let users = c.iam.list_users().send().await.unwrap().users().len();
    let policies = c
        .iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .send()
        .await
        .unwrap()
        .policies()
        .len();
    let keys = c
        .iam
        .list_access_keys()
        .user_name(AGENT)
        .send()
        .await
        .map(|o| o.access_key_metadata().len())
        .unwrap_or(0);
    (users, policies, keys)
}

#[test]
fn check_mode_on_an_empty_account_plans_everything_and_creates_nothing() {
    let Some(m) = sdk() else { return };
    let c = m.clients();
    let ctx = Ctx::plain(Mode::Check);
    let before = m.run(inventory(&c));
    let p = m
        .run(iam::ensure_policy(
            &ctx,
            &c,
            POLICY,
            &doc(&["*"]),
            "/",
            None,
        ))
        .unwrap();
    assert_eq!(p.outcome.status, Status::WouldChange);
    assert_eq!(p.arn, Planned::Unknown);
    let u = m
        .run(iam::ensure_user(
            &ctx,
            &c,
            AGENT,
            None,
            &[("a".into(), "b".into())],
        ))
        .unwrap();
    assert_eq!(u.outcome.status, Status::WouldChange);
    assert_eq!(u.arn, Planned::Unknown);
    let a = m
        .run(iam::ensure_user_policy(&ctx, &c, AGENT, &p.arn))
        .unwrap();
    assert_eq!(a.status, Status::WouldChange);
    assert!(m.run(iam::access_keys(&ctx, &c, AGENT)).unwrap().is_empty());
    let k = m.run(iam::create_access_key(&ctx, &c, AGENT)).unwrap();
    assert_eq!(k.id, Planned::Unknown);
    assert!(k.secret.is_none());
    assert_eq!(k.outcome.status, Status::WouldChange);
    let d = m
        .run(iam::delete_access_key(&ctx, &c, AGENT, &k.id))
        .unwrap();
    assert_eq!(d.status, Status::WouldChange);
    assert_eq!(m.run(inventory(&c)), before);
    assert_eq!(before, (0, 0, 0));

    // A changed document on an existing policy plans a new version without making it.
    let ctx_apply = apply();
    let arn = m
        .run(iam::ensure_policy(
            &ctx_apply,
            &c,
            POLICY,
            &doc(&["*"]),
            "/",
            None,
        ))
        .unwrap()
        .arn;
    let planned = m
        .run(iam::ensure_policy(
            &ctx,
            &c,
            POLICY,
            &doc(&[&secret_arn(1)]),
            "/",
            None,
        ))
        .unwrap();
    assert_eq!(planned.outcome.status, Status::WouldChange);
    assert_eq!(planned.arn, arn);
    assert_eq!(planned.version, Planned::Unknown);
    assert_eq!(m.run(versions(&c, arn.known().unwrap())).len(), 1);
}

/// Creates the agent user with the read policy (attached or not) and a key,
/// writes the key into a credentials file; returns (policy arn, key id, secret).
fn agent_with_key(m: &Sdk, dir: &Path, attach: bool) -> (Planned<String>, String, String) {
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

fn write_credentials(dir: &Path, id: &str, secret: &str) {
    std::fs::write(
        dir.join("credentials"),
        format!("[default]\naws_access_key_id = wrong\naws_secret_access_key = wrong\n\n[alation_auth]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n"),
    )
    .unwrap();
}

fn verify_opts(dir: &Path) -> SecretOpts {
    SecretOpts {
        profile: Some("alation_auth".into()),
        credentials_file: Some(dir.join("credentials")),
        region: Some("us-east-1".into()),
        wait: Some(Duration::ZERO),
    }
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

// ---------------------------------------------------------------- scripts

/// Runs `script` in an in-process session in `mode`; its value (a map) and
/// the JSON report it printed.
fn script(mode: Mode, script: &str) -> (Result<Map, String>, String) {
    let engine = Engine::new(mode);
    let r = engine.eval(script).map(|d| d.cast::<Map>());
    (r, engine.output())
}

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
