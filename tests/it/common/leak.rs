//! The leak scan, in every test that uses the common runner or engine: the
//! secrets a test creates or reads are recorded, and the test fails as soon
//! as one of them is found in what runbook printed (stdout, stderr, JSON
//! lines) or in a file left in the test's folder (REPL history included),
//! other than a destination the test named (`Test::destination`).
//!
//! Secrets come from moto (every access key's secret and every Secrets
//! Manager value it ever held, read from its state while this test holds
//! moto) and from the test itself ([`secret`], e.g. a secret parameter).
//! The check is incremental: each new output is checked against the secrets
//! known so far, and each new secret against every output seen so far, so
//! the order in which a test learns them does not matter and no end-of-test
//! hook is needed. State is per thread, that is per test.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Shorter values (`x`, `v1`) would match by chance.
const MIN_LEN: usize = 8;

#[derive(Default)]
struct Scan {
    secrets: BTreeSet<String>,
    /// (where, text) of every output seen.
    outputs: Vec<(String, String)>,
    scanned: usize,
    files: usize,
}

impl Drop for Scan {
    fn drop(&mut self) {
        if self.scanned == 0 && self.secrets.is_empty() {
            return;
        }
        let test = std::thread::current().name().unwrap_or("?").to_string();
        super::counters::record(
            "leak_scan",
            serde_json::json!({
                "test": test,
                "secrets": self.secrets.len(),
                "outputs": self.scanned,
                "files": self.files,
            }),
        );
    }
}

thread_local! {
    static SCAN: RefCell<Scan> = RefCell::new(Scan::default());
}

fn fail(secret: &str, place: &str) -> ! {
    let shown: String = secret.chars().take(4).collect();
    panic!(
        "leak scan: a secret ({shown}…, {} chars) appears in {place}",
        secret.len()
    );
}

/// Records a secret the test created or read; fails if an earlier output of
/// this test holds it.
pub fn secret(value: &str) {
    if value.len() < MIN_LEN {
        return;
    }
    let hit = SCAN.with_borrow_mut(|s| {
        if !s.secrets.insert(value.to_string()) {
            return None;
        }
        s.outputs
            .iter()
            .find(|(_, t)| t.contains(value))
            .map(|(w, _)| w.clone())
    });
    if let Some(place) = hit {
        fail(value, &place);
    }
}

/// Records every secret in moto's state, when this test holds moto.
fn from_moto() {
    if !super::moto::held() {
        return;
    }
    // When moto cannot export its state, the secrets learned from earlier
    // exports stay tracked; a secret made since then and printed at once
    // would be missed, which is why outputs are kept and rescanned later.
    let Some(state) = super::moto::try_state() else {
        return;
    };
    let mut found = Vec::new();
    collect(&state, false, &mut found);
    for s in found {
        secret(&s);
    }
}

/// The strings under `secret_access_key`, `secret_string` and the like; a
/// JSON secret's values too.
fn collect(v: &serde_json::Value, under_secret: bool, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let k = k.to_ascii_lowercase();
                let is_secret =
                    k.contains("secret_access_key") || k == "secret_string" || k == "password";
                collect(v, under_secret || is_secret, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|i| collect(i, under_secret, out)),
        serde_json::Value::String(s) if under_secret => {
            out.push(s.clone());
            if let Ok(inner @ serde_json::Value::Object(_)) = serde_json::from_str(s) {
                collect(&inner, true, out);
            }
        }
        _ => {}
    }
}

/// Checks an output against the secrets known so far (moto's included) and
/// keeps it for the secrets learned later.
pub fn output(place: &str, text: &str) {
    from_moto();
    let hit = SCAN.with_borrow_mut(|s| {
        s.scanned += 1;
        s.outputs.push((place.to_string(), text.to_string()));
        s.secrets
            .iter()
            .find(|x| text.contains(x.as_str()))
            .cloned()
    });
    if let Some(secret) = hit {
        fail(&secret, place);
    }
}

/// Scans every regular file under `dir` except `allowed`, as outputs.
pub fn folder(dir: &Path, allowed: &[(PathBuf, Option<Vec<u8>>)]) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let Ok(meta) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            if meta.is_dir() {
                stack.push(p);
            } else if meta.is_file() {
                // Only what the test could read: a file as another user's may not be.
                let Ok(bytes) = std::fs::read(&p) else {
                    continue;
                };
                let spared = allowed
                    .iter()
                    .any(|(a, c)| a == &p && c.as_ref().is_none_or(|c| c == &bytes));
                if !spared {
                    SCAN.with_borrow_mut(|s| s.files += 1);
                    output(
                        &format!("the file {}", p.display()),
                        &String::from_utf8_lossy(&bytes),
                    );
                }
            }
        }
    }
}

/// Scans a test folder when dropped (after a run, or when a test that spawned
/// the binary by hand lets its `Test` go): what the run left behind.
pub struct FolderScan {
    pub dir: PathBuf,
    /// Left out: a destination (any content), or an input the test wrote
    /// (as long as it still holds what the test wrote).
    pub allowed: RefCell<Vec<(PathBuf, Option<Vec<u8>>)>>,
}

impl Drop for FolderScan {
    fn drop(&mut self) {
        // A panic while unwinding would abort the whole test binary.
        if !std::thread::panicking() {
            folder(&self.dir, &self.allowed.borrow());
        }
    }
}

/// Records the values a run is given for its secret-typed parameters
/// (`type = "secret"` in the script's `//! [params.NAME]` header): by
/// `--set NAME=VALUE`, `--set NAME=@FILE` or `RUNBOOK_<NAME>`.
pub fn secret_params(args: &[String], env: &[(String, String)], dir: &Path) {
    let Some(i) = args.iter().position(|a| a == "run") else {
        return;
    };
    let Some(script) = args.get(i + 1) else {
        return;
    };
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("playbooks")
        .join(format!("{script}.rhai"));
    // Only a regular file: a FIFO given as the script would block this read.
    let read = |p: &Path| match std::fs::metadata(p) {
        Ok(m) if m.is_file() => std::fs::read_to_string(p),
        _ => Err(std::io::ErrorKind::InvalidInput.into()),
    };
    let Ok(src) = read(&dir.join(script)).or_else(|_| read(&bundled)) else {
        return;
    };
    let mut current = None;
    let mut secret_names = Vec::new();
    for line in src
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .map(str::trim)
    {
        if let Some(name) = line
            .strip_prefix("[params.")
            .and_then(|l| l.strip_suffix(']'))
        {
            current = Some(name.to_string());
        } else if line.starts_with('[') {
            current = None;
        } else if line.replace(' ', "") == "type=\"secret\""
            && let Some(n) = &current
        {
            secret_names.push(n.clone());
        }
    }
    for name in secret_names {
        for pair in args.windows(2).filter(|w| w[0] == "--set") {
            if let Some(v) = pair[1].strip_prefix(&format!("{name}=")) {
                match v.strip_prefix('@') {
                    Some(f) => {
                        if let Ok(text) = std::fs::read_to_string(dir.join(f)) {
                            secret(text.trim_end_matches('\n'));
                        }
                    }
                    None => secret(v),
                }
            }
        }
        let var = format!("RUNBOOK_{}", name.to_ascii_uppercase());
        for (_, v) in env.iter().filter(|(k, _)| *k == var) {
            secret(v);
        }
    }
}
