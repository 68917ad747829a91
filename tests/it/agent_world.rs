//! The world under the Agent failing, through the binary in the Agent-host
//! sandbox: the Docker daemon going away during `docker::wait_running` (a
//! forwarder between runbook and the machine's daemon, reached through
//! `DOCKER_HOST`, is killed: the real daemon is shared and stays up), a
//! container that never becomes healthy, `hydra` failing to start under the
//! setup playbook, and Ctrl-C during each wait. A rerun converges after each.

use std::io::Read;
use std::os::unix::net::{UnixListener, UnixStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use runbook::host::{Ctx, Mode, docker};

use crate::common::agent::{self, *};
use crate::common::{child, counters};

/// The forwarder, run as a child so a SIGKILL drops every connection at
/// once, as a dying daemon does.
#[test]
fn docker_forwarder_process() {
    let Ok(path) = std::env::var("FWD_SOCKET") else {
        return;
    };
    let listener = UnixListener::bind(&path).unwrap();
    println!("FORWARDER READY");
    for client in listener.incoming().flatten() {
        let Ok(daemon) = UnixStream::connect("/var/run/docker.sock") else {
            continue;
        };
        for (mut from, mut to) in [
            (client.try_clone().unwrap(), daemon.try_clone().unwrap()),
            (daemon, client),
        ] {
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut from, &mut to);
                let _ = to.shutdown(std::net::Shutdown::Write);
            });
        }
    }
}

struct Forwarder {
    child: Child,
    socket: String,
    _dir: tempfile::TempDir,
}

impl Forwarder {
    fn start() -> Forwarder {
        use std::io::BufRead;
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("docker.sock").display().to_string();
        let mut child = child::command(module_path!(), "docker_forwarder_process")
            .env("FWD_SOCKET", &socket)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        assert!(lines.any(|l| l.is_ok_and(|l| l.contains("FORWARDER READY"))));
        Forwarder {
            child,
            socket: format!("unix://{socket}"),
            _dir: dir,
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A container of the add-on's image, removed on drop.
struct Container(String);

impl Container {
    /// `docker <verb> --name NAME [opts] IMAGE [cmd]`.
    fn new(what: &str, verb: &str, opts: &[&str], cmd: &[&str]) -> Container {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let d = rt.block_on(docker::connect()).unwrap();
        let (_, info) = rt
            .block_on(docker::load(&Ctx::plain(Mode::Apply), &d, &addon(OLD)))
            .unwrap();
        let name = format!("runbook-world-{what}-{}", std::process::id());
        let _ = Command::new("docker").args(["rm", "-f", &name]).output();
        let mut args = vec![verb, "--name", &name];
        args.extend_from_slice(opts);
        args.push(&info.id);
        args.extend_from_slice(cmd);
        sh("docker", &args);
        Container(name)
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.0]).output();
    }
}

/// A running `runbook eval`, its output read on threads of their own.
struct Running {
    child: Child,
    out: std::thread::JoinHandle<String>,
    err: std::thread::JoinHandle<String>,
    _test: Test,
}

fn spawn(test: Test) -> Running {
    let mut child = test
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let read = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let out = read(Box::new(child.stdout.take().unwrap()));
    let err = read(Box::new(child.stderr.take().unwrap()));
    Running {
        child,
        out,
        err,
        _test: test,
    }
}

impl Running {
    /// Still waiting after `d`: the wait has begun.
    fn still_waiting_after(&mut self, d: Duration) {
        std::thread::sleep(d);
        assert!(
            self.child.try_wait().unwrap().is_none(),
            "the run ended before the fault"
        );
    }

    /// The exit code, how long after `since` it came, stdout and stderr.
    fn end(mut self, since: Instant) -> (Option<i32>, Duration, String, String) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                break self.child.wait().unwrap();
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let took = since.elapsed();
        let (out, err) = (self.out.join().unwrap(), self.err.join().unwrap());
        crate::common::leak::output("the stdout of a spawned runbook", &out);
        crate::common::leak::output("the stderr of a spawned runbook", &err);
        (status.code(), took, out, err)
    }
}

fn wait_code(name: &str, timeout: &str, healthy: bool) -> String {
    format!("docker::wait_running(\"{name}\", #{{timeout: \"{timeout}\", healthy: {healthy}}}); ()")
}

fn record(case: &str, took: Duration) {
    counters::record(
        "agent_world",
        serde_json::json!({"case": case, "ms": took.as_millis() as u64, "ok": true}),
    );
}

#[test]
fn the_docker_daemon_going_away_mid_wait_fails_at_once_naming_it() {
    let Some(_g) = agent::host() else { return };
    let c = Container::new("gone", "create", &[], &[]);
    let mut fwd = Forwarder::start();
    let mut run = spawn(
        Test::new()
            .args(["eval", &wait_code(&c.0, "60s", false)])
            .env("DOCKER_HOST", &fwd.socket),
    );
    run.still_waiting_after(Duration::from_millis(1500));
    let killed = Instant::now();
    fwd.kill();
    let (code, took, out, err) = run.end(killed);
    assert!(
        took < Duration::from_secs(1),
        "ended {took:?} after the daemon went away:\n{out}\n{err}"
    );
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert_contains!(err, "Docker daemon");
    assert_contains!(err, &c.0);
    eprintln!("the error:\n{err}");
    record("docker daemon gone during docker::wait_running", took);

    // Back to the real daemon, with the container started: the rerun converges.
    sh("docker", &["start", &c.0]);
    let again = Test::new()
        .args(["eval", &wait_code(&c.0, "60s", false)])
        .run();
    assert_eq!(again.code, 0, "{}", again.all());
}

