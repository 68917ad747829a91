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

// ---------------------------------------------------------------- systemd

#[test]
fn restart_changes_the_main_pid() {
    let Some(_g) = agent::host() else { return };
    let ctx = apply();
    systemd::start(&ctx, "hydra", systemd::DEFAULT_WAIT).unwrap();
    let before = systemd::status(&ctx, "hydra").unwrap().unwrap();
    assert!(before.is_active() && before.main_pid != 0, "{before:?}");
    let (outcome, after) = systemd::restart(&ctx, "hydra", systemd::DEFAULT_WAIT).unwrap();
    assert_eq!(outcome.status, Status::Changed);
    assert!(after.is_active());
    assert_ne!(after.main_pid, before.main_pid, "{}", outcome.summary);
    assert_eq!(
        systemd::status(&ctx, "hydra.service")
            .unwrap()
            .unwrap()
            .main_pid,
        after.main_pid
    );
}

#[test]
fn start_of_an_active_unit_is_ok_and_stop_start_round_trips() {
    let Some(_g) = agent::host() else { return };
    let ctx = apply();
    systemd::start(&ctx, "hydra", systemd::DEFAULT_WAIT).unwrap();
    let (o, _) = systemd::start(&ctx, "hydra", systemd::DEFAULT_WAIT).unwrap();
    assert_eq!(o.status, Status::Ok);
    assert!(systemd::is_active(&ctx, "hydra").unwrap());

    let (o, st) = systemd::stop(&ctx, "hydra").unwrap();
    assert_eq!(o.status, Status::Changed);
    assert_eq!(st.active, "inactive");
    let (o, _) = systemd::stop(&ctx, "hydra").unwrap();
    assert_eq!(o.status, Status::Ok);
    let (o, st) = systemd::start(&ctx, "hydra", systemd::DEFAULT_WAIT).unwrap();
    assert_eq!(o.status, Status::Changed);
    assert!(st.is_active());
    let (o, _) = systemd::wait_active(&ctx, "hydra", Duration::from_secs(5)).unwrap();
    assert_eq!(o.status, Status::Ok);
    // The stand-in has no ExecReload.
    let e = systemd::reload(&ctx, "hydra", systemd::DEFAULT_WAIT).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput, "{e}");
}

#[test]
fn unknown_unit_is_not_found() {
    let Some(_g) = agent::host() else { return };
    let ctx = apply();
    let unit = unique("no-such-unit");
    assert!(systemd::status(&ctx, &unit).unwrap().is_none());
    for e in [
        systemd::restart(&ctx, &unit, systemd::DEFAULT_WAIT).unwrap_err(),
        systemd::start(&ctx, &unit, systemd::DEFAULT_WAIT).unwrap_err(),
        systemd::is_active(&ctx, &unit).map(|_| ()).unwrap_err(),
    ] {
        assert_eq!(e.kind, ErrorKind::NotFound, "{e}");
        assert_contains!(e.message, &unit, "{e}");
    }
    let e = systemd::start(&ctx, "--all", systemd::DEFAULT_WAIT).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput);
}

/// A throwaway unit, removed again on drop.
struct TempUnit(String);
impl TempUnit {
    fn new(what: &str, service: &str) -> Self {
        let name = format!("{}.service", unique(what));
        std::fs::write(
            format!("/etc/systemd/system/{name}"),
            format!("[Unit]\nDescription=runbook test unit\n\n[Service]\n{service}\n"),
        )
        .unwrap();
        must("systemctl", &["daemon-reload"]);
        TempUnit(name)
    }
}
impl Drop for TempUnit {
    fn drop(&mut self) {
        let _ = sh("systemctl", &["stop", &self.0]);
        let _ = sh("systemctl", &["reset-failed", &self.0]);
        let _ = std::fs::remove_file(format!("/etc/systemd/system/{}", self.0));
        let _ = sh("systemctl", &["daemon-reload"]);
    }
}

#[test]
fn unit_failing_on_start_reports_state_and_journal() {
    let Some(_g) = agent::host() else { return };
    let ctx = apply();
    // Type=simple: `systemctl start` itself succeeds, the process dies at once.
    let simple = TempUnit::new(
        "fail-simple",
        "Type=simple\nExecStart=/bin/sh -c 'echo failing-on-purpose-simple; exit 3'",
    );
    let e = systemd::start(&ctx, &simple.0, Duration::from_secs(20)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Failed, "{e}");
    assert_contains!(e.message, "state failed", "{e}");
    assert_contains!(
        e.message,
        "failing-on-purpose-simple",
        "journal lines missing: {e}"
    );
    assert_contains!(e.hint.as_deref().unwrap_or(""), "journalctl", "{e:?}");

    // Type=oneshot: `systemctl start` itself fails.
    let oneshot = TempUnit::new(
        "fail-oneshot",
        "Type=oneshot\nExecStart=/bin/sh -c 'echo failing-on-purpose-oneshot; exit 4'",
    );
    let e = systemd::restart(&ctx, &oneshot.0, Duration::from_secs(20)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Failed, "{e}");
    assert_contains!(
        e.message,
        "failing-on-purpose-oneshot",
        "journal lines missing: {e}"
    );
}

#[test]
fn wait_active_times_out_and_honours_cancel() {
    let Some(_g) = agent::host() else { return };
    let unit = TempUnit::new("idle", "Type=simple\nExecStart=/bin/sleep infinity");
    let ctx = apply();
    // Never started: the wait cannot succeed.
    let t = Instant::now();
    let e = systemd::wait_active(&ctx, &unit.0, Duration::from_secs(1)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout, "{e}");
    assert_contains!(e.message, "state inactive", "{e}");
    assert!(t.elapsed() < Duration::from_secs(5));

    let cancel = ctx.cancel.clone();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        cancel.cancel();
    });
    let t = Instant::now();
    let e = systemd::wait_active(&ctx, &unit.0, Duration::from_secs(60)).unwrap_err();
    stopper.join().unwrap();
    assert_eq!(e.kind, ErrorKind::Cancelled, "{e}");
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "took {:?}",
        t.elapsed()
    );
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

