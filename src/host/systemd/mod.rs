//! systemd units: `systemctl` for actions, `systemctl show` for state.
//!
//! State is read just before each decision (never cached), so a unit another
//! step restarted is seen as it is now. Parsers are pure and unit-tested on
//! captured output (`unit.rs`); the command calls are thin.

mod unit;

use std::path::Path;
use std::time::Duration;

use crate::host::process::{self, RunOpts, RunOutput};
use crate::host::wait::{Poll, sleep_blocking};
use crate::host::{Ctx, ErrorKind, HostError, HostResult, Outcome, format_duration};

use unit::PROPERTIES;
pub use unit::{UnitStatus, parse_show, validate_unit};

/// How long an action may take before we give up on `systemctl` itself.
const SYSTEMCTL_TIMEOUT: Duration = Duration::from_secs(120);
/// systemd's own default start timeout; waits default to it.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(90);
/// A unit whose process dies right after start is briefly `active`; it must
/// stay active this long before a start counts as successful.
const SETTLE: Duration = Duration::from_millis(1000);
const POLL: Duration = Duration::from_millis(250);
const JOURNAL_LINES: &str = "20";

/// The reason this is not a systemd host, or `None` when it is. `root` is `/`
/// except in tests.
fn not_systemd_reason(root: &Path) -> Option<String> {
    let marker = root.join("run/systemd/system");
    (!marker.is_dir()).then(|| {
        format!(
            "not a systemd host: {} does not exist (systemd is not PID 1 here, e.g. inside a plain container)",
            marker.display()
        )
    })
}

fn require_systemd() -> HostResult<()> {
    match not_systemd_reason(Path::new("/")) {
        None => Ok(()),
        Some(reason) => Err(HostError::new(ErrorKind::Unavailable, reason)
            .with_hint("run this on the Agent host itself, where systemd manages hydra")),
    }
}

