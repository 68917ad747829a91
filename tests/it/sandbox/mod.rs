//! Docker and systemd primitives against the Agent-host sandbox: a container
//! with systemd as PID 1, the machine's Docker daemon, `hydra` and `kratos`
//! stand-ins (scripts/sandbox.sh). Run through cargo's target runner:
//!
//!   scripts/test.sh sandbox::
//!
//! Outside the sandbox every test fails, or is skipped knowingly outside CI
//! (see `common::gate`). Tests share one daemon and fixed names (`auth`), so they run one
//! at a time under the Agent host's lock (with the playbooks' end-to-end
//! tests) and clean up what they create.

use std::process::Command;
use std::rc::Rc;
use std::time::{Duration, Instant};

use runbook::host::{Ctx, ErrorKind, Mode, Progress, Status, docker, systemd};

use crate::common::archive::{NEW, OLD, addon, gunzip};
use crate::common::engine::Engine;
use crate::common::{agent, child};
mod scripts;
mod units;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn apply() -> Ctx {
    Ctx::plain(Mode::Apply)
}

fn check() -> Ctx {
    Ctx::plain(Mode::Check)
}

fn sh(program: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(program).args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn must(program: &str, args: &[&str]) -> String {
    let (ok, text) = sh(program, args);
    assert!(ok, "{program} {args:?} failed: {text}");
    text
}

/// Removes the add-on container and every `auth` image, so a test starts
/// from an Agent without the add-on.
fn remove_addon() {
    let _ = sh("docker", &["rm", "-f", "auth"]);
    let ids = must(
        "docker",
        &[
            "images",
            "-q",
            "--filter",
            "label=org.opencontainers.image.title=auth-service (runbook stand-in)",
        ],
    );
    for id in ids.split_whitespace() {
        let _ = sh("docker", &["rmi", "-f", id]);
    }
}

fn unique(what: &str) -> String {
    format!("runbook-test-{what}-{}", std::process::id())
}

#[derive(Default)]
struct Ticks(std::cell::RefCell<Vec<String>>);
impl Progress for Ticks {
    fn tick(&self, what: &str, _: Duration) {
        self.0.borrow_mut().push(what.to_string());
    }
    fn done(&self) {}
}

// ---------------------------------------------------------------- docker

#[test]
fn unreachable_daemon_is_unavailable_with_a_fix() {
    let Some(_g) = agent::host() else { return };
    let rt = rt();
    for host in ["unix:///nonexistent/docker.sock", "tcp://127.0.0.1:1"] {
        let e = rt.block_on(docker::connect_to(host)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unavailable, "{host}: {e}");
        assert_contains!(e.message, host, "{e}");
        assert!(e.hint.is_some(), "{host}: no hint");
    }
    // A socket file nobody listens on.
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("dead.sock");
    drop(std::os::unix::net::UnixListener::bind(&sock).unwrap());
    let e = rt
        .block_on(docker::connect_to(&format!("unix://{}", sock.display())))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unavailable, "{e}");
    assert_contains!(e.hint.as_deref().unwrap(), "dockerd", "{e:?}");
}

