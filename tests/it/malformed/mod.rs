//! Malformed input tables (issue 17, item 5): one row per bad input, with
//! the exit code it must end with and a fragment of its message. The rule
//! for every row: a clear error or the correct result, never a panic, a hang
//! or silent damage. So each row's run is also checked for a panic (exit
//! 101, "panicked" on stderr, death by a signal, no end within [`LIMIT`]),
//! and for what changed: a listing and checksum of its folders (the test
//! folder `{dir}` and a second one, `{outside}`, for links that lead out of
//! it) before and after, and moto's state for the rows that reach AWS. A row
//! that is accepted names the files it may change and checks the result.
//!
//! A family is one `#[test]` running its table; a failing row is named with
//! what it was given and what went wrong, after every row has run. Each row
//! records a `malformed_input` counter (tests/it/common/counters.rs) for
//! `scripts/reliability-report.sh`: tried, clear, crashed.

mod archives;
mod aws;
mod files;
mod params;
mod scripts;

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::{Output, Test, agent, counters};

/// A row's run that takes longer than this hangs.
const LIMIT: Duration = Duration::from_secs(60);

/// The two folders of a row: `{dir}` (the run's working directory) and
/// `{outside}` (where links out of it point).
pub struct Dirs {
    pub dir: PathBuf,
    pub outside: PathBuf,
}

impl Dirs {
    /// `text` with `{dir}` and `{outside}` replaced by the folders' paths.
    pub fn expand(&self, text: &str) -> String {
        text.replace("{dir}", &self.dir.display().to_string())
            .replace("{outside}", &self.outside.display().to_string())
    }
}

type Setup = Box<dyn Fn(&Dirs)>;
type Then = Box<dyn Fn(&Dirs, &Output)>;

/// One malformed input and what it must lead to.
pub struct Row {
    name: String,
    args: Vec<String>,
    env: Vec<(String, OsString)>,
    files: Vec<(String, Vec<u8>)>,
    setup: Vec<Setup>,
    code: i32,
    says: Vec<String>,
    never: Vec<String>,
    changes: Vec<String>,
    then: Option<Then>,
}

/// A row named `name`; by default it expects exit 2 and changes nothing.
pub fn row(name: impl Into<String>) -> Row {
    Row {
        name: name.into(),
        args: Vec::new(),
        env: Vec::new(),
        files: Vec::new(),
        setup: Vec::new(),
        code: 2,
        says: Vec::new(),
        never: Vec::new(),
        changes: Vec::new(),
        then: None,
    }
}

impl Row {
    /// The arguments of `runbook`; `{dir}` and `{outside}` are replaced.
    pub fn args<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, args: I) -> Self {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_string()));
        self
    }

    /// An environment variable of the run; `{dir}` in a UTF-8 value is replaced.
    pub fn env(mut self, k: &str, v: impl AsRef<OsStr>) -> Self {
        self.env.push((k.into(), v.as_ref().into()));
        self
    }

    /// A file of `{dir}`, written before the run (`{dir}` in it is replaced
    /// when it is UTF-8).
    pub fn file(mut self, name: &str, content: impl AsRef<[u8]>) -> Self {
        self.files.push((name.into(), content.as_ref().to_vec()));
        self
    }

    /// Anything else to prepare: a link, a FIFO, a folder.
    pub fn setup(mut self, f: impl Fn(&Dirs) + 'static) -> Self {
        self.setup.push(Box::new(f));
        self
    }

    pub fn code(mut self, code: i32) -> Self {
        self.code = code;
        self
    }

    /// A fragment the output (stdout or stderr) must hold; `{dir}` and
    /// `{outside}` are replaced.
    pub fn says(mut self, fragment: impl Into<String>) -> Self {
        self.says.push(fragment.into());
        self
    }

    /// Text the output must not hold (a secret's value).
    pub fn never(mut self, text: impl Into<String>) -> Self {
        self.never.push(text.into());
        self
    }

    /// A path under `{dir}` (relative) the row is meant to change.
    pub fn changes(mut self, rel: &str) -> Self {
        self.changes.push(rel.into());
        self
    }

    /// Accepted: exit 0, and stdout (without its final newline) is `text`.
    pub fn prints(self, text: impl Into<String>) -> Self {
        let text = text.into();
        self.code(0)
            .then(move |_, out| assert_eq!(out.stdout.trim_end(), text))
    }

    /// Accepted: exit 0, and the file `rel` of `{dir}` is changed to `text`.
    pub fn leaves(self, rel: &str, text: impl Into<String>) -> Self {
        let (path, text) = (rel.to_string(), text.into());
        self.code(0)
            .changes(rel)
            .then(move |d, _| assert_eq!(std::fs::read_to_string(d.dir.join(&path)).unwrap(), text))
    }

    /// Accepted: exit 0, and the file `rel` of `{dir}` is changed to hold `fragment`.
    pub fn leaves_with(self, rel: &str, fragment: impl Into<String>) -> Self {
        let (path, fragment) = (rel.to_string(), fragment.into());
        self.code(0).changes(rel).then(move |d, _| {
            let text = std::fs::read_to_string(d.dir.join(&path)).unwrap();
            assert!(
                text.contains(&fragment),
                "{path} does not hold {fragment:?}: {text}"
            );
        })
    }

    /// A check of the result, for a row that is accepted.
    pub fn then(mut self, f: impl Fn(&Dirs, &Output) + 'static) -> Self {
        self.then = Some(Box::new(f));
        self
    }
}

