//! AWS faults between runbook and moto (the fault proxy of `common/faults.rs`):
//! lost answers of calls that create something, retries, timeouts, and
//! truncated answers. Each runs the real binary.

use std::time::{Duration, Instant};

use crate::common::Test;
use crate::common::faults::{Fault, FaultProxy};
use crate::common::moto::Moto;
use crate::common::net::moto_addr;

/// `runbook eval CODE` against `endpoint`, with `env` added.
fn eval(endpoint: &str, code: &str, env: &[(&str, &str)]) -> crate::common::Output {
    let mut t = Test::new()
        .env("AWS_ENDPOINT_URL", endpoint)
        .args(["eval", code]);
    for (k, v) in env {
        t = t.env(k, v);
    }
    t.run()
}

fn direct(code: &str) -> String {
    let out = eval(&format!("http://{}", moto_addr()), code, &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    out.stdout.trim().to_string()
}

fn key_ids(user: &str) -> Vec<String> {
    let text = direct(&format!(
        r#"let ids = []; for k in iam::access_keys("{user}") {{ ids.push(k.id); }} ids.reduce(|s, x| s + x + " ", "")"#
    ));
    text.trim_matches('"')
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

#[test]
fn a_lost_create_access_key_answer_makes_no_second_key_and_names_the_orphan() {
    let Some(_m) = Moto::fresh() else { return };
    direct(r#"iam::ensure_user("orphan-u", #{})"#);
    let fp = FaultProxy::start(&moto_addr());
    // IAM creates the key; the answer, with its secret, never arrives.
    fp.on(Some("CreateAccessKey"), Some(1), Fault::ResetAfter);
    let out = eval(&fp.url(), r#"iam::create_access_key("orphan-u")"#, &[]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(
        fp.calls("CreateAccessKey"),
        1,
        "retried blindly: {:?}",
        fp.seen()
    );
    let ids = key_ids("orphan-u");
    assert_eq!(ids.len(), 1, "{ids:?}");
    let id = &ids[0];
    assert_contains!(
        out.stderr,
        &format!("IAM did create access key {id} for user orphan-u")
    );
    assert_contains!(
        out.stderr,
        &format!("aws iam delete-access-key --user-name orphan-u --access-key-id {id}")
    );
}

#[test]
fn a_create_access_key_lost_before_iam_saw_it_is_made_once_after_checking() {
    let Some(_m) = Moto::fresh() else { return };
    direct(r#"iam::ensure_user("retry-u", #{})"#);
    let fp = FaultProxy::start(&moto_addr());
    fp.on(Some("CreateAccessKey"), Some(1), Fault::ResetBefore);
    let out = eval(&fp.url(), r#"iam::create_access_key("retry-u").id"#, &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(fp.calls("CreateAccessKey"), 2, "{:?}", fp.seen());
    // The check between the two calls: the keys were listed again.
    assert_eq!(fp.calls("ListAccessKeys"), 2, "{:?}", fp.seen());
    let ids = key_ids("retry-u");
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_contains!(out.stdout, &ids[0]);
}

#[test]
fn a_retried_create_policy_version_makes_no_duplicate_version() {
    let Some(_m) = Moto::fresh() else { return };
    let policy = |action: &str| {
        format!(r#"iam::ensure_policy("dup-p", iam::policy_document(["{action}"], ["*"])).version"#)
    };
    direct(&policy("secretsmanager:GetSecretValue"));
    let fp = FaultProxy::start(&moto_addr());
    fp.on(Some("CreatePolicyVersion"), Some(1), Fault::ResetAfter);
    let out = eval(&fp.url(), &policy("secretsmanager:DescribeSecret"), &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(fp.calls("CreatePolicyVersion"), 1, "{:?}", fp.seen());
    assert_contains!(out.stdout, "v2");
    let versions = direct(r#"iam::policy("dup-p").default_version"#);
    assert_contains!(versions, "v2");
    // v1 and v2 only: a second version would be v3.
    let state = crate::common::moto::state().to_string();
    assert!(
        !state.contains("\"v3\""),
        "a duplicate version was made: {state}"
    );
}

#[test]
fn a_lost_create_user_answer_is_no_failure() {
    let Some(_m) = Moto::fresh() else { return };
    let fp = FaultProxy::start(&moto_addr());
    fp.on(Some("CreateUser"), Some(1), Fault::ResetAfter);
    let out = eval(&fp.url(), r#"iam::ensure_user("lost-u", #{}).status"#, &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(fp.calls("CreateUser"), 1, "{:?}", fp.seen());
    assert_contains!(out.stdout, "changed");
}

#[test]
fn max_attempts_one_fails_after_one_attempt_and_the_default_retries() {
    let Some(_m) = Moto::fresh() else { return };
    let fp = FaultProxy::start(&moto_addr());
    fp.on(Some("GetCallerIdentity"), None, Fault::Status(500));
    let out = eval(&fp.url(), "sts::whoami()", &[("AWS_MAX_ATTEMPTS", "1")]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(fp.calls("GetCallerIdentity"), 1);
    assert_contains!(out.stderr, "sts:GetCallerIdentity failed");
    let out = eval(&fp.url(), "sts::whoami()", &[]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(
        fp.calls("GetCallerIdentity"),
        1 + 3,
        "the default is 3 attempts"
    );
}

#[test]
fn throttling_and_503_are_retried_then_pass() {
    let Some(_m) = Moto::fresh() else { return };
    let fp = FaultProxy::start(&moto_addr());
    fp.on(Some("GetCallerIdentity"), Some(1), Fault::Throttling)
        .on(Some("GetCallerIdentity"), Some(2), Fault::Status(503));
    let out = eval(&fp.url(), "sts::whoami().account", &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_contains!(out.stdout, "123456789012");
    assert_eq!(fp.calls("GetCallerIdentity"), 3);
}

#[test]
fn a_stalled_endpoint_fails_within_the_read_timeout_naming_service_and_action() {
    let Some(_m) = Moto::fresh() else { return };
    let fp = FaultProxy::start(&moto_addr());
    fp.on(Some("GetUser"), None, Fault::Delay(Duration::from_secs(20)));
    let start = Instant::now();
    let out = eval(
        &fp.url(),
        r#"iam::user("nobody")"#,
        &[
            ("RUNBOOK_AWS_READ_TIMEOUT", "1s"),
            ("AWS_MAX_ATTEMPTS", "1"),
        ],
    );
    let took = start.elapsed();
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(took < Duration::from_secs(8), "took {took:?}");
    assert_contains!(out.stderr, "iam:GetUser failed");
    assert_contains!(out.stderr, "did not answer within the read timeout (1s)");
    assert_contains!(out.stderr, "RUNBOOK_AWS_READ_TIMEOUT");
}

#[test]
fn a_truncated_answer_is_an_error_not_a_hang() {
    let Some(_m) = Moto::fresh() else { return };
    let fp = FaultProxy::start(&moto_addr());
    fp.on(Some("GetCallerIdentity"), None, Fault::Truncate);
    let start = Instant::now();
    let out = eval(&fp.url(), "sts::whoami()", &[("AWS_MAX_ATTEMPTS", "1")]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(start.elapsed() < Duration::from_secs(20));
    assert_contains!(out.stderr, "sts:GetCallerIdentity failed");
}

/// A loopback port whose accept queue is full: the kernel drops further SYNs,
/// as a firewall that black-holes the traffic does. Keep the value alive.
fn black_hole() -> (u16, Vec<std::net::TcpStream>, std::os::fd::OwnedFd) {
    use std::os::fd::AsRawFd;
    use std::os::fd::FromRawFd;
    // SAFETY: plain socket calls on a descriptor this function owns.
    let fd = unsafe {
        let fd = nix::libc::socket(nix::libc::AF_INET, nix::libc::SOCK_STREAM, 0);
        assert!(fd >= 0);
        std::os::fd::OwnedFd::from_raw_fd(fd)
    };
    let mut addr: nix::libc::sockaddr_in = unsafe { std::mem::zeroed() };
    addr.sin_family = nix::libc::AF_INET as u16;
    addr.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
    let len = std::mem::size_of::<nix::libc::sockaddr_in>() as u32;
    // SAFETY: addr is a valid sockaddr_in of `len` bytes.
    unsafe {
        assert_eq!(
            nix::libc::bind(
                fd.as_raw_fd(),
                (&addr as *const nix::libc::sockaddr_in).cast(),
                len
            ),
            0
        );
        assert_eq!(nix::libc::listen(fd.as_raw_fd(), 0), 0);
        assert_eq!(
            nix::libc::getsockname(
                fd.as_raw_fd(),
                (&mut addr as *mut nix::libc::sockaddr_in).cast(),
                &mut (len as u32)
            ),
            0
        );
    }
    let port = u16::from_be(addr.sin_port);
    // Fill the queue (backlog 0 holds one); later connects hang.
    let fill: Vec<_> = (0..3)
        .filter_map(|_| {
            std::net::TcpStream::connect_timeout(
                &format!("127.0.0.1:{port}").parse().unwrap(),
                Duration::from_millis(300),
            )
            .ok()
        })
        .collect();
    (port, fill, fd)
}

#[test]
fn a_black_holed_endpoint_fails_within_the_connect_timeout_naming_it() {
    let (port, _fill, _fd) = black_hole();
    let url = format!("http://127.0.0.1:{port}");
    let start = Instant::now();
    let out = eval(
        &url,
        "sts::whoami()",
        &[
            ("RUNBOOK_AWS_CONNECT_TIMEOUT", "1s"),
            ("AWS_MAX_ATTEMPTS", "1"),
        ],
    );
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
    assert_contains!(
        out.stderr,
        &format!("no connection to {url} within the connect timeout (1s)")
    );
    assert_contains!(out.stderr, "RUNBOOK_AWS_CONNECT_TIMEOUT");
}

#[test]
fn the_iam_user_playbook_reports_an_orphan_key_and_makes_no_second_one() {
    let Some(_m) = Moto::fresh() else { return };
    let fp = FaultProxy::start(&moto_addr());
    fp.on(Some("CreateAccessKey"), Some(1), Fault::ResetAfter);
    let t = Test::new();
    let handover = t.path().join("key.ini");
    let out = t
        .env("AWS_ENDPOINT_URL", fp.url())
        .args([
            "run",
            "alation-agent/iam-user",
            "--set",
            "user_name=orphan-e2e",
        ])
        .arg("--set")
        .arg(format!("handover_file={}", handover.display()))
        .run();
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(fp.calls("CreateAccessKey"), 1, "{:?}", fp.seen());
    let ids = key_ids("orphan-e2e");
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_contains!(
        out.stderr,
        &format!(
            "aws iam delete-access-key --user-name orphan-e2e --access-key-id {}",
            ids[0]
        )
    );
    assert!(
        !handover.exists(),
        "a hand-over file without a usable key was written"
    );
}