// ---------------------------------------------------------------- Rhai

#[test]
fn scripts_see_the_modules_with_maps_and_catchable_errors() {
    let Some(_g) = agent::host() else { return };
    remove_addon();
    let archive = addon(OLD);
    let script = format!(
        r#"
        let st = systemd::status("hydra");
        if st.active != "active" {{ throw "hydra not active: " + st; }}
        if systemd::status("runbook-no-such-unit") != () {{ throw "unknown unit has a status"; }}
        let r = systemd::start("hydra", #{{timeout: "30s"}});
        if r.status != "ok" || r.changed {{ throw "start of active: " + r; }}
        let r = systemd::restart("hydra");
        if r.status != "changed" || r.main_pid == st.main_pid {{ throw "restart: " + r; }}
        let kind = "";
        try {{ systemd::restart("runbook-no-such-unit"); }} catch (e) {{ kind = e.kind; }}
        if kind != "not_found" {{ throw "unknown unit error kind: " + kind; }}
        try {{ systemd::start("hydra", #{{timout: "1s"}}); }} catch (e) {{ kind = e.kind; }}
        if kind != "invalid_input" {{ throw "typo in opts not refused"; }}

        let l = docker::load("{archive}");
        if l.status != "changed" || !l.id.starts_with("sha256:") {{ throw "load: " + l; }}
        if docker::load("{archive}").status != "ok" {{ throw "second load not ok"; }}
        if docker::image("auth").id != l.id {{ throw "image id"; }}
        if docker::container("runbook-no-such-container") != () {{ throw "absent container"; }}
        if type_of(docker::ps()) != "array" || type_of(docker::ps(#{{all: true}})) != "array" {{ throw "ps"; }}
        try {{ docker::load("/nonexistent/auth.tar.gz"); }} catch (e) {{ kind = e.kind; }}
        if kind != "not_found" {{ throw "missing archive kind: " + kind; }}
        "done"
        "#,
        archive = archive.display()
    );
    let out = Engine::new(Mode::Apply)
        .eval(&script)
        .unwrap()
        .into_string()
        .unwrap();
    assert_eq!(out, "done");

    // Check mode: the same calls change nothing and waits are skipped.
    let pid = systemd::status(&apply(), "hydra")
        .unwrap()
        .unwrap()
        .main_pid;
    let out = Engine::new(Mode::Check)
        .eval(
            r#"
            let r = systemd::restart("hydra");
            if r.status != "would_change" { throw "check restart: " + r; }
            let w = docker::wait_running("auth", #{timeout: "1s", healthy: true});
            if w.status != "skipped" { throw "check wait: " + w; }
            "done"
            "#,
        )
        .unwrap()
        .into_string()
        .unwrap();
    assert_eq!(out, "done");
    assert_eq!(
        systemd::status(&apply(), "hydra")
            .unwrap()
            .unwrap()
            .main_pid,
        pid
    );
    remove_addon();
}

#[test]
fn container_stopped_earlier_is_waited_for_until_started() {
    let Some(_g) = agent::host() else { return };
    let rt = rt();
    let d = rt.block_on(docker::connect()).unwrap();
    let image = addon_image(&rt, &d);
    // Like `auth` during `systemctl restart hydra`: stopped by the Agent's
    // stop (an old start time, exit code 137), started again a moment later.
    let c = TempContainer(unique("restarted"));
    must(
        "docker",
        &["run", "-d", "--name", &c.0, &image, "sleep", "1000"],
    );
    std::thread::sleep(Duration::from_secs(3));
    must("docker", &["stop", "-t", "0", &c.0]);
    let name = c.0.clone();
    let starter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        must("docker", &["start", &name]);
    });
    let (o, info) = rt
        .block_on(docker::wait_running(
            &apply(),
            &d,
            &c.0,
            Duration::from_secs(30),
            false,
        ))
        .unwrap();
    starter.join().unwrap();
    assert_eq!(o.status, Status::Ok);
    assert_eq!(info.unwrap().state, "running");
}

#[test]
fn socket_not_permitted_is_unavailable_with_a_fix() {
    if child::is_child() {
        // The child: not root, not in the docker group.
        let e = rt().block_on(docker::connect()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unavailable, "{e}");
        assert_contains!(e.message, "not permitted", "{e}");
        assert_contains!(e.hint.as_deref().unwrap(), "docker group", "{e:?}");
        return;
    }
    let Some(_g) = agent::host() else { return };
    // The child: not root, not in the docker group.
    let test = child::command(
        module_path!(),
        "socket_not_permitted_is_unavailable_with_a_fix",
    );
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(test.get_program())
        .args(test.get_args())
        .envs(test.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .env_remove("DOCKER_HOST");
    child::run(&mut cmd);
}

#[test]
fn missing_systemctl_is_not_a_systemd_host() {
    if child::is_child() {
        // The child: a PATH without systemctl.
        let e = systemd::status(&apply(), "hydra").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unavailable, "{e}");
        assert_contains!(e.message, "not a systemd host", "{e}");
        assert_contains!(e.message, "systemctl", "{e}");
        return;
    }
    let Some(_g) = agent::host() else { return };
    child::run(
        child::command(module_path!(), "missing_systemctl_is_not_a_systemd_host")
            .env("PATH", "/nonexistent"),
    );
}
