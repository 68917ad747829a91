//! Waiting for a container to run, with the failure explained.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bollard::Docker;

use super::{ContainerInfo, container, container_name, logs, parse_timestamp};
use crate::host::wait::{Poll, sleep};
use crate::host::{Ctx, ErrorKind, HostError, HostResult, Outcome, format_duration};

const POLL: Duration = Duration::from_millis(500);
/// A container must stay up this long (same start time) before a wait
/// succeeds, so one that crashes and is restarted in a loop is not "running".
const SETTLE: Duration = Duration::from_millis(1000);
/// Log lines shown when a wait fails.
const FAIL_LOG_LINES: u32 = 20;

fn describe(c: &ContainerInfo) -> String {
    let mut s = format!("state {}", c.state);
    if let Some(h) = &c.health {
        s.push_str(&format!(", health {h}"));
    }
    if c.state != "running" {
        if let Some(code) = c.exit_code {
            s.push_str(&format!(", exit code {code}"));
        }
    }
    s.push_str(&format!(", restarted {} times", c.restart_count));
    if let Some(e) = &c.error {
        s.push_str(&format!(", error: {e}"));
    }
    s
}

/// Builds the error for a failed wait: state plus the container's last log lines.
async fn wait_failure(
    ctx: &Ctx,
    docker: &Docker,
    kind: ErrorKind,
    what: String,
    c: &ContainerInfo,
) -> HostError {
    let logs = match logs(ctx, docker, &c.name, Some(FAIL_LOG_LINES)).await {
        Ok(l) if l.trim().is_empty() => "(no output)".to_string(),
        Ok(l) => l.trim_end().to_string(),
        Err(e) => format!("(logs unavailable: {e})"),
    };
    HostError::new(
        kind,
        format!(
            "{what}: {}\nlast log lines of {}:\n{logs}",
            describe(c),
            c.name
        ),
    )
    .with_hint(format!(
        "see `docker logs {0}` and `docker inspect {0}`",
        c.name
    ))
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Waits until the container is running (and, with `healthy`, reports healthy
/// when it has a health check). Fails at once when it exits during the wait,
/// with its exit code and logs; on timeout, with its state, restart count,
/// exit code and logs. In check mode nothing was started, so it is skipped.
pub async fn wait_running(
    ctx: &Ctx,
    docker: &Docker,
    name: &str,
    timeout: Duration,
    healthy: bool,
) -> HostResult<(Outcome, Option<ContainerInfo>)> {
    let n = container_name(name)?.to_string();
    if ctx.mode.is_check() {
        let c = container(docker, &n).await?;
        return Ok((
            Outcome::skipped(format!("check mode: not waiting for container {n}")),
            c,
        ));
    }
    let (o, c) = wait_loop(ctx, docker, &n, timeout, healthy).await?;
    Ok((o, Some(c)))
}

/// The state shown while waiting: `restarting`, `running, starting`.
fn progress_state(c: &ContainerInfo) -> String {
    match &c.health {
        Some(h) => format!("{}, {h}", c.state),
        None => c.state.clone(),
    }
}

async fn wait_loop(
    ctx: &Ctx,
    docker: &Docker,
    n: &str,
    timeout: Duration,
    healthy: bool,
) -> HostResult<(Outcome, ContainerInfo)> {
    let mut poll = Poll::new(ctx, format!("container {n}"), timeout);
    // "Started just before or during this wait" (compared in whole seconds,
    // with slack for the `docker start` that may have preceded the call).
    let began = now_secs() - 2;
    let mut first_restarts: Option<i64> = None;
    let mut last: Option<ContainerInfo> = None;
    loop {
        ctx.cancel.check()?;
        if let Some(c) = container(docker, n).await? {
            let restarts = *first_restarts.get_or_insert(c.restart_count);
            let ready = c.state == "running"
                && (!healthy || matches!(c.health.as_deref(), None | Some("healthy")));
            if ready {
                sleep(&ctx.cancel, SETTLE).await?;
                if let Some(again) = container(docker, n).await? {
                    if again.state == "running" && again.started_at == c.started_at {
                        let how = match (&again.health, healthy) {
                            (Some(h), _) => format!("running ({h})"),
                            (None, true) => "running (no health check)".to_string(),
                            (None, false) => "running".to_string(),
                        };
                        return Ok((
                            Outcome::ok(format!(
                                "{n} is {how} after {}",
                                format_duration(poll.elapsed())
                            )),
                            again,
                        ));
                    }
                }
                continue;
            }
            // A container that was started for this wait and already exited
            // fails at once. One stopped earlier (e.g. by the Agent's stop
            // during a restart) has an old start time: it may yet be started,
            // so it is waited for.
            let exited_now = matches!(c.state.as_str(), "exited" | "dead")
                && c.started_at
                    .as_deref()
                    .and_then(parse_timestamp)
                    .is_some_and(|t| t >= began);
            if exited_now {
                let what = format!("container {n} exited");
                return Err(wait_failure(ctx, docker, ErrorKind::Failed, what, &c).await);
            }
            if c.restart_count >= restarts + 3 {
                let what = format!("container {n} keeps restarting");
                return Err(wait_failure(ctx, docker, ErrorKind::Failed, what, &c).await);
            }
            poll.set_state(Some(progress_state(&c)));
            last = Some(c);
        } else {
            poll.set_state(Some("not created yet".into()));
        }
        if poll.expired() {
            let what = format!(
                "container {n} was not running within {}",
                format_duration(timeout)
            );
            return Err(match &last {
                Some(c) => wait_failure(ctx, docker, ErrorKind::Timeout, what, c).await,
                None => HostError::new(ErrorKind::Timeout, format!("{what}: it does not exist"))
                    .with_hint("is the add-on installed (kratos addons install …) and the Agent restarted?"),
            });
        }
        poll.pause(POLL).await?;
    }
}