/// One entry of a folder listing: kind, mode, owner, size, mtime and a
/// checksum of the content (the target, for a link).
#[derive(Debug, PartialEq, Eq)]
struct Entry(String);

/// Every entry under `root` by relative path, the lock file left out.
fn snapshot(root: &Path) -> BTreeMap<String, Entry> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            if rel == "runbook.lock" {
                continue;
            }
            let Ok(m) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            let t = m.file_type();
            let (kind, sum) = if t.is_symlink() {
                let target = std::fs::read_link(&p).unwrap_or_default();
                ("link", target.display().to_string())
            } else if t.is_dir() {
                stack.push(p.clone());
                ("dir", String::new())
            } else if t.is_file() {
                let bytes = std::fs::read(&p).unwrap_or_default();
                ("file", format!("{:016x}", fnv1a(&bytes)))
            } else if t.is_fifo() {
                ("fifo", String::new())
            } else {
                ("other", String::new())
            };
            let line = format!(
                "{kind} {:o} {}:{} {}B mtime {}.{:09} {sum}",
                m.mode() & 0o7777,
                m.uid(),
                m.gid(),
                m.size(),
                m.mtime(),
                m.mtime_nsec()
            );
            out.insert(rel, Entry(line));
        }
    }
    out
}

/// FNV-1a, 64 bits: a checksum, not a defence.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// What differs between two listings, leaving out the paths in `allowed`.
fn changed(
    before: &BTreeMap<String, Entry>,
    after: &BTreeMap<String, Entry>,
    allowed: &[String],
) -> Vec<String> {
    let keys: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter(|k| !allowed.iter().any(|a| *k == a))
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| format!("{k}: {:?} -> {:?}", before.get(k), after.get(k)))
        .collect()
}

/// How one row ended.
struct Verdict {
    /// The binary panicked, aborted, died of a signal or hung.
    crashed: bool,
    /// Why the row failed, or `None`.
    failure: Option<String>,
    code: i32,
}

