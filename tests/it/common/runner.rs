//! The real `runbook` binary, in the spirit of casey/just's test harness: a
//! temp folder as the working directory, a lock file of its own, and a clean
//! environment. Nothing `RUNBOOK_*` (nor `NO_COLOR`) leaks in from the
//! developer's shell or the CI job: a child sees only what the test sets.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_runbook")
}

pub struct Test {
    /// Before `dir`: fields drop in order, and the scan needs the folder.
    scan: super::leak::FolderScan,
    pub dir: tempfile::TempDir,
    args: Vec<OsString>,
    env: BTreeMap<OsString, OsString>,
    removed: Vec<OsString>,
    stdin: Option<String>,
    user: Option<u32>,
}

#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// Killed by [`Test::run_within`]'s limit.
    pub timed_out: bool,
    /// Keeps the test folder alive as long as the output is looked at.
    _dir: tempfile::TempDir,
}

impl Output {
    /// Both streams, for "never appears anywhere" checks.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl Default for Test {
    fn default() -> Self {
        Self::new()
    }
}

impl Test {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut env = BTreeMap::new();
        env.insert("NO_COLOR".into(), "1".into());
        env.insert(
            "RUNBOOK_LOCK_FILE".into(),
            dir.path().join("runbook.lock").into(),
        );
        Test {
            scan: super::leak::FolderScan {
                dir: dir.path().to_path_buf(),
                allowed: Default::default(),
            },
            dir,
            args: Vec::new(),
            env,
            removed: Vec::new(),
            stdin: None,
            user: None,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn arg(mut self, a: impl AsRef<OsStr>) -> Self {
        self.args.push(a.as_ref().into());
        self.note_destination(a.as_ref())
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Self {
        for a in args {
            self = self.arg(a);
        }
        self
    }

    /// `--set handover_file=PATH` names the file a playbook is meant to write
    /// the new key into: the leak scan allows it, as [`Test::destination`].
    fn note_destination(self, a: &OsStr) -> Self {
        match a.to_str().and_then(|a| a.strip_prefix("handover_file=")) {
            Some(path) => {
                let path = path.to_string();
                self.destination(path)
            }
            None => self,
        }
    }

    pub fn env(mut self, k: &str, v: impl AsRef<OsStr>) -> Self {
        self.removed.retain(|r| r != k);
        self.env.insert(k.into(), v.as_ref().into());
        self
    }

    /// Removes a variable the child would otherwise inherit.
    pub fn env_remove(mut self, k: &str) -> Self {
        self.env.remove(OsStr::new(k));
        self.removed.push(k.into());
        self
    }

    /// A file of the test folder that is meant to hold a secret (the run's
    /// destination): the leak scan leaves it out.
    pub fn destination(self, path: impl AsRef<Path>) -> Self {
        self.scan
            .allowed
            .borrow_mut()
            .push((path.as_ref().to_path_buf(), None));
        self
    }

    /// A secret the test gives the run (a secret parameter, a password on
    /// stdin): the leak scan fails the test if it shows up.
    pub fn secret(self, value: &str) -> Self {
        super::leak::secret(value);
        self
    }

    pub fn stdin(mut self, s: &str) -> Self {
        self.stdin = Some(s.into());
        self
    }

    /// Runs as the user and group with this id. The test folder becomes
    /// readable for it, and the lock file its own.
    pub fn run_as(mut self, id: u32) -> Self {
        std::fs::set_permissions(self.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let lock = self.path().join("runbook.lock");
        std::fs::write(&lock, "").unwrap();
        std::os::unix::fs::chown(&lock, Some(id), Some(id)).unwrap();
        self.user = Some(id);
        self
    }

    /// Writes a file in the test folder and returns its path.
    pub fn file(&self, name: &str, content: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, content).unwrap();
        // The test's own input: the leak scan spares it while it is unchanged.
        self.scan
            .allowed
            .borrow_mut()
            .push((p.clone(), Some(content.as_bytes().to_vec())));
        p
    }

    /// The command for the binary, to spawn by hand. Keep the `Test` until
    /// the run has ended: its folder is the working directory and holds the
    /// lock file.
    pub fn command(&self) -> Command {
        self.command_for(bin())
    }

    /// Another program (such as `script`, which runs the binary on a
    /// pseudo-terminal) with the same arguments, folder and clean environment.
    pub fn command_for(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.args(&self.args).current_dir(self.dir.path());
        for (k, _) in std::env::vars_os() {
            let name = k.to_string_lossy();
            if name.starts_with("RUNBOOK_") || name == "NO_COLOR" {
                cmd.env_remove(&k);
            }
        }
        cmd.envs(&self.env);
        for k in &self.removed {
            cmd.env_remove(k);
        }
        if let Some(id) = self.user {
            cmd.uid(id).gid(id);
        }
        cmd
    }

    pub fn run(self) -> Output {
        self.run_within(None)
    }

    /// [`Test::run`], killing the run (SIGKILL) once `limit` has passed: a
    /// run that hangs ends with `timed_out` set instead of hanging the test.
    pub fn run_within(self, limit: Option<std::time::Duration>) -> Output {
        super::leak::secret_params(
            &self
                .args
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect::<Vec<_>>(),
            &self
                .env
                .iter()
                .map(|(k, v)| {
                    (
                        k.to_string_lossy().into_owned(),
                        v.to_string_lossy().into_owned(),
                    )
                })
                .collect::<Vec<_>>(),
            self.path(),
        );
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
        let (done, watched) = std::sync::mpsc::channel::<()>();
        let watchdog = limit.map(|limit| {
            let pid = nix::unistd::Pid::from_raw(child.id() as i32);
            std::thread::spawn(move || {
                // `done` follows the reap at once: the pid is the child's until then.
                let late = watched.recv_timeout(limit).is_err();
                if late {
                    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
                }
                late
            })
        });
        let out = child.wait_with_output().unwrap();
        let _ = done.send(());
        let timed_out = watchdog.is_some_and(|w| w.join().unwrap_or(false));
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        // Not the arguments themselves: a secret given by `--set` would be shown.
        let what = self
            .args
            .first()
            .map(|a| a.to_string_lossy().into_owned())
            .unwrap_or_default();
        super::leak::output(&format!("the stdout of runbook {what}"), &stdout);
        super::leak::output(&format!("the stderr of runbook {what}"), &stderr);
        // What the run left in its folder: scanned as the scan drops.
        drop(self.scan);
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout,
            stderr,
            timed_out,
            _dir: self.dir,
        }
    }
}
