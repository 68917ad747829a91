//! Children die with runbook (issue 18, item 15), even when it is killed
//! with SIGKILL and cannot clean up: they carry PR_SET_PDEATHSIG.

use crate::common::Test;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn alive(pid: i32) -> bool {
    // A zombie is dead too: only its parent's reaping is left.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z')),
        Err(_) => false,
    }
}

#[test]
fn a_child_dies_when_runbook_is_killed_with_sigkill() {
    let t = Test::new();
    let pidfile = t.path().join("child.pid");
    let code = format!(
        r#"proc::run("sh", ["-c", "echo $$ > {}.tmp && mv {0}.tmp {0} && exec sleep 60"])"#,
        pidfile.display()
    );
    let t = t.args(["eval", &code]);
    let mut cmd = t.command();
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let mut runbook = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let pid: i32 = loop {
        if let Ok(text) = std::fs::read_to_string(&pidfile) {
            break text.trim().parse().unwrap();
        }
        assert!(Instant::now() < deadline, "the child never started");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(alive(pid), "the child should run while runbook does");
    runbook.kill().unwrap();
    runbook.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(3);
    while alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let survived = alive(pid);
    if survived {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    assert!(!survived, "child {pid} outlived a kill -9 of runbook");
}
