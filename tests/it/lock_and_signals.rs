//! The host lock and Ctrl-C.

use crate::common::Test;
use std::cell::RefCell;
use std::fs::OpenOptions;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
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
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    // Released only once the run says it waits: on a loaded machine a fixed
    // pause could end before the run even got to the lock.
    let lines = Lines::of(&mut child);
    lines.until(&mut child, "waiting for another runbook run");
    drop(held);
    let status = child.wait().unwrap();
    let stdout = lines.rest();
    assert_eq!(status.code(), Some(0), "{stdout}");
    assert_contains!(stdout, "waiting for another runbook run");
    assert_contains!(stdout, "hello, world!");
}

#[test]
fn ctrl_c_stops_a_running_script_with_exit_130() {
    let t = Test::new();
    let p = t.file(
        "spin.rhai",
        "step(\"spin\", || {\n    print(\"spinning\");\n    let n = 0;\n    loop { n += 1; }\n});\n",
    );
    let t = t.args(["run", p.to_str().unwrap()]);
    let mut cmd = t.command();
    cmd.stdout(Stdio::piped()).stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    // Interrupted once it spins: not before its handler is installed.
    let lines = Lines::of(&mut child);
    lines.until(&mut child, "spinning");
    let started = Instant::now();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    let stdout = lines.rest();
    assert_eq!(status.code(), Some(130), "{status:?}: {stdout}");
    assert_contains!(stdout, "interrupted");
}

/// A child's stdout, line by line, read on a thread of its own.
pub(crate) struct Lines {
    rx: mpsc::Receiver<String>,
    seen: RefCell<String>,
}

impl Lines {
    pub(crate) fn of(child: &mut Child) -> Self {
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Lines {
            rx,
            seen: RefCell::new(String::new()),
        }
    }

    /// Waits (at most 30 s, then kills the child) for a line containing `marker`.
    pub(crate) fn until(&self, child: &mut Child, marker: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(marker);
                    self.seen.borrow_mut().push_str(&(line + "\n"));
                    if found {
                        return;
                    }
                }
                Err(e) => {
                    let _ = child.kill();
                    panic!("no {marker:?} ({e}):\n{}", self.seen.borrow());
                }
            }
        }
    }

    /// Everything the child printed, once it has exited.
    pub(crate) fn rest(self) -> String {
        let mut all = self.seen.into_inner();
        for line in self.rx.iter() {
            all.push_str(&line);
            all.push('\n');
        }
        all
    }
}
