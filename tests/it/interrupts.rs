//! Ctrl-C always wins (issue 18, item 7): a host call blocked on a stalled
//! endpoint is dropped, and a signal during the last statement still exits 130.

use crate::common::Test;
use crate::lock_and_signals::Lines;
use std::net::TcpListener;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

fn sigint(child: &Child) {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
}

/// Waits at most `limit` for the child; kills it if it is still running.
fn exit_within(child: &mut Child, limit: Duration) -> Option<i32> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

#[test]
fn ctrl_c_during_a_stalled_aws_call_as_the_last_statement_exits_130_at_once() {
    // Accepts connections and never answers: a stalled endpoint.
    let stalled = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", stalled.local_addr().unwrap());
    let t = Test::new()
        .args(["eval", r#"print("calling"); sts::whoami()"#])
        .env("AWS_ENDPOINT_URL", &url)
        .env("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE00")
        .env("AWS_SECRET_ACCESS_KEY", "stalled-endpoint-test-secret")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE");
    let mut cmd = t.command();
    cmd.stdout(Stdio::piped()).stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let lines = Lines::of(&mut child);
    lines.until(&mut child, "calling");
    // Let the call reach the endpoint and block there.
    std::thread::sleep(Duration::from_millis(700));
    sigint(&child);
    let code = exit_within(&mut child, Duration::from_millis(1500));
    drop(stalled);
    assert_eq!(code, Some(130), "{}", lines.rest());
}

#[test]
fn ctrl_c_during_a_large_write_as_the_last_statement_exits_130() {
    let t = Test::new();
    let target = t.path().join("big.txt");
    // 32 MiB, built before the marker, written by the last statement.
    let code = format!(
        r#"let s = "x"; for i in 0..25 {{ s += s }} print("writing"); fs::write("{}", s)"#,
        target.display()
    );
    let t = t.args(["eval", &code]);
    let mut cmd = t.command();
    cmd.stdout(Stdio::piped()).stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let lines = Lines::of(&mut child);
    lines.until(&mut child, "writing");
    sigint(&child);
    let code = exit_within(&mut child, Duration::from_secs(10));
    assert_eq!(code, Some(130), "{}", lines.rest());
}
