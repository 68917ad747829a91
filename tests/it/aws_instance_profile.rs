//! The instance-profile primitives against moto: a role whose trust policy is
//! compared by meaning, an instance profile holding it, and the association
//! with a moto EC2 instance (`RunInstances`); then IMDS through the stand-in.

use std::future::Future;

use runbook::host::aws::iam::{self, Planned};
use runbook::host::aws::{Aws, AwsSettings, Clients, ec2};
use runbook::host::{Ctx, ErrorKind, Mode, Status};

use crate::common::imds::{Imds, query, run_instance, xml_value};
use crate::common::moto::Moto;
use crate::common::runner::Test;

const ROLE: &str = "alation-agent-test-role";

struct Sdk {
    _moto: Moto,
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

fn sdk() -> Option<Sdk> {
    Some(Sdk {
        _moto: Moto::fresh()?,
        rt: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
        aws: Aws::new(),
    })
}

fn tags() -> Vec<(String, String)> {
    vec![("managed-by".into(), "runbook".into())]
}

#[test]
fn a_role_is_created_then_kept_and_a_different_trust_policy_is_updated() {
    let Some(s) = sdk() else { return };
    let c = s.clients();
    let trust = iam::ec2_trust_policy();
    let check = s
        .run(iam::ensure_role(
            &Ctx::plain(Mode::Check),
            &c,
            ROLE,
            &trust,
            &tags(),
        ))
        .unwrap();
    assert_eq!(
        (check.arn.clone(), check.outcome.status),
        (Planned::Unknown, Status::WouldChange)
    );
    assert!(
        s.run(iam::role(&c, ROLE)).unwrap().is_none(),
        "check mode created the role"
    );

    let apply = Ctx::plain(Mode::Apply);
    let made = s
        .run(iam::ensure_role(&apply, &c, ROLE, &trust, &tags()))
        .unwrap();
    assert_eq!(made.outcome.status, Status::Changed);
    let role = s.run(iam::role(&c, ROLE)).unwrap().expect("role");
    assert!(iam::trusts_service(&role.trust_policy, "ec2.amazonaws.com"));
    assert_eq!(
        role.tags.get("managed-by").and_then(|v| v.as_str()),
        Some("runbook")
    );

    // The same meaning written otherwise is no change.
    let same = serde_json::json!({"Version": "2012-10-17", "Statement": {"Sid": "Ec2",
        "Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}});
    let again = s
        .run(iam::ensure_role(&apply, &c, ROLE, &same, &[]))
        .unwrap();
    assert_eq!(
        again.outcome.status,
        Status::Ok,
        "{}",
        again.outcome.summary
    );

    // Someone made it trust Lambda: it is put back.
    let lambda = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    s.run(iam::ensure_role(&apply, &c, ROLE, &lambda, &[]))
        .unwrap();
    let fixed = s
        .run(iam::ensure_role(&apply, &c, ROLE, &trust, &[]))
        .unwrap();
    assert_eq!(fixed.outcome.status, Status::Changed);
    assert_eq!(
        fixed.outcome.summary,
        format!("role {ROLE}: update the trust policy")
    );
    let role = s.run(iam::role(&c, ROLE)).unwrap().unwrap();
    assert!(iam::trusts_service(&role.trust_policy, "ec2.amazonaws.com"));
    assert!(!iam::trusts_service(
        &role.trust_policy,
        "lambda.amazonaws.com"
    ));
}

#[test]
fn a_policy_is_attached_to_the_role_once() {
    let Some(s) = sdk() else { return };
    let c = s.clients();
    let apply = Ctx::plain(Mode::Apply);
    s.run(iam::ensure_role(
        &apply,
        &c,
        ROLE,
        &iam::ec2_trust_policy(),
        &[],
    ))
    .unwrap();
    let doc = runbook::host::aws::policy::document(
        &["secretsmanager:GetSecretValue".into()],
        &["*".into()],
    )
    .unwrap();
    let p = s
        .run(iam::ensure_policy(
            &apply,
            &c,
            "read_secrets_policy",
            &doc,
            "/",
            None,
        ))
        .unwrap();
    let first = s
        .run(iam::ensure_role_policy(&apply, &c, ROLE, &p.arn))
        .unwrap();
    assert_eq!(first.status, Status::Changed);
    let second = s
        .run(iam::ensure_role_policy(&apply, &c, ROLE, &p.arn))
        .unwrap();
    assert_eq!(second.status, Status::Ok);
    assert_eq!(
        s.run(iam::role_policies(&c, ROLE)).unwrap(),
        Some(vec![p.arn.known().unwrap().clone()])
    );
    assert_eq!(s.run(iam::role_policies(&c, "no-such-role")).unwrap(), None);
}

#[test]
fn an_instance_profile_holds_its_role_and_refuses_another() {
    let Some(s) = sdk() else { return };
    let c = s.clients();
    let apply = Ctx::plain(Mode::Apply);
    s.run(iam::ensure_role(
        &apply,
        &c,
        ROLE,
        &iam::ec2_trust_policy(),
        &[],
    ))
    .unwrap();
    let check = s
        .run(iam::ensure_instance_profile(
            &Ctx::plain(Mode::Check),
            &c,
            ROLE,
            ROLE,
            &tags(),
        ))
        .unwrap();
    assert_eq!(check.outcome.status, Status::WouldChange);
    assert!(s.run(iam::instance_profile(&c, ROLE)).unwrap().is_none());

    let made = s
        .run(iam::ensure_instance_profile(
            &apply,
            &c,
            ROLE,
            ROLE,
            &tags(),
        ))
        .unwrap();
    assert_eq!(
        made.outcome.status,
        Status::Changed,
        "{}",
        made.outcome.summary
    );
    let p = s.run(iam::instance_profile(&c, ROLE)).unwrap().unwrap();
    assert_eq!(p.roles, vec![ROLE.to_string()]);
    assert_eq!(Planned::Known(p.arn.clone()), made.arn);
    let again = s
        .run(iam::ensure_instance_profile(
            &apply,
            &c,
            ROLE,
            ROLE,
            &tags(),
        ))
        .unwrap();
    assert_eq!(again.outcome.status, Status::Ok);

    let err = s
        .run(iam::ensure_instance_profile(
            &apply,
            &c,
            ROLE,
            "another-role",
            &[],
        ))
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Conflict);
    assert_contains!(err.message, format!("holds the role {ROLE}"));
}

#[test]
fn the_association_is_made_kept_refused_for_a_foreign_profile_and_removed() {
    let Some(s) = sdk() else { return };
    let c = s.clients();
    let apply = Ctx::plain(Mode::Apply);
    let id = run_instance();
    let known = Planned::Known(id.clone());
    for name in [ROLE, "someone-elses"] {
        s.run(iam::ensure_role(
            &apply,
            &c,
            name,
            &iam::ec2_trust_policy(),
            &[],
        ))
        .unwrap();
        s.run(iam::ensure_instance_profile(&apply, &c, name, name, &[]))
            .unwrap();
    }
    assert_eq!(s.run(ec2::association(&c, &id)).unwrap(), None);
    let check = s
        .run(ec2::ensure_association(
            &Ctx::plain(Mode::Check),
            &c,
            &known,
            ROLE,
            false,
        ))
        .unwrap();
    assert_eq!(check.status, Status::WouldChange);
    assert_eq!(
        s.run(ec2::association(&c, &id)).unwrap(),
        None,
        "check mode associated"
    );

    let first = s
        .run(ec2::ensure_association(&apply, &c, &known, ROLE, false))
        .unwrap();
    assert_eq!(first.status, Status::Changed);
    assert_eq!(
        s.run(ec2::association(&c, &id))
            .unwrap()
            .unwrap()
            .profile_name,
        ROLE
    );
    let second = s
        .run(ec2::ensure_association(&apply, &c, &known, ROLE, false))
        .unwrap();
    assert_eq!(second.status, Status::Ok);

    // Another profile on the instance: refused, in check mode too, naming it.
    for mode in [Mode::Check, Mode::Apply] {
        let err = s
            .run(ec2::ensure_association(
                &Ctx::plain(mode),
                &c,
                &known,
                "someone-elses",
                false,
            ))
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Conflict);
        assert_contains!(
            err.message,
            format!("already has the instance profile {ROLE}")
        );
        assert_contains!(
            err.hint.clone().unwrap_or_default(),
            "replace_instance_profile=true"
        );
    }
    let replaced = s
        .run(ec2::ensure_association(
            &apply,
            &c,
            &known,
            "someone-elses",
            true,
        ))
        .unwrap();
    assert_eq!(replaced.status, Status::Changed);
    assert_eq!(
        s.run(ec2::association(&c, &id))
            .unwrap()
            .unwrap()
            .profile_name,
        "someone-elses"
    );

    // Removing ours leaves theirs alone; removing theirs works, then is ok.
    let skip = s.run(ec2::disassociate(&apply, &c, &id, ROLE)).unwrap();
    assert_eq!(skip.status, Status::Skipped);
    let gone = s
        .run(ec2::disassociate(&apply, &c, &id, "someone-elses"))
        .unwrap();
    assert_eq!(gone.status, Status::Changed);
    assert_eq!(s.run(ec2::association(&c, &id)).unwrap(), None);
    assert_eq!(
        s.run(ec2::disassociate(&apply, &c, &id, ROLE))
            .unwrap()
            .status,
        Status::Ok
    );
}

#[test]
fn an_unknown_instance_has_no_association() {
    let Some(s) = sdk() else { return };
    let c = s.clients();
    // moto lists no association for an unknown id rather than failing.
    assert_eq!(
        s.run(ec2::association(&c, "i-00000000000000000")).unwrap(),
        None
    );
}

/// `runbook eval` with the IMDS stand-in as the instance's metadata service.
fn eval_on_instance(imds: &Imds, code: &str) -> crate::common::Output {
    Test::new()
        .env_remove("AWS_EC2_METADATA_DISABLED")
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds.endpoint)
        .args(["eval", code])
        .run()
}

#[test]
fn imds_gives_the_identity_and_the_associated_roles_credentials() {
    let Some(s) = sdk() else { return };
    let c = s.clients();
    let apply = Ctx::plain(Mode::Apply);
    let id = run_instance();
    let imds = Imds::start(&id, "eu-west-1");
    let who = eval_on_instance(&imds, "imds::identity()");
    assert_eq!(who.code, 0, "{}", who.all());
    assert_contains!(who.stdout, format!("instance_id: \"{id}\""));
    assert_contains!(who.stdout, "region: \"eu-west-1\"");
    let none = eval_on_instance(&imds, "imds::role()");
    assert_eq!(
        (none.code, none.stdout.trim()),
        (0, ""),
        "no role: {}",
        none.all()
    );

    s.run(iam::ensure_role(
        &apply,
        &c,
        ROLE,
        &iam::ec2_trust_policy(),
        &[],
    ))
    .unwrap();
    s.run(iam::ensure_instance_profile(&apply, &c, ROLE, ROLE, &[]))
        .unwrap();
    s.run(ec2::ensure_association(
        &apply,
        &c,
        &Planned::Known(id.clone()),
        ROLE,
        false,
    ))
    .unwrap();
    let role = eval_on_instance(&imds, "imds::role()");
    assert_contains!(role.stdout, ROLE);
    let ok = eval_on_instance(
        &imds,
        &format!("imds::verify(\"{ROLE}\", #{{wait: \"5s\"}}).arn"),
    );
    assert_eq!(ok.code, 0, "{}", ok.all());
    assert_contains!(ok.stdout, format!(":assumed-role/{ROLE}/"));
    let wrong = eval_on_instance(&imds, "imds::verify(\"another-role\", #{wait: \"1s\"})");
    assert_ne!(wrong.code, 0);
    assert_contains!(wrong.all(), "not as the role another-role");
    // Sanity of the stand-in itself: it answered from moto's association.
    let out = query(
        "ec2",
        &format!(
            "Action=DescribeIamInstanceProfileAssociations&Version=2016-11-15&Filter.1.Name=instance-id&Filter.1.Value.1={id}"
        ),
    );
    assert!(
        xml_value(&out, "arn").is_some_and(|a| a.ends_with(ROLE)),
        "{out}"
    );
}

#[test]
fn without_imds_the_host_is_not_an_ec2_instance() {
    // A loopback port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = Test::new()
        .env(
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
            format!("http://127.0.0.1:{port}"),
        )
        .args(["eval", "imds::identity()"])
        .run();
    assert_eq!(
        (out.code, out.stdout.trim()),
        (0, ""),
        "not (): {}",
        out.all()
    );
}