/// Runs `systemctl` or `journalctl` through [`process::run`], so they get the
/// same scrubbed environment, timeout and cancellation as every other child.
fn run(ctx: &Ctx, program: &str, args: &[&str], timeout: Duration) -> HostResult<RunOutput> {
    if process::which(program).is_none() {
        return Err(HostError::new(
            ErrorKind::Unavailable,
            format!("not a systemd host: '{program}' was not found on PATH"),
        )
        .with_hint("run this on the Agent host itself, where systemd manages hydra"));
    }
    let mut opts = RunOpts::new();
    opts.timeout = Some(timeout);
    // We parse the output and handle the exit code ourselves.
    opts.check = false;
    // The callers decide on the mode; an action is only ever called when applying.
    opts.read_only = true;
    // No pager, colours or password prompts.
    opts.env = [
        ("SYSTEMD_PAGER", ""),
        ("SYSTEMD_COLORS", "0"),
        ("LC_ALL", "C"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .to_vec();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    process::run(ctx, program, &args, opts)
}

fn systemctl(ctx: &Ctx, args: &[&str]) -> HostResult<RunOutput> {
    let mut all = vec!["--no-pager", "--no-ask-password"];
    all.extend_from_slice(args);
    run(ctx, "systemctl", &all, SYSTEMCTL_TIMEOUT)
}

/// The unit's state, or `None` when systemd knows no such unit.
pub fn status(ctx: &Ctx, unit: &str) -> HostResult<Option<UnitStatus>> {
    validate_unit(unit)?;
    require_systemd()?;
    let prop = format!("--property={PROPERTIES}");
    let out = systemctl(ctx, &["show", &prop, unit])?;
    if !out.success() {
        return Err(HostError::failed(format!(
            "systemctl show {unit} failed: {}",
            out.text()
        )));
    }
    let st = parse_show(&out.stdout);
    Ok(st.exists().then_some(st))
}

/// Like [`status`], but an unknown unit is a `not_found` error.
pub fn existing(ctx: &Ctx, unit: &str) -> HostResult<UnitStatus> {
    status(ctx, unit)?.ok_or_else(|| {
        HostError::not_found(format!("systemd unit '{unit}' does not exist")).with_hint(
            "check the name with `systemctl list-units --all`; the Agent's unit is usually `hydra`",
        )
    })
}

pub fn is_active(ctx: &Ctx, unit: &str) -> HostResult<bool> {
    Ok(existing(ctx, unit)?.is_active())
}

/// How long a failure waits for a dead process's last output to reach the journal.
const JOURNAL_SETTLE: Duration = Duration::from_millis(300);

/// The last journal lines of a unit, for error messages; best effort.
pub fn journal_tail(ctx: &Ctx, unit: &str) -> String {
    // A process that just died may have output journald has not stored yet;
    // `--sync` has it write everything logged so far (systemd 235 and later;
    // older journalctl refuses the flag, which costs nothing).
    let _ = run(ctx, "journalctl", &["--sync"], Duration::from_secs(5));
    // `--sync` covers what journald has received; the last lines of a process
    // that died a moment ago may still sit in its stdout stream. A short
    // pause, on this failure path only, lets journald read them. An
    // interrupt ends the pause and the error is shown with what is there.
    let _ = sleep_blocking(&ctx.cancel, JOURNAL_SETTLE);
    let _ = run(ctx, "journalctl", &["--sync"], Duration::from_secs(5));
    match run(
        ctx,
        "journalctl",
        &["-u", unit, "-n", JOURNAL_LINES, "--no-pager", "-q"],
        Duration::from_secs(10),
    ) {
        Ok(o) if o.success() && !o.stdout.trim().is_empty() => o.stdout.trim_end().to_string(),
        Ok(o) if o.success() => "(the journal has no lines for this unit)".into(),
        Ok(o) => format!("(journalctl failed: {})", o.text()),
        Err(e) => format!("(journal unavailable: {e})"),
    }
}

fn failure(
    ctx: &Ctx,
    kind: ErrorKind,
    unit: &str,
    what: String,
    st: Option<&UnitStatus>,
) -> HostError {
    let state = st
        .map(|s| format!(": {}", s.describe()))
        .unwrap_or_default();
    HostError::new(
        kind,
        format!(
            "{what}{state}\nlast journal lines of {unit}:\n{}",
            journal_tail(ctx, unit)
        ),
    )
    .with_hint(format!(
        "see `systemctl status {unit}` and `journalctl -u {unit}`"
    ))
}

/// Runs one `systemctl` action; a non-zero exit becomes an error with the
/// unit's state and journal.
fn act(ctx: &Ctx, action: &str, unit: &str) -> HostResult<()> {
    let out = systemctl(ctx, &[action, unit])?;
    if out.success() {
        return Ok(());
    }
    let st = status(ctx, unit).ok().flatten();
    let kind = if out.stderr.contains("Access denied")
        || out.stderr.contains("Interactive authentication required")
    {
        ErrorKind::AccessDenied
    } else {
        ErrorKind::Failed
    };
    let mut e = failure(
        ctx,
        kind,
        unit,
        format!("systemctl {action} {unit} failed: {}", out.text()),
        st.as_ref(),
    );
    if kind == ErrorKind::AccessDenied {
        e = e.with_hint("run as root (sudo runbook …)");
    }
    Err(e)
}

/// Polls until the unit is active and stays so for a moment. `after_start`:
/// we just started it, so `inactive` means it already exited and is a failure
/// rather than "not started yet".
fn wait_until_active(
    ctx: &Ctx,
    unit: &str,
    timeout: Duration,
    after_start: bool,
) -> HostResult<UnitStatus> {
    let mut poll = Poll::new(ctx, format!("{unit} to become active"), timeout);
    loop {
        ctx.cancel.check()?;
        let st = existing(ctx, unit)?;
        let failed = |what: String, st: &UnitStatus| {
            Err(failure(ctx, ErrorKind::Failed, unit, what, Some(st)))
        };
        match st.active.as_str() {
            "active" => {
                sleep_blocking(&ctx.cancel, SETTLE)?;
                let again = existing(ctx, unit)?;
                if again.is_active() {
                    return Ok(again);
                }
                if again.active == "failed" || (after_start && again.active == "inactive") {
                    return failed(format!("{unit} stopped right after it started"), &again);
                }
            }
            "failed" => return failed(format!("{unit} failed to start"), &st),
            "inactive" if after_start => {
                return failed(format!("{unit} is not running after start"), &st);
            }
            _ => {}
        }
        if poll.expired() {
            let what = format!(
                "{unit} did not become active within {}",
                format_duration(timeout)
            );
            return Err(failure(ctx, ErrorKind::Timeout, unit, what, Some(&st)));
        }
        poll.pause_blocking(POLL)?;
    }
}

/// Waits until the unit is active. In check mode an inactive unit is
/// `skipped`: the step that would start it did not run.
pub fn wait_active(ctx: &Ctx, unit: &str, timeout: Duration) -> HostResult<(Outcome, UnitStatus)> {
    let st = existing(ctx, unit)?;
    if ctx.mode.is_check() && !st.is_active() {
        return Ok((
            Outcome::skipped(format!("{unit} is {} (check mode: not waiting)", st.active)),
            st,
        ));
    }
    if st.is_active() {
        return Ok((Outcome::ok(format!("{unit} is active")), st));
    }
    let st = wait_until_active(ctx, unit, timeout, false)?;
    Ok((Outcome::ok(format!("{unit} is active")), st))
}

/// Starts the unit unless it is active; waits until it is.
pub fn start(ctx: &Ctx, unit: &str, timeout: Duration) -> HostResult<(Outcome, UnitStatus)> {
    let st = existing(ctx, unit)?;
    if st.is_active() {
        return Ok((Outcome::ok(format!("{unit} is already active")), st));
    }
    let summary = format!("start {unit} (now {})", st.active);
    if ctx.mode.is_check() {
        return Ok((Outcome::change(ctx.mode, summary), st));
    }
    act(ctx, "start", unit)?;
    let st = wait_until_active(ctx, unit, timeout, true)?;
    Ok((
        Outcome::change(
            ctx.mode,
            format!("started {unit} (main pid {})", st.main_pid),
        ),
        st,
    ))
}

/// Stops the unit unless it is already stopped (inactive or failed).
pub fn stop(ctx: &Ctx, unit: &str) -> HostResult<(Outcome, UnitStatus)> {
    let st = existing(ctx, unit)?;
    if matches!(st.active.as_str(), "inactive" | "failed") {
        return Ok((
            Outcome::ok(format!("{unit} is already stopped ({})", st.active)),
            st,
        ));
    }
    if ctx.mode.is_check() {
        return Ok((Outcome::change(ctx.mode, format!("stop {unit}")), st));
    }
    act(ctx, "stop", unit)?;
    let st = existing(ctx, unit)?;
    Ok((Outcome::change(ctx.mode, format!("stopped {unit}")), st))
}

/// Restarts the unit (always acts) and waits until it is active again.
pub fn restart(ctx: &Ctx, unit: &str, timeout: Duration) -> HostResult<(Outcome, UnitStatus)> {
    let before = existing(ctx, unit)?;
    if ctx.mode.is_check() {
        return Ok((Outcome::change(ctx.mode, format!("restart {unit}")), before));
    }
    act(ctx, "restart", unit)?;
    let st = wait_until_active(ctx, unit, timeout, true)?;
    Ok((
        Outcome::change(
            ctx.mode,
            format!(
                "restarted {unit} (main pid {} -> {})",
                before.main_pid, st.main_pid
            ),
        ),
        st,
    ))
}

/// Asks an active unit to reload its configuration.
pub fn reload(ctx: &Ctx, unit: &str, timeout: Duration) -> HostResult<(Outcome, UnitStatus)> {
    let st = existing(ctx, unit)?;
    if !st.can_reload {
        return Err(
            HostError::invalid(format!("{unit} does not support reload"))
                .with_hint(format!("use systemd::restart(\"{unit}\") instead")),
        );
    }
    if !st.is_active() {
        return Err(HostError::new(
            ErrorKind::Conflict,
            format!("cannot reload {unit}: it is not active ({})", st.active),
        )
        .with_hint(format!("start it instead: systemd::start(\"{unit}\")")));
    }
    if ctx.mode.is_check() {
        return Ok((Outcome::change(ctx.mode, format!("reload {unit}")), st));
    }
    act(ctx, "reload", unit)?;
    let st = wait_until_active(ctx, unit, timeout, true)?;
    Ok((Outcome::change(ctx.mode, format!("reloaded {unit}")), st))
}

#[cfg(test)]
mod tests {
    use super::*;
    // Regression: systemctl and journalctl ran through a private runner that
    // passed RUNBOOK_* and AWS session secrets on to the child.
    #[test]
    fn children_get_the_scrubbed_environment() {
        // SAFETY: set once, before any child is started by this test; no other
        // unit test reads these names.
        unsafe {
            std::env::set_var("RUNBOOK_SCRUB_PROBE", "leaked");
            std::env::set_var("AWS_SESSION_TOKEN", "leaked-token");
        }
        let out = run(
            &Ctx::plain(crate::host::Mode::Apply),
            "env",
            &[],
            Duration::from_secs(10),
        )
        .unwrap();
        assert!(out.success(), "{}", out.text());
        assert!(out.stdout.contains("SYSTEMD_PAGER="), "{}", out.stdout);
        assert!(!out.stdout.contains("leaked"), "{}", out.stdout);
    }

    #[test]
    fn a_host_without_systemd_is_named_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let reason = not_systemd_reason(dir.path()).unwrap();
        assert!(reason.contains("not a systemd host"), "{reason}");
        std::fs::create_dir_all(dir.path().join("run/systemd/system")).unwrap();
        assert_eq!(not_systemd_reason(dir.path()), None);
    }
}
