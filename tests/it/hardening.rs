//! Process hardening (issue 18): no core dumps, engine limits.

use crate::common::Test;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Polls `/proc/<pid>/limits` until runbook has run its start-up (or 10 s).
fn core_limit_of(pid: u32) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap_or_default();
        let line = limits
            .lines()
            .find(|l| l.starts_with("Max core file size"))
            .unwrap_or_default()
            .to_string();
        let soft_hard: Vec<&str> = line.split_whitespace().skip(4).take(2).collect();
        if soft_hard == ["0", "0"] || Instant::now() > deadline {
            return line;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_running_runbook_cannot_dump_core() {
    let t = Test::new().args(["eval", r#"sleep("3s")"#]);
    // As an unprivileged user when we can: a non-dumpable process's /proc
    // entries then belong to root instead of to it.
    let unprivileged = nix::unistd::getuid().is_root();
    let t = if unprivileged { t.run_as(65534) } else { t };
    let mut cmd = t.command();
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    // The parent allows cores, so a limit of 0 can only come from runbook.
    let _ = nix::sys::resource::setrlimit(
        nix::sys::resource::Resource::RLIMIT_CORE,
        nix::sys::resource::RLIM_INFINITY,
        nix::sys::resource::RLIM_INFINITY,
    );
    let mut child = cmd.spawn().unwrap();
    let line = core_limit_of(child.id());
    let owner = std::os::unix::fs::MetadataExt::uid(
        &std::fs::metadata(format!("/proc/{}/environ", child.id())).unwrap(),
    );
    let _ = child.kill();
    let _ = child.wait();
    let fields: Vec<&str> = line.split_whitespace().skip(4).take(2).collect();
    assert_eq!(
        fields,
        ["0", "0"],
        "core limit of a running runbook: {line}"
    );
    if unprivileged {
        assert_eq!(owner, 0, "a dumpable process's /proc entries belong to it");
    }
}

#[test]
fn a_doubling_string_ends_with_an_error_naming_the_limit() {
    let out = Test::new()
        .args(["eval", r#"let s = "x"; loop { s += s }"#])
        .env("RUNBOOK_MAX_STRING_SIZE", "1048576")
        .run();
    assert_eq!(out.code, 1, "{out:?}");
    assert_contains!(out.stderr, "Length of string too large");
    assert_contains!(out.stderr, "string size limit (1048576 bytes)");
    assert_contains!(out.stderr, "RUNBOOK_MAX_STRING_SIZE");
}

#[test]
fn the_default_string_limit_stops_a_doubling_loop_cleanly() {
    let out = Test::new()
        .args(["eval", r#"let s = "x"; loop { s += s }"#])
        .run();
    assert_eq!(out.code, 1, "no abort, a script error: {out:?}");
    assert_contains!(out.stderr, "string size limit");
}

#[test]
fn try_catch_cannot_swallow_the_operations_limit() {
    let out = Test::new()
        .args([
            "eval",
            r#"try { loop {} } catch { print("caug" + "ht") } "after""#,
        ])
        .env("RUNBOOK_MAX_OPERATIONS", "10000")
        .run();
    assert_eq!(out.code, 1, "{out:?}");
    assert_not_contains!(out.all(), "caught");
    assert_contains!(out.stderr, "operations limit (10000)");
    assert_contains!(out.stderr, "RUNBOOK_MAX_OPERATIONS");
}

#[test]
fn endless_recursion_names_the_call_depth_limit() {
    let out = Test::new()
        .args(["eval", "fn f(n) { f(n + 1) } f(0)"])
        .run();
    assert_eq!(out.code, 1, "{out:?}");
    assert_contains!(out.stderr, "call depth limit (256)");
}