#[test]
fn bad_archives_are_refused_before_the_daemon_sees_them() {
    let Some(_g) = agent::host() else { return };
    let rt = rt();
    let d = rt.block_on(docker::connect()).unwrap();
    let ctx = apply();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("auth-service-docker-image-9.9.9.9.tar.gz");
    let e = rt.block_on(docker::load(&ctx, &d, &missing)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound, "{e}");
    assert_contains!(e.message, "9.9.9.9", "{e}");

    let text = dir.path().join("notes.tar");
    std::fs::write(&text, "not a tar archive\n".repeat(100)).unwrap();
    let e = rt.block_on(docker::load(&ctx, &d, &text)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput, "{e}");

    // A real add-on archive cut in half.
    let bytes = std::fs::read(addon(OLD)).unwrap();
    let cut = dir.path().join("cut.tar.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let e = rt.block_on(docker::load(&ctx, &d, &cut)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput, "{e}");
}

#[test]
fn load_is_idempotent_by_image_id() {
    let Some(_g) = agent::host() else { return };
    remove_addon();
    let rt = rt();
    let d = rt.block_on(docker::connect()).unwrap();
    let archive = addon(OLD);
    let want = docker::inspect_archive(&archive).unwrap().id;

    // Check mode: would load, loads nothing.
    let (o, _) = rt.block_on(docker::load(&check(), &d, &archive)).unwrap();
    assert_eq!(o.status, Status::WouldChange);
    assert!(rt.block_on(docker::image(&d, &want)).unwrap().is_none());

    let (o, info) = rt.block_on(docker::load(&apply(), &d, &archive)).unwrap();
    assert_eq!(o.status, Status::Changed, "{}", o.summary);
    assert_eq!(info.id, want);
    let img = rt.block_on(docker::image(&d, "auth")).unwrap().unwrap();
    assert_eq!(img.id, want);
    assert!(img.tags.contains(&"auth:latest".to_string()), "{img:?}");

    let (o, _) = rt.block_on(docker::load(&apply(), &d, &archive)).unwrap();
    assert_eq!(o.status, Status::Ok, "{}", o.summary);
    // The same image as an uncompressed .tar is the same image.
    let dir = tempfile::tempdir().unwrap();
    let tar = gunzip(&archive, dir.path());
    let (o, _) = rt.block_on(docker::load(&apply(), &d, &tar)).unwrap();
    assert_eq!(o.status, Status::Ok, "{}", o.summary);

    // Another version takes the tag; loading the first again is a change.
    let (o, _) = rt
        .block_on(docker::load(&apply(), &d, &addon(NEW)))
        .unwrap();
    assert_eq!(o.status, Status::Changed);
    assert_ne!(
        rt.block_on(docker::image(&d, "auth")).unwrap().unwrap().id,
        want
    );
    let (o, _) = rt.block_on(docker::load(&apply(), &d, &archive)).unwrap();
    assert_eq!(o.status, Status::Changed, "{}", o.summary);
    remove_addon();
}

/// The add-on's image loaded under its id, for containers the tests make.
fn addon_image(rt: &tokio::runtime::Runtime, d: &bollard::Docker) -> String {
    let (_, info) = rt.block_on(docker::load(&apply(), d, &addon(OLD))).unwrap();
    info.id
}

struct TempContainer(String);
impl Drop for TempContainer {
    fn drop(&mut self) {
        let _ = sh("docker", &["rm", "-f", &self.0]);
    }
}

#[test]
fn container_exiting_at_once_fails_with_exit_code_and_logs() {
    let Some(_g) = agent::host() else { return };
    let rt = rt();
    let d = rt.block_on(docker::connect()).unwrap();
    let image = addon_image(&rt, &d);
    let c = TempContainer(unique("exits"));
    must(
        "docker",
        &[
            "run",
            "-d",
            "--name",
            &c.0,
            &image,
            "sh",
            "-c",
            "echo exiting-on-purpose; exit 3",
        ],
    );
    let t = Instant::now();
    let e = rt
        .block_on(docker::wait_running(
            &apply(),
            &d,
            &c.0,
            Duration::from_secs(30),
            false,
        ))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Failed, "{e}");
    assert_contains!(e.message, "exit code 3", "{e}");
    assert_contains!(e.message, "exiting-on-purpose", "logs missing: {e}");
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "failed only after {:?}",
        t.elapsed()
    );
}

#[test]
fn container_never_running_times_out_with_state() {
    let Some(_g) = agent::host() else { return };
    let rt = rt();
    let d = rt.block_on(docker::connect()).unwrap();
    let image = addon_image(&rt, &d);
    let c = TempContainer(unique("created"));
    must("docker", &["create", "--name", &c.0, &image]);
    let ctx = apply();
    let e = rt
        .block_on(docker::wait_running(
            &ctx,
            &d,
            &format!("/{}", c.0),
            Duration::from_secs(2),
            false,
        ))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout, "{e}");
    assert_contains!(e.message, "state created", "{e}");
    assert_contains!(e.message, "restarted 0 times", "{e}");

    let absent = unique("absent");
    let e = rt
        .block_on(docker::wait_running(
            &ctx,
            &d,
            &absent,
            Duration::from_secs(1),
            false,
        ))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout, "{e}");
    assert_contains!(e.message, "does not exist", "{e}");

    // Cancellation stops a long wait within a second.
    let cancel = ctx.cancel.clone();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        cancel.cancel();
    });
    let t = Instant::now();
    let e = rt
        .block_on(docker::wait_running(
            &ctx,
            &d,
            &c.0,
            Duration::from_secs(60),
            false,
        ))
        .unwrap_err();
    stopper.join().unwrap();
    assert_eq!(e.kind, ErrorKind::Cancelled, "{e}");
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "took {:?}",
        t.elapsed()
    );
}

