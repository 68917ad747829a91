//! The one way host code waits: a deadline, cancellation checked at least
//! every 100 ms, and progress ticked about once a second. Docker's and
//! systemd's waits and the retries while IAM propagates a key all use it.

use std::time::{Duration, Instant};

use super::{Cancel, Ctx, HostResult};

/// How often a sleep wakes up to look at the cancel flag.
const SLICE: Duration = Duration::from_millis(100);
/// How often a wait reports progress.
const TICK: Duration = Duration::from_secs(1);

/// The slices of a sleep of `total`, each checked against cancellation first.
fn slices(cancel: &Cancel, total: Duration) -> impl Iterator<Item = HostResult<Duration>> + '_ {
    let end = Instant::now() + total;
    std::iter::from_fn(move || {
        if let Err(e) = cancel.check() {
            return Some(Err(e));
        }
        let left = end.saturating_duration_since(Instant::now());
        (!left.is_zero()).then(|| Ok(left.min(SLICE)))
    })
}

/// Sleeps `total` on the calling thread, ending early (with `cancelled`) on Ctrl-C.
pub fn sleep_blocking(cancel: &Cancel, total: Duration) -> HostResult<()> {
    for slice in slices(cancel, total) {
        std::thread::sleep(slice?);
    }
    cancel.check()
}

/// Sleeps `total` on the runtime, ending early (with `cancelled`) on Ctrl-C.
pub async fn sleep(cancel: &Cancel, total: Duration) -> HostResult<()> {
    for slice in slices(cancel, total) {
        tokio::time::sleep(slice?).await;
    }
    cancel.check()
}

/// One wait: what is awaited, since when, until when. Dropping it clears the
/// progress line, however the wait ends.
pub struct Poll<'a> {
    ctx: &'a Ctx,
    what: String,
    state: Option<String>,
    start: Instant,
    timeout: Duration,
    last_tick: Instant,
}

impl<'a> Poll<'a> {
    pub fn new(ctx: &'a Ctx, what: impl Into<String>, timeout: Duration) -> Self {
        let now = Instant::now();
        Poll {
            ctx,
            what: what.into(),
            state: None,
            start: now,
            timeout,
            last_tick: now,
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The deadline has passed.
    pub fn expired(&self) -> bool {
        self.elapsed() >= self.timeout
    }

    /// The state shown after what is awaited: `container auth (restarting)`.
    pub fn set_state(&mut self, state: Option<String>) {
        self.state = state;
    }

    fn label(&self) -> String {
        match &self.state {
            Some(s) => format!("{} ({s})", self.what),
            None => self.what.clone(),
        }
    }

    fn tick(&mut self) {
        if self.last_tick.elapsed() >= TICK {
            self.ctx.progress.tick(&self.label(), self.elapsed());
            self.last_tick = Instant::now();
        }
    }

    /// Waits `interval` before the next look, on the calling thread, ticking progress.
    pub fn pause_blocking(&mut self, interval: Duration) -> HostResult<()> {
        for slice in slices(&self.ctx.cancel, interval) {
            self.tick();
            std::thread::sleep(slice?);
        }
        self.ctx.cancel.check()
    }

    /// Waits `interval` before the next look, on the runtime, ticking progress.
    pub async fn pause(&mut self, interval: Duration) -> HostResult<()> {
        for slice in slices(&self.ctx.cancel, interval) {
            self.tick();
            tokio::time::sleep(slice?).await;
        }
        self.ctx.cancel.check()
    }
}

impl Drop for Poll<'_> {
    fn drop(&mut self) {
        self.ctx.progress.done();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::{ErrorKind, Mode};

    #[test]
    fn a_sleep_lasts_its_time_and_stops_on_cancel() {
        let cancel = Cancel::new();
        let t = Instant::now();
        sleep_blocking(&cancel, Duration::from_millis(250)).unwrap();
        assert!(t.elapsed() >= Duration::from_millis(250));
        cancel.cancel();
        let t = Instant::now();
        let e = sleep_blocking(&cancel, Duration::from_secs(60)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Cancelled);
        assert!(t.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn a_poll_expires_and_names_its_state() {
        let ctx = Ctx::plain(Mode::Apply);
        let mut p = Poll::new(&ctx, "container auth", Duration::from_millis(150));
        assert!(!p.expired());
        assert_eq!(p.label(), "container auth");
        p.set_state(Some("restarting".into()));
        assert_eq!(p.label(), "container auth (restarting)");
        p.pause_blocking(Duration::from_millis(200)).unwrap();
        assert!(p.expired());
        ctx.cancel.cancel();
        let e = p.pause_blocking(Duration::from_secs(60)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Cancelled);
    }
}
