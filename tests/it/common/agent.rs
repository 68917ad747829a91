//! The Agent host: the sandbox the end-to-end tests run in (systemd as PID
//! 1, the machine's Docker daemon, the `kratos` and `hydra` stand-ins), its
//! lock, and what the tests read of it.
//!
//! The Agent's containers have fixed names (`auth`) on the one daemon, and
//! `/etc/hydra` and the `hydra` unit are one per host: a test that uses any
//! of them holds a [`Host`]. A test that also needs moto takes both with
//! [`host_with_moto`], always in this order (the host, then moto), so two
//! tests never wait for each other.

use std::path::Path;
use std::process::Command;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::gate::{self, Service};
use super::moto::{self, Moto};

pub use super::archive::{NEW, OLD, addon, addon_arg};
pub use super::runner::{Output, Test, bin};

pub const CRED_DIR: &str = "/etc/hydra/auth/.aws";
pub const CRED_FILE: &str = "/etc/hydra/auth/.aws/credentials";
/// The IAM user the tests give the playbooks.
pub const USER: &str = "agent-e2e";
pub const NOBODY: u32 = 65534;

static LOCK: Mutex<()> = Mutex::new(());

/// Exclusive use of the Agent host.
pub struct Host {
    _lock: MutexGuard<'static, ()>,
}

/// Exclusive use of the Agent host, reset: no add-on container, no
/// credentials folder, `hydra` active. `None` when the test is skipped
/// knowingly (see `gate::require`).
pub fn host() -> Option<Host> {
    gate::require(Service::Sandbox).then(take)
}

/// The Agent host and a freshly reset moto, for the playbooks' end-to-end
/// tests: `None` when the test is skipped knowingly.
pub fn host_with_moto() -> Option<(Host, Moto)> {
    if !gate::require(Service::Sandbox | Service::Moto) {
        return None;
    }
    let host = take();
    Some((host, Moto::take()))
}

fn take() -> Host {
    // A test that panicked while holding the lock poisons it; the reset
    // below is what the next test needs, not a healthy predecessor.
    let lock = LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    let _ = Command::new("docker").args(["rm", "-f", "auth"]).output();
    let _ = std::fs::remove_dir_all(CRED_DIR);
    // A test that failed half-way may have left the Agent stopped.
    sh("systemctl", &["start", "hydra"]);
    Host { _lock: lock }
}

/// The value without its empty tables, lists and nulls.
fn prune(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, prune(v)))
                .filter(|(_, v)| {
                    !(v.is_null()
                        || v.as_array().is_some_and(Vec::is_empty)
                        || v.as_object().is_some_and(serde_json::Map::is_empty))
                })
                .collect(),
        ),
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(prune).collect())
        }
        other => other,
    }
}

/// Everything a run could change: AWS (moto's whole state), containers, the
/// credentials folder's content, modes and owners.
pub fn world() -> (String, String, String) {
    let aws = aws_state();
    let containers = sh(
        "docker",
        &[
            "ps",
            "-a",
            "--format",
            "{{.Names}} {{.Image}} {{.State}} {{.ID}}",
        ],
    );
    let files = sh(
        "sh",
        &[
            "-c",
            &format!(
                "ls -lan --time-style=full-iso {CRED_DIR} {CRED_DIR}/.. 2>&1; cat {CRED_FILE} 2>&1; true"
            ),
        ],
    );
    (aws, containers, files)
}

/// moto's whole state, without what a read adds: the account summary moto
/// records on every read of the account, and a service's empty tables, which
/// it creates on its first call. Needs a held [`Moto`].
pub fn aws_state() -> String {
    let mut aws = moto::state();
    aws["iam"]["AccountSummary"] = serde_json::Value::Null;
    prune(aws).to_string()
}

/// A command that must succeed; its stdout.
pub fn sh(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The real binary with these arguments (the rest as `runner::Test` has it).
pub fn runbook(args: &[&str]) -> Test {
    Test::new().args(args)
}

/// `runbook eval` as the admin identity, for setting up and reading AWS state.
pub fn eval(code: &str) -> String {
    let r = runbook(&["eval", code]).run();
    assert_eq!(r.code, 0, "eval {code}: {}", r.all());
    r.stdout.trim().to_string()
}

/// The recap of a `--output json` run, after checking every line is JSON.
pub fn recap(run: &Output) -> serde_json::Value {
    for line in run.stdout.lines() {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("not JSON: {line}: {e}"));
    }
    let last = run.stdout.lines().last().expect("output");
    let v: serde_json::Value = serde_json::from_str(last).expect("JSON line");
    assert_eq!(v["event"], "recap", "{last}");
    v
}

/// The `key = value` pairs of `[profile]` in INI text.
pub fn profile_of(text: &str, profile: &str) -> Vec<(String, String)> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            inside = t == format!("[{profile}]");
        } else if inside && let Some((k, v)) = t.split_once('=') {
            out.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

/// `(id, secret)` under `[alation_auth]` of an INI file.
pub fn key_in(path: &Path) -> (String, String) {
    let text = std::fs::read_to_string(path).unwrap();
    let kv = profile_of(&text, "alation_auth");
    let get = |k: &str| kv.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let secret =
        get("aws_secret_access_key").unwrap_or_else(|| panic!("no secret in {}", path.display()));
    super::leak::secret(&secret);
    (
        get("aws_access_key_id").unwrap_or_else(|| panic!("no key id in {text}")),
        secret,
    )
}

/// What the add-on itself can read of the credentials file (the stand-in
/// serves the profile names it can read, or 403 when it cannot).
pub fn addon_sees() -> String {
    super::http(
        "127.0.0.1:11001",
        "GET /cgi-bin/profiles HTTP/1.0\r\nHost: localhost\r\n\r\n",
    )
}

pub fn alationdocker_gid() -> u32 {
    sh("getent", &["group", "alationdocker"])
        .split(':')
        .nth(2)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}