#[test]
fn addon_comes_up_after_kratos_install_and_hydra_restart() {
    let Some(_g) = agent::host() else { return };
    remove_addon();
    let rt = rt();
    let d = rt.block_on(docker::connect()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let old = gunzip(&addon(OLD), dir.path());
    let new = gunzip(&addon(NEW), dir.path());
    let old_id = docker::inspect_archive(&old).unwrap().id;
    let new_id = docker::inspect_archive(&new).unwrap().id;
    assert_ne!(old_id, new_id);

    // update before install is refused.
    let (ok, text) = sh(
        "kratos",
        &["addons", "update", "auth", new.to_str().unwrap()],
    );
    assert!(!ok, "{text}");
    assert_contains!(text, "not installed");
    must(
        "kratos",
        &["addons", "install", "auth", old.to_str().unwrap()],
    );
    let (ok, text) = sh(
        "kratos",
        &["addons", "install", "auth", old.to_str().unwrap()],
    );
    assert!(!ok, "{text}");
    assert_contains!(text, "already installed");
    let created = rt.block_on(docker::container(&d, "auth")).unwrap().unwrap();
    assert_eq!(created.state, "created");
    assert_eq!(created.image, "auth");
    assert_eq!(created.image_id, old_id);

    let ctx = apply();
    systemd::restart(&ctx, "hydra", systemd::DEFAULT_WAIT).unwrap();
    let ticks = Rc::new(Ticks::default());
    let mut waiting = apply();
    waiting.progress = ticks.clone();
    let (o, c) = rt
        .block_on(docker::wait_running(
            &waiting,
            &d,
            "auth",
            Duration::from_secs(90),
            true,
        ))
        .unwrap();
    assert_eq!(o.status, Status::Ok);
    let c = c.unwrap();
    assert_eq!(c.health.as_deref(), Some("healthy"), "{c:?}");
    assert_eq!(c.image_id, old_id);
    // The add-on takes a few seconds to become healthy: progress was shown.
    assert!(!ticks.0.borrow().is_empty(), "no progress ticks");
    let listed = rt.block_on(docker::ps(&d, false)).unwrap();
    let auth = listed
        .iter()
        .find(|c| c.name == "auth")
        .expect("auth in ps");
    assert_eq!(auth.state, "running");
    assert_eq!(auth.health.as_deref(), Some("healthy"), "{auth:?}");
    assert!(auth.status.starts_with("Up"), "{auth:?}");

    // Check mode: nothing restarts, nothing is waited for, nothing changes.
    let pid = systemd::status(&ctx, "hydra").unwrap().unwrap().main_pid;
    let (o, _) = systemd::restart(&check(), "hydra", systemd::DEFAULT_WAIT).unwrap();
    assert_eq!(o.status, Status::WouldChange);
    let (o, _) = systemd::stop(&check(), "hydra").unwrap();
    assert_eq!(o.status, Status::WouldChange);
    let (o, _) = systemd::start(&check(), "hydra", systemd::DEFAULT_WAIT).unwrap();
    assert_eq!(o.status, Status::Ok);
    let (o, _) = rt
        .block_on(docker::wait_running(
            &check(),
            &d,
            "auth",
            Duration::from_secs(5),
            true,
        ))
        .unwrap();
    assert_eq!(o.status, Status::Skipped);
    let (o, _) = rt.block_on(docker::load(&check(), &d, &new)).unwrap();
    assert_eq!(o.status, Status::WouldChange);
    assert_eq!(
        systemd::status(&ctx, "hydra").unwrap().unwrap().main_pid,
        pid
    );
    let still = rt.block_on(docker::container(&d, "auth")).unwrap().unwrap();
    assert_eq!(
        (still.id.as_str(), still.started_at.as_deref()),
        (c.id.as_str(), c.started_at.as_deref())
    );
    assert!(
        rt.block_on(docker::image(&d, &new_id)).unwrap().is_none(),
        "check mode loaded an image"
    );

    let logs = rt
        .block_on(docker::logs(&ctx, &d, "/auth", Some(5)))
        .unwrap();
    assert_not_contains!(logs, "error");

    // Upgrade: update replaces the container with the new image.
    must(
        "kratos",
        &["addons", "update", "auth", new.to_str().unwrap()],
    );
    systemd::restart(&ctx, "hydra", systemd::DEFAULT_WAIT).unwrap();
    let (_, c) = rt
        .block_on(docker::wait_running(
            &ctx,
            &d,
            "auth",
            Duration::from_secs(90),
            true,
        ))
        .unwrap();
    assert_eq!(c.unwrap().image_id, new_id);

    // hydra's stop takes the Agent's containers down.
    systemd::stop(&ctx, "hydra").unwrap();
    let down = rt.block_on(docker::container(&d, "auth")).unwrap().unwrap();
    assert_eq!(down.state, "exited");
    systemd::start(&ctx, "hydra", systemd::DEFAULT_WAIT).unwrap();
    remove_addon();
}
