//! The host lock and Ctrl-C.

use crate::common::Test;
use std::fs::OpenOptions;
use std::process::Stdio;
use std::time::{Duration, Instant};

#[test]
fn second_run_fails_at_once_with_no_wait_while_the_lock_is_held() {
    let t = Test::new();
    let lock_path = t.path().join("held.lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .unwrap();
    let held = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock).unwrap();
    let out = t
        .args(["run", "examples/hello", "--no-wait"])
        .env("RUNBOOK_LOCK_FILE", lock_path.to_str().unwrap())
        .run();
    assert_eq!(out.code, 1, "{out:?}");
    assert_contains!(out.stderr, "holds the host lock");
    assert_not_contains!(out.stdout, "[1]");
    drop(held);
}

#[test]
fn a_waiting_run_proceeds_once_the_lock_is_released() {
    let t = Test::new();
    let lock_path = t.path().join("held.lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .unwrap();
    let held = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock).unwrap();
    let runner = Test::new().args(["run", "examples/hello"]);
    let mut cmd = runner.command();
    cmd.env("RUNBOOK_LOCK_FILE", &lock_path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(600));
    drop(held);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert_contains!(stdout, "waiting for another runbook run");
    assert_contains!(stdout, "hello, world!");
}

#[test]
fn ctrl_c_stops_a_running_script_with_exit_130() {
    let t = Test::new();
    let p = t.file(
        "spin.rhai",
        "step(\"spin\", || {\n    let n = 0;\n    loop { n += 1; }\n});\n",
    );
    let t = t.args(["run", p.to_str().unwrap()]);
    let mut cmd = t.command();
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(out.status.code(), Some(130), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_contains!(stdout, "interrupted");
}
