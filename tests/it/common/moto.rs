//! The moto server (`scripts/moto.sh`, at `AWS_ENDPOINT_URL`): one for the
//! whole test binary, so its state has one lock. A test that resets, reads
//! or changes moto's state holds a [`Moto`], which takes the lock and resets
//! moto; the raw HTTP helpers here refuse to run without one. (A test of the
//! Agent host takes that host's lock first: see `agent::host_with_moto`.)

use std::cell::Cell;
use std::marker::PhantomData;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::gate::{self, Service};
use super::{http, try_http};

static LOCK: Mutex<()> = Mutex::new(());

thread_local! {
    /// Whether this thread holds [`LOCK`], for the helpers to check.
    static HELD: Cell<bool> = const { Cell::new(false) };
}

/// Exclusive use of moto, reset when taken.
pub struct Moto {
    _lock: MutexGuard<'static, ()>,
}

impl Moto {
    /// Exclusive use of a freshly reset moto (authorisation off), or `None`
    /// when the test is skipped knowingly (see [`gate::require`]).
    pub fn fresh() -> Option<Moto> {
        gate::require(Service::Moto).then(Moto::take)
    }

    /// The lock and the reset, for a caller that has passed the gate.
    pub(super) fn take() -> Moto {
        // A test that panicked while holding the lock poisons it; the reset
        // below is what the next test needs, not a healthy predecessor.
        let lock = LOCK.lock().unwrap_or_else(PoisonError::into_inner);
        HELD.set(true);
        let moto = Moto { _lock: lock };
        post("/moto-api/reset-auth", "inf");
        post("/moto-api/reset", "");
        moto
    }

    /// IAM enforcement and signature checks on until the value is dropped
    /// (also when the test panics).
    pub fn enforced(&self) -> Enforced<'_> {
        post("/moto-api/reset-auth", "0");
        Enforced(PhantomData)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        HELD.set(false);
    }
}

pub struct Enforced<'a>(PhantomData<&'a Moto>);

impl Drop for Enforced<'_> {
    fn drop(&mut self) {
        // Never a panic here: one while unwinding would abort the whole binary.
        let _ = try_http(&host(), &raw("POST", "/moto-api/reset-auth", &[], "inf"));
    }
}

/// Whether this thread (test) holds moto.
pub fn held() -> bool {
    HELD.get()
}

fn assert_held() {
    assert!(
        HELD.get(),
        "moto is shared by every test of this binary: hold a Moto (Moto::fresh, agent::host_with_moto) to use it"
    );
}

fn host() -> String {
    let url = std::env::var("AWS_ENDPOINT_URL")
        .expect("AWS_ENDPOINT_URL (moto) must be set: run scripts/test.sh");
    url.trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string()
}

/// The text of a request to moto (a `Content-Type` in `headers` replaces text/plain).
fn raw(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", host());
    if !headers.iter().any(|(k, _)| *k == "Content-Type") {
        head.push_str("Content-Type: text/plain\r\n");
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    format!(
        "{head}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// One request to moto with extra headers: the status code and the body.
pub fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let out = http(&host(), &raw(method, path, headers, body));
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("moto {method} {path}: not an HTTP response: {out}"));
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// A POST to moto's control API, which must answer 200.
pub fn post(path: &str, body: &str) {
    assert_held();
    let (status, text) = request("POST", path, &[], body);
    assert_eq!(status, 200, "moto POST {path}: {text}");
}

/// moto's whole state, or `None` when moto cannot export it: its export walks
/// every model, and some IAM models still point at a user deleted a moment
/// ago (seen after `DeleteUser`: NoSuchEntity inside `/moto-api/data.json`).
pub fn try_state() -> Option<serde_json::Value> {
    assert_held();
    let (status, text) = request("GET", "/moto-api/data.json", &[], "");
    (status == 200).then(|| serde_json::from_str(&text).expect("moto state is JSON"))
}

/// moto's whole state (`/moto-api/data.json`).
pub fn state() -> serde_json::Value {
    assert_held();
    let (status, text) = request("GET", "/moto-api/data.json", &[], "");
    assert_eq!(status, 200, "moto state: {text}");
    serde_json::from_str(&text).expect("moto state is JSON")
}

/// A call to moto's AWS API as the admin (moto routes by the credential scope
/// and does not verify signatures): for changes runbook has no function for.
pub fn aws(service: &str, headers: &[(&str, &str)], body: &str) -> String {
    assert_held();
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"
    );
    let mut all = vec![("Authorization", auth.as_str())];
    all.extend_from_slice(headers);
    request("POST", "/", &all, body).1
}

pub fn create_secret(name: &str, value: &str) {
    super::leak::secret(value);
    let out = aws(
        "secretsmanager",
        &[
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", "secretsmanager.CreateSecret"),
        ],
        &serde_json::json!({"Name": name, "SecretString": value}).to_string(),
    );
    assert_contains!(out, "\"ARN\"");
}