fn run_row(row: &Row, aws: bool) -> Verdict {
    let t = Test::new();
    let outside = tempfile::tempdir().expect("temp dir");
    let dirs = Dirs {
        dir: t.path().to_path_buf(),
        outside: outside.path().to_path_buf(),
    };
    for (name, bytes) in &row.files {
        match std::str::from_utf8(bytes) {
            // As the test's own input, which the leak scan spares while unchanged.
            Ok(text) => {
                t.file(name, &dirs.expand(text));
            }
            Err(_) => std::fs::write(dirs.dir.join(name), bytes).unwrap(),
        }
    }
    for f in &row.setup {
        f(&dirs);
    }
    let before = (snapshot(&dirs.dir), snapshot(&dirs.outside));
    let aws_before = aws.then(agent::aws_state);
    let mut t = t.args(row.args.iter().map(|a| dirs.expand(a)));
    for (k, v) in &row.env {
        t = match v.to_str() {
            Some(v) => t.env(k, dirs.expand(v)),
            None => t.env(k, v),
        };
    }
    for n in &row.never {
        t = t.secret(n);
    }
    let out = t.run_within(Some(LIMIT));
    let mut problems = Vec::new();
    let crashed = out.timed_out
        || out.code == 101
        || out.code == -1
        || out.stderr.contains("panicked")
        || out.stderr.contains("RUST_BACKTRACE");
    if out.timed_out {
        problems.push(format!("it hung: killed after {LIMIT:?}"));
    } else if crashed {
        problems.push(format!("it crashed (exit {})", out.code));
    }
    if out.code != row.code {
        problems.push(format!("exit {} where {} was expected", out.code, row.code));
    }
    let all = out.all();
    for s in &row.says {
        let s = dirs.expand(s);
        if !all.contains(s.as_str()) {
            problems.push(format!("the output does not say {s:?}"));
        }
    }
    for n in &row.never {
        if all.contains(n.as_str()) {
            problems.push(format!("the output shows {n:?}"));
        }
    }
    let after = (snapshot(&dirs.dir), snapshot(&dirs.outside));
    let mut diff = changed(&before.0, &after.0, &row.changes);
    diff.extend(
        changed(&before.1, &after.1, &[])
            .into_iter()
            .map(|d| format!("{{outside}}/{d}")),
    );
    if !diff.is_empty() {
        problems.push(format!("it changed the folders: {}", diff.join("; ")));
    }
    if let Some(b) = aws_before {
        let a = agent::aws_state();
        if a != b {
            problems.push(format!(
                "it changed moto's state: {}",
                first_difference(&b, &a)
            ));
        }
    }
    if problems.is_empty()
        && let Some(then) = &row.then
        && let Err(p) = catch_unwind(AssertUnwindSafe(|| then(&dirs, &out)))
    {
        problems.push(format!("its result is wrong: {}", panic_text(&p)));
    }
    let failure = (!problems.is_empty()).then(|| {
        format!(
            "{}\n    ----- stdout -----\n{}\n    ----- stderr -----\n{}",
            problems.join("\n  "),
            out.stdout,
            out.stderr
        )
    });
    Verdict {
        crashed,
        failure,
        code: out.code,
    }
}

/// Where two texts first differ, with some context from each.
fn first_difference(before: &str, after: &str) -> String {
    let at = before
        .bytes()
        .zip(after.bytes())
        .position(|(x, y)| x != y)
        .unwrap_or(before.len().min(after.len()));
    let around = |t: &str| -> String {
        let (mut start, mut end) = (at.saturating_sub(80), (at + 160).min(t.len()));
        while !t.is_char_boundary(start) {
            start -= 1;
        }
        while !t.is_char_boundary(end) {
            end += 1;
        }
        t[start..end].to_string()
    };
    format!(
        "at byte {at}, before: …{}…, after: …{}…",
        around(before),
        around(after)
    )
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic".into())
}

/// Runs every row of `family`, records one counter each, and fails naming
/// every row that failed. `aws`: the caller holds moto, whose state each row
/// must leave as it was.
pub fn run(family: &str, rows: Vec<Row>, aws: bool) {
    let mut names = std::collections::BTreeSet::new();
    for r in &rows {
        assert!(
            names.insert(&r.name),
            "{family}: two rows are named {}",
            r.name
        );
    }
    if aws {
        warm_moto();
    }
    let mut failures = Vec::new();
    for r in &rows {
        let verdict =
            catch_unwind(AssertUnwindSafe(|| run_row(r, aws))).unwrap_or_else(|p| Verdict {
                crashed: false,
                failure: Some(format!("the row's test panicked: {}", panic_text(&p))),
                code: -1,
            });
        counters::record(
            "malformed_input",
            serde_json::json!({
                "family": family,
                "row": r.name,
                "code": verdict.code,
                "accepted": r.code == 0,
                "clear": verdict.failure.is_none(),
                "crashed": verdict.crashed,
            }),
        );
        if let Some(f) = verdict.failure {
            failures.push(format!(
                "row {family}/{} (runbook {:?}): {f}",
                r.name, r.args
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows of {family} failed:\n\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n\n")
    );
}

/// Right after a reset moto exports nothing; its first calls fill in static
/// tables (S3's grantees, IAM's) that no row must be blamed for. Call it
/// before taking a state to compare (`run` does, for `aws` tables).
pub fn warm_moto() {
    let warm = Test::new()
        .args(["eval", r#"sts::whoami(); iam::user("malformed-warm-up")"#])
        .run();
    assert_eq!(warm.code, 0, "warming moto up: {}", warm.all());
}

/// A FIFO at `path`.
pub fn mkfifo(path: &Path) {
    nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
}
