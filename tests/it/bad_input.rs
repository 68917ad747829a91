//! Bad input: a clear message, exit 2, nothing run.

use crate::common::Test;

fn assert_usage(out: &crate::common::Output, needle: &str) {
    assert_eq!(out.code, 2, "{out:?}");
    assert_contains!(out.stderr, needle, "expected {needle:?}");
    assert_not_contains!(out.stdout, "[1]", "a step ran");
}

#[test]
fn unknown_playbook_suggests_the_nearest() {
    let out = Test::new().args(["run", "examples/helo"]).run();
    assert_usage(&out, "did you mean 'examples/hello'");
}

#[test]
fn unknown_set_key_lists_the_declared_ones() {
    let out = Test::new()
        .args(["run", "examples/hello", "--set", "whom=x"])
        .run();
    assert_usage(&out, "declares: who, times, token");
}

#[test]
fn wrong_type_is_named() {
    let out = Test::new()
        .args(["run", "examples/hello", "--set", "times=many"])
        .run();
    assert_usage(
        &out,
        "parameter 'times' from --set: 'many' is not an integer",
    );
}

#[test]
fn missing_required_parameter_without_tty_names_the_flag() {
    let t = Test::new();
    let p = t.file(
        "req.rhai",
        "//! [params.region]\n//! required = true\nprint(param(\"region\"));\n",
    );
    let out = t.args(["run", p.to_str().unwrap()]).run();
    assert_usage(&out, "--set region=");
}

#[test]
fn malformed_vars_file_gives_file_and_line() {
    let t = Test::new();
    let v = t.file("bad.toml", "who = \"x\"\ntimes = = 3\n");
    let out = t
        .args(["run", "examples/hello", "--vars", v.to_str().unwrap()])
        .run();
    assert_usage(&out, "bad.toml: line 2");
    let out = Test::new()
        .args(["run", "examples/hello", "--vars", "/nonexistent/v.toml"])
        .run();
    assert_usage(&out, "/nonexistent/v.toml");
}

#[test]
fn script_that_does_not_compile() {
    let t = Test::new();
    let p = t.file("broken.rhai", "step(\"a\", || {\n    let x = ;\n});\n");
    let out = t.args(["run", p.to_str().unwrap()]).run();
    assert_usage(&out, "broken.rhai:2:13");
}

#[test]
fn header_that_does_not_parse() {
    let t = Test::new();
    let p = t.file(
        "h.rhai",
        "//! summary = \"x\"\n//! [params.a]\n//! type = \"strin\"\nprint(1);\n",
    );
    let out = t.args(["run", p.to_str().unwrap()]).run();
    assert_usage(
        &out,
        "type 'strin' is not one of string, int, bool, list, secret",
    );
    let p = Test::new();
    let f = p.file("h2.rhai", "//! summary = \n//! x\nprint(1);\n");
    let out = p.args(["show", f.to_str().unwrap()]).run();
    assert_usage(&out, "h2.rhai:2: playbook header");
}

#[test]
fn unknown_host_function_is_caught_before_running() {
    let t = Test::new();
    let p = t.file("typo.rhai", "step(\"a\", || { print(\"ran\"); });\nstep(\"b\", || { version::comprae(\"1\", \"2\"); });\n");
    let out = t.args(["run", p.to_str().unwrap()]).run();
    assert_usage(&out, "version::comprae does not exist");
    assert_contains!(out.stderr, "did you mean version::compare?");
    assert_not_contains!(out.stdout, "ran");
}

#[test]
fn bad_flags_are_usage_errors() {
    let out = Test::new()
        .args(["run", "examples/hello", "--output", "xml"])
        .run();
    assert_eq!(out.code, 2, "{out:?}");
}

/// `--set name=@FILE` on a FIFO used to wait for a writer forever.
#[test]
fn set_from_a_fifo_is_refused_at_once() {
    let t = Test::new();
    let fifo = t.path().join("token");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let arg = format!("token=@{}", fifo.display());
    let t = t.args(["run", "examples/hello", "--set", &arg]);
    let mut child = t
        .command()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > std::time::Duration::from_secs(10) {
            child.kill().unwrap();
            panic!("--set token=@FIFO hangs");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("FIFO") && stderr.contains("not a regular file"),
        "{stderr}"
    );
}
