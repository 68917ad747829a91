//! A fault-injecting HTTP proxy on loopback, between runbook and moto: point
//! `AWS_ENDPOINT_URL` at [`FaultProxy::url`]. Every request is forwarded to
//! moto unless a rule matches it; a rule names an AWS action (`CreateAccessKey`,
//! from the query body or `X-Amz-Target`; `None` for any) and which call of it
//! (the Nth, 1-based; `None` for every one), and what to do instead:
//!
//! - answer with a status (500, 503), or a throttling error, in the error
//!   shape of the call's protocol: XML `<ErrorResponse>` for the query
//!   services (IAM, STS), a JSON body with `__type` and the
//!   `x-amzn-ErrorType` header for the JSON services (`X-Amz-Target`:
//!   Secrets Manager);
//! - reset the connection before forwarding (moto never sees the call), or
//!   after forwarding (moto acted, the answer is lost);
//! - forward, then wait before answering (beyond the read timeout: moto
//!   acted, the answer comes too late);
//! - send a truncated body.
//!
//! [`FaultProxy::calls`] counts the requests per action as runbook made
//! them, so a test can tell how often a call was tried. A hook
//! ([`FaultProxy::hook`]) runs the test's code when a call passes, before or
//! after moto saw it (a concurrent change). [`FaultProxy::tag`] labels the
//! calls that arrive from then on (the step a run is in), and
//! [`FaultProxy::pace`] holds each call that long before it is labelled, so
//! a label set by a thread reading the run's output is in place by then.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    Pass,
    Status(u16),
    Throttling,
    ResetBefore,
    ResetAfter,
    Delay(Duration),
    Truncate,
}

#[derive(Clone, Debug)]
struct Rule {
    action: Option<String>,
    nth: Option<usize>,
    fault: Fault,
}

/// Test code run when the `nth` call of `action` passes: before it is
/// forwarded to moto, or after moto answered (and before the answer is
/// sent on). It gets the request's body.
type HookFn = Arc<dyn Fn(&str) + Send + Sync>;

struct Hook {
    action: String,
    nth: usize,
    after: bool,
    f: HookFn,
}

/// One request as the proxy saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub action: String,
    /// Which call of `action` it was (1-based).
    pub nth: usize,
    pub fault: Fault,
    /// The label in place when it arrived ([`FaultProxy::tag`]).
    pub tag: String,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    hooks: Vec<Hook>,
    calls: HashMap<String, usize>,
    seen: Vec<Seen>,
    tag: String,
    pace: Duration,
}

pub struct FaultProxy {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl FaultProxy {
    /// A proxy in front of `backend` (`host:port`, moto), passing everything.
    pub fn start(backend: &str) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fault proxy");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let (st, backend) = (state.clone(), backend.to_string());
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (st, backend) = (st.clone(), backend.clone());
                std::thread::spawn(move || serve(conn, &backend, &st));
            }
        });
        FaultProxy { port, state }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Apply `fault` to the `nth` call (1-based; `None`: every call) of
    /// `action` (`None`: any action). Earlier rules win.
    pub fn on(&self, action: Option<&str>, nth: Option<usize>, fault: Fault) -> &Self {
        self.state.lock().unwrap().rules.push(Rule {
            action: action.map(str::to_string),
            nth,
            fault,
        });
        self
    }

    /// How many requests of `action` arrived.
    pub fn calls(&self, action: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .calls
            .get(action)
            .copied()
            .unwrap_or(0)
    }

    /// Every request so far: its action and what was done with it.
    pub fn seen(&self) -> Vec<(String, Fault)> {
        self.log()
            .into_iter()
            .map(|s| (s.action, s.fault))
            .collect()
    }

    /// Every request so far, with which call of its action it was and its label.
    pub fn log(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    /// Labels the requests that arrive from now on.
    pub fn tag(&self, tag: &str) {
        self.state.lock().unwrap().tag = tag.to_string();
    }

    /// Holds every request this long before labelling and deciding it.
    pub fn pace(&self, d: Duration) {
        self.state.lock().unwrap().pace = d;
    }

    /// Runs `f` with the request's body when the `nth` call (1-based) of
    /// `action` passes: before it is forwarded, or with `after`, once moto
    /// has answered it and before the answer is sent on.
    pub fn hook(
        &self,
        action: &str,
        nth: usize,
        after: bool,
        f: impl Fn(&str) + Send + Sync + 'static,
    ) -> &Self {
        self.state.lock().unwrap().hooks.push(Hook {
            action: action.to_string(),
            nth,
            after,
            f: Arc::new(f),
        });
        self
    }
}

