//! This test binary run again as a child process. Tests are threads of one
//! process: a test that must change what the process shares (its umask, its
//! environment) or run as another user does it in a child that runs only
//! that test.

use std::process::Command;

/// Set in the child's environment.
const MARK: &str = "IT_CHILD";

/// A command that runs the test `name` of `module` (give `module_path!()`),
/// ignored or not, alone, with output shown.
pub fn command(module: &str, name: &str) -> Command {
    // `it::fs` -> `fs`: test paths leave out the crate.
    let path = module.split_once("::").map_or("", |(_, m)| m);
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        &format!("{path}::{name}"),
        "--include-ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(MARK, "1");
    cmd
}

/// Whether this process is such a child.
pub fn is_child() -> bool {
    std::env::var_os(MARK).is_some()
}

/// Runs the command and checks that exactly its one test ran, and passed:
/// a name that matches nothing would otherwise pass as "0 tests". Its stdout.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let all = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the child failed:\n{all}");
    assert_contains!(all, "running 1 test", "the child ran no test, or several");
    assert_contains!(
        all,
        "test result: ok. 1 passed",
        "the child's test did not pass"
    );
    stdout
}
