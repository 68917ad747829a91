//! The harness of the integration tests, one of each:
//!
//! - [`gate`]: skip or fail, for a test that needs moto or the Agent-host
//!   sandbox;
//! - [`moto`]: the moto client, and the one lock (and reset) of its state;
//! - [`agent`]: the Agent host's lock and reset, and what the end-to-end
//!   tests read of the host;
//! - [`engine`]: an in-process session, built the way `runbook` builds its own;
//! - [`runner`]: the real binary in a temp folder with a clean environment;
//! - [`archive`]: the stand-in add-on archives, and gzip both ways;
//! - [`faults`]: a fault-injecting HTTP proxy between runbook and moto;
//! - [`net`]: openssl, stunnel4 and tinyproxy on loopback for the proxy and
//!   TLS tests;
//! - [`leak`]: the leak scan every runner and engine output goes through;
//! - [`counters`]: the tests' own counters, for docs/reliability.md;
//! - [`child`]: this test binary run again, for what must not change the
//!   process the tests share;
//! - `assert_contains!` and `assert_not_contains!` ([`assert`]): on failure
//!   they print the needle and the whole text;
//! - [`normalize`]: what changes from run to run, masked for snapshots.
//!
//! Tests run as parallel threads of one process. What they share has one
//! lock each, always taken in the same order: the Agent host, then moto.

#[macro_use]
pub mod assert;

pub mod agent;
pub mod archive;
pub mod child;
pub mod counters;
pub mod engine;
pub mod faults;
pub mod gate;
pub mod imds;
pub mod leak;
pub mod moto;
pub mod net;
pub mod runner;

pub use runner::{Output, Test};

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;

/// Removes what changes from run to run: durations and the temp folder.
pub fn normalize(text: &str, dir: &Path) -> String {
    let mut out = text.replace(&dir.display().to_string(), "[TMP]");
    for unit in ["ms", "s"] {
        out = replace_numbers_before(&out, unit);
    }
    out
}

/// `(12ms)` -> `(Nms)`, `in 3ms` -> `in Nms`, without pulling in a regex crate.
fn replace_numbers_before(text: &str, unit: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_alphanumeric()) {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let rest: String = chars[i..].iter().take(unit.len() + 1).collect();
            let follows = rest.starts_with(unit)
                && !rest[unit.len()..].starts_with(|c: char| c.is_alphanumeric());
            if follows {
                out.push('N');
            } else {
                out.extend(&chars[start..i]);
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// One raw HTTP request to `addr`; the whole response, or why not.
pub fn try_http(addr: &str, request: &str) -> std::io::Result<String> {
    let mut s = TcpStream::connect(addr)?;
    s.write_all(request.as_bytes())?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

/// One raw HTTP request to `addr`; the whole response.
pub fn http(addr: &str, request: &str) -> String {
    try_http(addr, request).unwrap_or_else(|e| panic!("cannot reach {addr}: {e}"))
}
