//! `eval` and the REPL take the host lock outside check mode (issue 18, item 9),
//! so they cannot lose an update a concurrent `run` makes.

use crate::common::Test;
use crate::lock_and_signals::Lines;
use std::fs::OpenOptions;
use std::process::Stdio;

fn hold(path: &std::path::Path) -> nix::fcntl::Flock<std::fs::File> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .unwrap();
    nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock).unwrap()
}

#[test]
fn eval_waits_for_a_run_holding_the_lock() {
    let t = Test::new().args(["eval", r#"print("evaluated")"#]);
    let held = hold(&t.path().join("runbook.lock"));
    let mut cmd = t.command();
    cmd.stdout(Stdio::piped()).stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let lines = Lines::of(&mut child);
    lines.until(&mut child, "waiting for another runbook run");
    drop(held);
    let status = child.wait().unwrap();
    let out = lines.rest();
    assert_eq!(status.code(), Some(0), "{out}");
    let waited = out.find("waiting for another").unwrap();
    let ran = out.find("evaluated").expect(&out);
    assert!(waited < ran, "evaluated before the lock was free:\n{out}");
}

#[test]
fn eval_in_check_mode_does_not_wait_for_the_lock() {
    let t = Test::new().args(["eval", "--check", r#"print("evaluated")"#]);
    let held = hold(&t.path().join("runbook.lock"));
    let out = t.run();
    drop(held);
    assert_eq!(out.code, 0, "{out:?}");
    assert_contains!(out.stdout, "evaluated");
    assert_not_contains!(out.all(), "waiting for another");
}

#[test]
fn each_repl_input_outside_check_mode_takes_the_lock() {
    let t = Test::new().arg("repl");
    let lock = t.path().join("runbook.lock");
    let held = hold(&lock);
    let mut cmd = t.command();
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(b"print(\"first\");\n:check on\nprint(\"checked\");\n")
            .unwrap();
    }
    let lines = Lines::of(&mut child);
    lines.until(&mut child, "waiting for another runbook run");
    drop(held);
    let status = child.wait().unwrap();
    let out = lines.rest();
    assert_eq!(status.code(), Some(0), "{out}");
    assert_contains!(out, "first");
    assert_contains!(out, "checked");
}
