//! Child processes: argument vectors (no shell), a timeout, captured and
//! redacted output, and an environment without the session's secrets.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use zeroize::Zeroizing;

use super::{Ctx, ErrorKind, HostError, HostResult, Mode, Outcome, format_duration};

/// Variables a child never inherits (it gets them only when a call passes them).
const SCRUBBED: [&str; 2] = ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"];
const SCRUBBED_PREFIX: &str = "RUNBOOK_";
/// How much of stderr a failure shows.
const TAIL_LINES: usize = 20;
const POLL: Duration = Duration::from_millis(20);

#[derive(Default)]
pub struct RunOpts {
    pub timeout: Option<Duration>,
    /// Set explicitly for the child (also re-allows a scrubbed name).
    pub env: Vec<(String, String)>,
    pub cwd: Option<String>,
    /// Fed to the child's stdin, then closed; zeroized after use.
    pub stdin: Option<Zeroizing<Vec<u8>>>,
    /// A non-zero exit is an error (the default).
    pub check: bool,
    /// Safe to run in check mode: the command changes nothing.
    pub read_only: bool,
}

impl RunOpts {
    pub fn new() -> Self {
        RunOpts {
            check: true,
            ..Default::default()
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOutput {
    /// Exit code; `None` when killed by a signal or skipped.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// Not run, because check mode and not `read_only`.
    pub skipped: bool,
    /// The call was marked `read_only`: it changes nothing.
    pub read_only: bool,
}

impl RunOutput {
    /// What running the command counts as: nothing for a read-only command
    /// (it changes nothing, so no event), `skipped` when check mode did not
    /// run it, else a change (a command's side effects are not known).
    pub fn outcome(&self, mode: Mode) -> Option<Outcome> {
        if self.skipped {
            return Some(Outcome::skipped("check mode"));
        }
        if self.read_only {
            return None;
        }
        let summary = match self.code {
            Some(c) => format!("exit code {c}"),
            None => "killed by a signal".to_string(),
        };
        Some(Outcome::change(mode, summary))
    }

    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// The most telling text of a finished command: stderr, else stdout.
    pub fn text(&self) -> String {
        let t = self.stderr.trim();
        if t.is_empty() { self.stdout.trim() } else { t }.to_string()
    }
}

/// The command line as shown in messages (arguments are never secrets).
pub fn display(cmd: &str, args: &[String]) -> String {
    let quote = |s: &str| {
        if !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+%".contains(c))
        {
            s.to_string()
        } else {
            format!("'{}'", s.replace('\'', r"'\''"))
        }
    };
    std::iter::once(cmd)
        .chain(args.iter().map(String::as_str))
        .map(quote)
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_executable(p: &Path) -> bool {
    p.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// The full path of `cmd` on PATH, or `None`. A name with a `/` is checked as is.
pub fn which(cmd: &str) -> Option<PathBuf> {
    if cmd.is_empty() {
        return None;
    }
    if cmd.contains('/') {
        let p = PathBuf::from(cmd);
        return is_executable(&p).then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(cmd))
        .find(|p| is_executable(p))
}

fn resolve(cmd: &str) -> HostResult<PathBuf> {
    which(cmd).ok_or_else(|| {
        let path = std::env::var("PATH").unwrap_or_default();
        let msg = if cmd.contains('/') {
            format!("command '{cmd}' does not exist or is not executable")
        } else {
            format!("command '{cmd}' was not found on PATH ({path})")
        };
        HostError::not_found(msg).with_hint("install it, or give its absolute path")
    })
}

fn reader<R: Read + Send + 'static>(r: Option<R>) -> Option<JoinHandle<Vec<u8>>> {
    r.map(|mut r| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    })
}

fn collect(h: Option<JoinHandle<Vec<u8>>>) -> Vec<u8> {
    h.and_then(|h| h.join().ok()).unwrap_or_default()
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The child gets SIGKILL when runbook dies, even by `kill -9`: being in a
/// process group of its own, it would otherwise outlive the run. (The signal
/// follows the spawning thread; children are started by the script's thread,
/// which lives as long as the run.)
fn die_with_parent(c: &mut Command) {
    let parent = nix::unistd::getpid();
    // SAFETY: between fork and exec only async-signal-safe calls are made
    // (prctl, getppid, and building an io::Error from an errno).
    unsafe {
        c.pre_exec(move || {
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)?;
            // runbook died before the prctl: nothing would send the signal.
            if nix::unistd::getppid() != parent {
                return Err(std::io::Error::from_raw_os_error(nix::libc::ESRCH));
            }
            Ok(())
        });
    }
}

/// Runs `cmd` with `args`. In check mode only a `read_only` call runs; any
/// other returns a skipped result without starting anything.
pub fn run(ctx: &Ctx, cmd: &str, args: &[String], opts: RunOpts) -> HostResult<RunOutput> {
    let exe = resolve(cmd)?;
    if ctx.mode.is_check() && !opts.read_only {
        return Ok(RunOutput {
            code: None,
            stdout: String::new(),
            stderr: String::new(),
            skipped: true,
            read_only: false,
        });
    }
    let read_only = opts.read_only;
    let shown = display(cmd, args);
    let mut c = Command::new(&exe);
    c.args(args)
        .stdin(if opts.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Own process group, so a timeout also stops what the child started.
        .process_group(0);
    for (k, _) in std::env::vars_os() {
        let name = k.to_string_lossy();
        if name.starts_with(SCRUBBED_PREFIX) || SCRUBBED.contains(&name.as_ref()) {
            c.env_remove(&k);
        }
    }
    c.envs(opts.env.iter().map(|(k, v)| (k, v)));
    if let Some(d) = &opts.cwd {
        c.current_dir(super::fs::absolute(d)?);
    }
    die_with_parent(&mut c);
    let mut child = c
        .spawn()
        .map_err(|e| HostError::io(&format!("cannot start {shown}:"), &exe, e))?;
    let pid = Pid::from_raw(child.id() as i32);
    let writer = match (child.stdin.take(), opts.stdin) {
        (Some(mut w), Some(data)) => Some(std::thread::spawn(move || {
            // A child that exits without reading gives EPIPE; its exit code tells the story.
            let _ = w.write_all(&data);
        })),
        _ => None,
    };
    let out = reader(child.stdout.take());
    let err = reader(child.stderr.take());
    let started = Instant::now();
    let stop = |child: &mut std::process::Child| {
        let _ = killpg(pid, Signal::SIGKILL);
        let _ = child.kill();
        let _ = child.wait();
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) => {}
            Err(e) => {
                stop(&mut child);
                return Err(HostError::failed(format!("cannot wait for {shown}: {e}")));
            }
        }
        if ctx.cancel.is_cancelled() {
            stop(&mut child);
            return Err(HostError::new(ErrorKind::Cancelled, "interrupted"));
        }
        if let Some(t) = opts.timeout
            && started.elapsed() >= t
        {
            stop(&mut child);
            return Err(HostError::new(
                ErrorKind::Timeout,
                format!(
                    "{shown} did not finish within {} and was killed",
                    format_duration(t)
                ),
            )
            .with_hint("raise the timeout option if the command is just slow"));
        }
        std::thread::sleep(POLL);
    };
    // The child is gone; stray grandchildren holding the pipes would block the readers.
    let _ = killpg(pid, Signal::SIGKILL);
    if let Some(w) = writer {
        let _ = w.join();
    }
    let stdout = ctx.redactor.redact(&String::from_utf8_lossy(&collect(out)));
    let stderr = ctx.redactor.redact(&String::from_utf8_lossy(&collect(err)));
    let code = status.code();
    if opts.check && code != Some(0) {
        let how = match (code, status.signal()) {
            (Some(c), _) => format!("exited with code {c}"),
            (None, Some(s)) => format!("was killed by signal {s}"),
            (None, None) => "failed".to_string(),
        };
        let mut msg = format!("{shown} {how}");
        let t = tail(&stderr, TAIL_LINES);
        if !t.trim().is_empty() {
            msg.push_str(&format!("; last lines of stderr:\n{t}"));
        }
        return Err(HostError::failed(msg)
            .with_hint("pass check: false to handle the exit code in the script"));
    }
    Ok(RunOutput {
        code,
        stdout,
        stderr,
        skipped: false,
        read_only,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_commands_with_quotes_where_needed() {
        assert_eq!(
            display("kratos", &["addons".into(), "install".into(), "a b".into()]),
            "kratos addons install 'a b'"
        );
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("", 2), "");
    }
}