#[test]
fn a_container_never_healthy_times_out_with_its_state_and_last_logs() {
    let Some(_g) = agent::host() else { return };
    let c = Container::new(
        "unhealthy",
        "run",
        &[
            "-d",
            "--health-cmd",
            "exit 1",
            "--health-interval",
            "1s",
            "--health-retries",
            "1",
        ],
        &[
            "sh",
            "-c",
            "echo never-healthy-first; echo never-healthy-last; exec sleep 3600",
        ],
    );
    let t = Instant::now();
    let r = Test::new()
        .args(["eval", &wait_code(&c.0, "4s", true)])
        .run();
    assert_eq!(r.code, 1, "{}", r.all());
    assert_contains!(r.stderr, "unhealthy");
    assert_contains!(r.stderr, "never-healthy-last");
    record(
        "container never healthy: a 4s timeout with state and logs",
        t.elapsed(),
    );
}

#[test]
fn ctrl_c_during_each_wait_exits_130_within_a_second() {
    let Some(_g) = agent::host() else { return };
    let c = Container::new("ctrlc", "create", &[], &[]);
    let unit = format!("runbook-world-idle-{}.service", std::process::id());
    let unit_file = format!("/etc/systemd/system/{unit}");
    std::fs::write(
        &unit_file,
        "[Service]\nType=simple\nExecStart=/bin/sleep infinity\n",
    )
    .unwrap();
    sh("systemctl", &["daemon-reload"]);
    for (case, code) in [
        ("docker::wait_running", wait_code(&c.0, "60s", true)),
        (
            "systemd::wait_active",
            format!("systemd::wait_active(\"{unit}\", #{{timeout: \"60s\"}}); ()"),
        ),
    ] {
        let test = Test::new().args(["eval", &code]);
        let dir = test.path().to_path_buf();
        let mut run = spawn(test);
        run.still_waiting_after(Duration::from_millis(1500));
        let sent = Instant::now();
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(run.child.id() as i32),
            nix::sys::signal::Signal::SIGINT,
        )
        .unwrap();
        let (exit, took, out, err) = run.end(sent);
        assert_eq!(exit, Some(130), "{case}: {out}\n{err}");
        assert!(
            took < Duration::from_secs(1),
            "{case}: exited {took:?} after Ctrl-C"
        );
        let left: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name())
                    .filter(|n| n != "runbook.lock")
                    .collect()
            })
            .unwrap_or_default();
        assert!(left.is_empty(), "{case}: left in its folder: {left:?}");
        record(&format!("Ctrl-C during {case}"), took);
    }
    let _ = std::fs::remove_file(&unit_file);
    sh("systemctl", &["daemon-reload"]);
    // The rerun converges: the container started, the wait succeeds.
    sh("docker", &["start", &c.0]);
    let again = Test::new()
        .args(["eval", &wait_code(&c.0, "60s", false)])
        .run();
    assert_eq!(again.code, 0, "{}", again.all());
}

/// A drop-in that makes `hydra` exit 1 on start, removed on drop.
struct FailingHydra(&'static str);

impl FailingHydra {
    fn new() -> FailingHydra {
        let dir = "/run/systemd/system/hydra.service.d";
        std::fs::create_dir_all(dir).unwrap();
        let f = "/run/systemd/system/hydra.service.d/zz-runbook-test-fail.conf";
        std::fs::write(
            f,
            "[Service]\nType=simple\nExecStart=\nExecStart=/bin/sh -c 'echo hydra-failing-on-purpose; exit 1'\nRestart=no\n",
        )
        .unwrap();
        sh("systemctl", &["daemon-reload"]);
        FailingHydra(f)
    }
}

impl Drop for FailingHydra {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.0);
        let _ = Command::new("systemctl").arg("daemon-reload").output();
        let _ = Command::new("systemctl")
            .args(["reset-failed", "hydra"])
            .output();
        let _ = Command::new("systemctl").args(["start", "hydra"]).output();
    }
}

#[test]
fn hydra_failing_to_start_shows_its_state_and_journal_then_a_rerun_converges() {
    let Some(_g) = host_with_moto() else { return };
    let setup = || {
        Test::new().args([
            "run",
            "alation-agent/secrets-manager-iam-user",
            "--set",
            &format!("user_name={USER}"),
            "--set",
            &addon_arg(OLD),
            "--yes",
        ])
    };
    let failing = FailingHydra::new();
    let t = Instant::now();
    let r = setup().run();
    let took = t.elapsed();
    assert_eq!(r.code, 1, "{}", r.all());
    assert_contains!(r.stderr, "hydra");
    assert_contains!(r.stderr, "failed");
    assert_contains!(r.stderr, "hydra-failing-on-purpose");
    drop(failing);
    let again = setup().run();
    assert_eq!(again.code, 0, "{}", again.all());
    let after = setup().arg("--output").arg("json").run();
    assert_eq!(after.code, 0, "{}", after.all());
    assert_eq!(recap(&after)["changed"], 0, "{}", after.stdout);
    record(
        "hydra exits 1 under the setup playbook (the whole failed run)",
        took,
    );
}
