//! A small builder that runs the real `runbook` binary in a temp folder with a
//! clean environment, in the spirit of casey/just's test harness.
#![allow(dead_code)]

pub mod agent;
pub mod child;
pub mod engine;
pub mod gate;
pub mod moto;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct Test {
    pub dir: tempfile::TempDir,
    args: Vec<String>,
    env: BTreeMap<String, String>,
    stdin: Option<String>,
}

#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// Keeps the test folder alive as long as the output is looked at.
    pub dir: tempfile::TempDir,
}

impl Output {
    /// Both streams, for "never appears anywhere" checks.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_runbook")
}

impl Test {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut env = BTreeMap::new();
        env.insert("NO_COLOR".into(), "1".into());
        env.insert(
            "RUNBOOK_LOCK_FILE".into(),
            dir.path().join("runbook.lock").display().to_string(),
        );
        Test {
            dir,
            args: Vec::new(),
            env,
            stdin: None,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn arg(mut self, a: impl Into<String>) -> Self {
        self.args.push(a.into());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.env.insert(k.into(), v.into());
        self
    }

    pub fn stdin(mut self, s: &str) -> Self {
        self.stdin = Some(s.into());
        self
    }

    /// Writes a file in the test folder and returns its path.
    pub fn file(&self, name: &str, content: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, content).unwrap();
        p
    }

    pub fn command(&self) -> Command {
        let mut cmd = Command::new(bin());
        cmd.args(&self.args).current_dir(self.dir.path());
        // Nothing from the developer's shell leaks in: only what the test sets.
        for (k, _) in std::env::vars() {
            if k.starts_with("RUNBOOK_") || k == "NO_COLOR" {
                cmd.env_remove(&k);
            }
        }
        cmd.envs(&self.env);
        cmd
    }

    pub fn run(self) -> Output {
        let mut cmd = self.command();
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn runbook");
        {
            let mut stdin = child.stdin.take().unwrap();
            if let Some(s) = &self.stdin {
                stdin.write_all(s.as_bytes()).unwrap();
            }
        }
        let out = child.wait_with_output().unwrap();
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            dir: self.dir,
        }
    }
}

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
