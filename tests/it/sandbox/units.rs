//! systemd primitives against the sandbox's systemd (PID 1).

use super::*;

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
