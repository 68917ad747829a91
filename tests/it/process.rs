//! proc primitives: real child processes.

use std::rc::Rc;
use std::time::{Duration, Instant};

use runbook::host::process::{self, RunOpts};
use runbook::host::{Ctx, ErrorKind, Mode, Redact};
use zeroize::Zeroizing;

use crate::common::child;

fn apply() -> Ctx {
    Ctx::plain(Mode::Apply)
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

#[test]
fn captures_output_and_code() {
    let out = process::run(
        &apply(),
        "sh",
        &args(&["-c", "echo out; echo err >&2; exit 3"]),
        RunOpts {
            check: false,
            ..RunOpts::new()
        },
    )
    .unwrap();
    assert_eq!(out.code, Some(3));
    assert_eq!(out.stdout, "out\n");
    assert_eq!(out.stderr, "err\n");
}

#[test]
fn arguments_are_not_interpreted_by_a_shell() {
    let out = process::run(
        &apply(),
        "echo",
        &args(&["$HOME", "a;b", "*"]),
        RunOpts::new(),
    )
    .unwrap();
    assert_eq!(out.stdout, "$HOME a;b *\n");
}

#[test]
fn non_zero_exit_shows_command_code_and_stderr_tail() {
    let script = "for i in $(seq 1 30); do echo line$i >&2; done; exit 7";
    let e = process::run(&apply(), "sh", &args(&["-c", script]), RunOpts::new()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Failed);
    assert!(e.message.starts_with("sh -c "), "{}", e.message);
    assert_contains!(e.message, "exited with code 7");
    assert_contains!(e.message, "line30");
    assert_contains!(e.message, "line11");
    assert_not_contains!(e.message, "line10\n", "only the last 20 lines");
}

#[test]
fn timeout_kills_the_child() {
    let t = Instant::now();
    let o = RunOpts {
        timeout: Some(Duration::from_millis(300)),
        ..RunOpts::new()
    };
    let e = process::run(&apply(), "sleep", &args(&["30"]), o).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout);
    assert_contains!(e.message, "sleep 30");
    assert_contains!(e.message, "300ms");
    assert!(t.elapsed() < Duration::from_secs(5));
}

#[test]
fn cancellation_stops_the_child_quickly() {
    let ctx = apply();
    let c = ctx.cancel.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        c.cancel();
    });
    let t = Instant::now();
    let e = process::run(&ctx, "sleep", &args(&["30"]), RunOpts::new()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Cancelled);
    assert!(t.elapsed() < Duration::from_secs(2));
}

#[test]
fn check_mode_runs_only_read_only_calls() {
    let ctx = Ctx::plain(Mode::Check);
    let out = process::run(&ctx, "sh", &args(&["-c", "exit 9"]), RunOpts::new()).unwrap();
    assert!(out.skipped);
    assert_eq!(out.code, None);
    let out = process::run(
        &ctx,
        "echo",
        &args(&["hi"]),
        RunOpts {
            read_only: true,
            ..RunOpts::new()
        },
    )
    .unwrap();
    assert_eq!(out.stdout, "hi\n");
}

#[test]
fn secrets_are_scrubbed_from_env_and_fed_by_stdin() {
    // The variables must be in the test process's own environment, which
    // the tests running beside it share: only a child that runs this test
    // alone gets them.
    if !child::is_child() {
        child::run(
            child::command(
                module_path!(),
                "secrets_are_scrubbed_from_env_and_fed_by_stdin",
            )
            .env("RUNBOOK_TEST_SECRET", "x")
            .env("AWS_SECRET_ACCESS_KEY", "y"),
        );
        return;
    }
    assert_eq!(std::env::var("RUNBOOK_TEST_SECRET").as_deref(), Ok("x"));
    assert_eq!(std::env::var("AWS_SECRET_ACCESS_KEY").as_deref(), Ok("y"));
    let out = process::run(&apply(), "env", &[], RunOpts::new()).unwrap();
    assert_not_contains!(out.stdout, "RUNBOOK_TEST_SECRET");
    assert_not_contains!(out.stdout, "AWS_SECRET_ACCESS_KEY");
    let o = RunOpts {
        env: vec![("AWS_SECRET_ACCESS_KEY".into(), "z".into())],
        ..RunOpts::new()
    };
    let out = process::run(&apply(), "env", &[], o).unwrap();
    assert_contains!(out.stdout, "AWS_SECRET_ACCESS_KEY=z");

    let o = RunOpts {
        stdin: Some(Zeroizing::new(b"hunter2".to_vec())),
        ..RunOpts::new()
    };
    let out = process::run(&apply(), "cat", &[], o).unwrap();
    assert_eq!(out.stdout, "hunter2");
}

struct Mask;
impl Redact for Mask {
    fn register(&self, _: &str) {}
    fn redact(&self, t: &str) -> String {
        t.replace("hunter2", "********")
    }
}

#[test]
fn output_is_redacted() {
    let mut ctx = apply();
    ctx.redactor = Rc::new(Mask);
    let out = process::run(&ctx, "echo", &args(&["pw=hunter2"]), RunOpts::new()).unwrap();
    assert_eq!(out.stdout, "pw=********\n");
}

#[test]
fn missing_command_names_it_and_path() {
    let e = process::run(&apply(), "kratos-not-installed", &[], RunOpts::new()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert_contains!(e.message, "'kratos-not-installed' was not found on PATH (");
    assert_contains!(e.hint.unwrap(), "install");
    assert!(process::which("kratos-not-installed").is_none());
    assert!(process::which("sh").unwrap().is_absolute());
}
