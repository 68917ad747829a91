//! The tests' own counters, for `docs/reliability.md`: one JSON line per
//! measurement, appended to `RUNBOOK_TEST_COUNTERS` (default
//! `target/reliability/counters.jsonl`). `scripts/reliability-report.sh`
//! sums them. Each line says whether it came from a soak run, so the report
//! can tell the CI count from the full one.

use std::io::Write;
use std::path::PathBuf;

/// Whether this is the full count (`scripts/test.sh --soak` sets it).
pub fn soak() -> bool {
    std::env::var("RUNBOOK_SOAK").is_ok_and(|v| v == "1")
}

fn path() -> PathBuf {
    match std::env::var_os("RUNBOOK_TEST_COUNTERS") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/reliability/counters.jsonl"),
    }
}

/// Appends `{"kind": kind, "soak": …, …fields}`. Never fails the test: a
/// counter that cannot be written is reported on stderr only (this may run
/// in a thread-local destructor, where a panic would abort).
pub fn record(kind: &str, fields: serde_json::Value) {
    let mut line = serde_json::json!({"kind": kind, "soak": soak()});
    if let (Some(l), serde_json::Value::Object(f)) = (line.as_object_mut(), fields) {
        l.extend(f);
    }
    let p = path();
    let write = || -> std::io::Result<()> {
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir)?;
        }
        // One write of one line: appends from parallel tests do not interleave.
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&p)?;
        f.write_all(format!("{line}\n").as_bytes())
    };
    if let Err(e) = write() {
        eprintln!("counters: cannot append to {}: {e}", p.display());
    }
}

/// A seeded xorshift generator: the seed is `RUNBOOK_TEST_SEED` or the
/// clock, and is printed so a failing run can be replayed.
pub struct Rng(u64, u64);

impl Rng {
    pub fn from_env(what: &str) -> Rng {
        let seed = std::env::var("RUNBOOK_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            });
        // Past the harness's capture, so it is seen on failure and success.
        eprintln!("{what}: RUNBOOK_TEST_SEED={seed}");
        Rng(seed.max(1), seed)
    }

    /// The seed it started from, for the counters.
    pub fn seed(&self) -> u64 {
        self.1
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A value in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}