struct Request {
    head: Vec<String>,
    body: Vec<u8>,
}

fn read_request(r: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end().to_string();
        if line.is_empty() {
            break;
        }
        head.push(line);
    }
    let len = head
        .iter()
        .find_map(|h| {
            let (k, v) = h.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(Request { head, body })
}

/// `CreateAccessKey` from `Action=…` (query protocols) or `X-Amz-Target: svc.Op` (JSON).
fn action_of(req: &Request) -> String {
    let body = String::from_utf8_lossy(&req.body);
    if let Some(a) = body.split('&').find_map(|kv| kv.strip_prefix("Action=")) {
        return a.to_string();
    }
    req.head
        .iter()
        .find_map(|h| {
            let (k, v) = h.split_once(':')?;
            k.eq_ignore_ascii_case("x-amz-target")
                .then(|| v.trim().rsplit('.').next().unwrap_or("").to_string())
        })
        .unwrap_or_else(|| "other".into())
}

/// What to do with this call of `action`, and the hooks it triggers
/// (before forwarding, after moto answered).
fn decide(st: &Mutex<State>, action: &str) -> (Fault, Vec<HookFn>, Vec<HookFn>) {
    let pace = st.lock().unwrap().pace;
    if !pace.is_zero() {
        std::thread::sleep(pace);
    }
    let mut s = st.lock().unwrap();
    let n = {
        let c = s.calls.entry(action.to_string()).or_insert(0);
        *c += 1;
        *c
    };
    let fault = s
        .rules
        .iter()
        .find(|r| r.action.as_deref().is_none_or(|a| a == action) && r.nth.is_none_or(|k| k == n))
        .map(|r| r.fault.clone())
        .unwrap_or(Fault::Pass);
    let hooks = |after: bool| -> Vec<HookFn> {
        s.hooks
            .iter()
            .filter(|h| h.action == action && h.nth == n && h.after == after)
            .map(|h| h.f.clone())
            .collect()
    };
    let (before, after) = (hooks(false), hooks(true));
    let tag = s.tag.clone();
    s.seen.push(Seen {
        action: action.to_string(),
        nth: n,
        fault: fault.clone(),
        tag,
    });
    (fault, before, after)
}

/// Closes with a TCP reset (SO_LINGER 0), as a middlebox that drops the connection.
fn reset(conn: TcpStream) {
    let linger = nix::libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket and a correctly sized option value.
    unsafe {
        nix::libc::setsockopt(
            conn.as_raw_fd(),
            nix::libc::SOL_SOCKET,
            nix::libc::SO_LINGER,
            (&linger as *const nix::libc::linger).cast(),
            std::mem::size_of::<nix::libc::linger>() as u32,
        );
    }
    drop(conn);
}

/// The request sent on to moto, on a connection of its own; moto's answer.
fn forward(req: &Request, backend: &str) -> std::io::Result<Vec<u8>> {
    let mut up = TcpStream::connect(backend)?;
    let mut text = String::new();
    for h in &req.head {
        if !h.to_ascii_lowercase().starts_with("connection:") {
            text.push_str(h);
            text.push_str("\r\n");
        }
    }
    text.push_str("Connection: close\r\n\r\n");
    up.write_all(text.as_bytes())?;
    up.write_all(&req.body)?;
    let mut out = Vec::new();
    up.read_to_end(&mut out)?;
    Ok(out)
}

/// The protocol of a call, which decides the shape of an error answer.
#[derive(Clone, Copy, PartialEq)]
enum Protocol {
    /// `Action=…` in a form body, errors as XML (IAM, STS).
    Query,
    /// `X-Amz-Target`, errors as JSON with `__type` (Secrets Manager).
    Json,
}

fn protocol_of(req: &Request) -> Protocol {
    let json = req.head.iter().any(|h| {
        h.split_once(':')
            .is_some_and(|(k, _)| k.eq_ignore_ascii_case("x-amz-target"))
    });
    if json {
        Protocol::Json
    } else {
        Protocol::Query
    }
}

/// An AWS error answer: `code` for the query protocol (`Throttling`,
/// `InternalFailure`), `json_type` for the JSON one (`ThrottlingException`).
fn error_answer(
    protocol: Protocol,
    status: u16,
    code: &str,
    json_type: &str,
    msg: &str,
) -> Vec<u8> {
    let (content_type, extra, body) = match protocol {
        Protocol::Query => {
            let kind = if status >= 500 { "Receiver" } else { "Sender" };
            (
                "text/xml",
                String::new(),
                format!(
                    "<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code>\
                     <Message>{msg}</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
                ),
            )
        }
        Protocol::Json => (
            "application/x-amz-json-1.1",
            format!("x-amzn-ErrorType: {json_type}\r\n"),
            serde_json::json!({"__type": json_type, "message": msg}).to_string(),
        ),
    };
    format!(
        "HTTP/1.1 {status} Injected\r\nContent-Type: {content_type}\r\n{extra}\
         x-amzn-RequestId: fault\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The answer for `Fault::Status(status)`: a server-side failure.
fn status_answer(protocol: Protocol, status: u16) -> Vec<u8> {
    let (code, json_type) = match status {
        503 => ("ServiceUnavailable", "ServiceUnavailableException"),
        _ => ("InternalFailure", "InternalFailure"),
    };
    error_answer(
        protocol,
        status,
        code,
        json_type,
        "injected by the fault proxy",
    )
}

/// One request per connection: every answer carries `Connection: close`.
fn serve(conn: TcpStream, backend: &str, st: &Mutex<State>) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let Some(req) = read_request(&mut reader) else {
        return;
    };
    let mut conn = conn;
    let protocol = protocol_of(&req);
    let (fault, before, after) = decide(st, &action_of(&req));
    let body = String::from_utf8_lossy(&req.body).into_owned();
    for h in &before {
        h(&body);
    }
    // Forwarded, then the hooks that follow moto's answer.
    let send_on = |req: &Request| {
        let out = forward(req, backend);
        for h in &after {
            h(&body);
        }
        out
    };
    let answer = match fault {
        Fault::Pass => send_on(&req).ok(),
        Fault::Status(s) => Some(status_answer(protocol, s)),
        Fault::Throttling => Some(error_answer(
            protocol,
            400,
            "Throttling",
            "ThrottlingException",
            "Rate exceeded",
        )),
        Fault::ResetBefore => return reset(conn),
        Fault::ResetAfter => {
            let _ = send_on(&req);
            return reset(conn);
        }
        Fault::Delay(d) => {
            let out = send_on(&req).ok();
            std::thread::sleep(d);
            out
        }
        Fault::Truncate => {
            let full = send_on(&req).unwrap_or_default();
            let split = full
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map_or(full.len(), |i| i + 4);
            let body_len = full.len() - split;
            let _ = conn.write_all(&full[..split + body_len / 2]);
            return reset(conn);
        }
    };
    match answer {
        Some(bytes) => {
            let _ = conn.write_all(&bytes);
        }
        None => reset(conn),
    }
}
