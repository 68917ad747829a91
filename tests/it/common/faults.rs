//! A fault-injecting HTTP proxy on loopback, between runbook and moto: point
//! `AWS_ENDPOINT_URL` at [`FaultProxy::url`]. Every request is forwarded to
//! moto unless a rule matches it; a rule names an AWS action (`CreateAccessKey`,
//! from the query body or `X-Amz-Target`; `None` for any) and which call of it
//! (the Nth, 1-based; `None` for every one), and what to do instead:
//!
//! - answer with a status (500, 503), or a `Throttling` error body;
//! - reset the connection before forwarding (moto never sees the call), or
//!   after forwarding (moto acted, the answer is lost);
//! - wait before answering (beyond the read timeout);
//! - send a truncated body.
//!
//! [`FaultProxy::calls`] counts the requests per action as runbook made
//! them, so a test can tell how often a call was tried.

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

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    calls: HashMap<String, usize>,
    seen: Vec<(String, Fault)>,
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
        self.state.lock().unwrap().seen.clone()
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

fn decide(st: &Mutex<State>, action: &str) -> Fault {
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
    s.seen.push((action.to_string(), fault.clone()));
    fault
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

fn canned(status: u16, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} Injected\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

const THROTTLING: &str = "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>\
    <Message>Rate exceeded</Message></Error><RequestId>fault</RequestId></ErrorResponse>";

/// One request per connection: every answer carries `Connection: close`.
fn serve(conn: TcpStream, backend: &str, st: &Mutex<State>) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let Some(req) = read_request(&mut reader) else {
        return;
    };
    let mut conn = conn;
    let answer = match decide(st, &action_of(&req)) {
        Fault::Pass => forward(&req, backend).ok(),
        Fault::Status(s) => Some(canned(
            s,
            "<ErrorResponse><Error><Code>InternalFailure</Code></Error></ErrorResponse>",
        )),
        Fault::Throttling => Some(canned(400, THROTTLING)),
        Fault::ResetBefore => return reset(conn),
        Fault::ResetAfter => {
            let _ = forward(&req, backend);
            return reset(conn);
        }
        Fault::Delay(d) => {
            std::thread::sleep(d);
            forward(&req, backend).ok()
        }
        Fault::Truncate => {
            let full = forward(&req, backend).unwrap_or_default();
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
