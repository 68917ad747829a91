//! The fs, ini, proc and archive modules as scripts see them.

use runbook::host::{Mode, Unknown};

use crate::common::engine::Engine;

/// Runs `script` in an in-process session with `dir` (a folder) and
/// `unknown` (an `Unknown`) in scope.
fn run(mode: Mode, dir: &std::path::Path, script: &str) -> Result<rhai::Dynamic, String> {
    Engine::new(mode).eval_with(
        &[
            ("dir", dir.display().to_string().into()),
            ("unknown", rhai::Dynamic::from(Unknown)),
        ],
        script,
    )
}

#[test]
fn fs_calls_return_status_maps() {
    let d = tempfile::tempdir().unwrap();
    let r = run(
        Mode::Apply,
        d.path(),
        r#"
        let p = dir + "/sub/f";
        let a = fs::mkdir(dir + "/sub", #{mode: "750"});
        let b = fs::write(p, "x", #{mode: "540"});
        let c = fs::write(p, "x");
        let s = fs::stat(p);
        [a.status, b.status, c.status, b.path, s.mode, s.kind, fs::read(p), fs::exists(p), fs::read(p + ".no")]
        "#,
    )
    .unwrap();
    let v: Vec<String> = r
        .into_array()
        .unwrap()
        .into_iter()
        .map(|x| x.to_string())
        .collect();
    let p = format!("{}/sub/f", d.path().display());
    assert_eq!(
        v,
        [
            "changed",
            "changed",
            "ok",
            p.as_str(),
            "0540",
            "file",
            "x",
            "true",
            ""
        ]
    );
}

#[test]
fn errors_are_maps_with_kind_and_unknown_options_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let caught = run(
        Mode::Apply,
        d.path(),
        r#"let k = (); try { fs::chmod("rel", "540"); } catch (e) { k = `${type_of(e)} ${e.kind}`; } k"#,
    )
    .unwrap();
    assert_eq!(caught.to_string(), "map invalid_input");
    let e = run(Mode::Apply, d.path(), r#"fs::chmod("rel", "540")"#).unwrap_err();
    assert_contains!(e, "invalid_input");
    assert_contains!(e, "relative");
    let e = run(
        Mode::Apply,
        d.path(),
        r#"fs::write(dir + "/f", "x", #{mdoe: "540"})"#,
    )
    .unwrap_err();
    assert_contains!(e, "unknown option 'mdoe'");
    // A session as users get it has `secret`: the call itself is refused.
    let e = run(
        Mode::Apply,
        d.path(),
        r#"proc::run("true", [secret("pw")])"#,
    )
    .unwrap_err();
    assert_contains!(e, "a Secret cannot be a command argument");
    assert_contains!(e, "[invalid_input]");
}

#[test]
fn unknown_values_do_no_io_in_check_mode() {
    let d = tempfile::tempdir().unwrap();
    let r = run(
        Mode::Check,
        d.path(),
        r#"
        let a = fs::write(dir + "/key", unknown);
        let b = ini::set_section(dir + "/credentials", "p", #{aws_access_key_id: unknown});
        let c = proc::run("sh", ["-c", "exit 1"]);
        [a.status, b.status, c.status, c.code]
        "#,
    )
    .unwrap();
    let v: Vec<String> = r
        .into_array()
        .unwrap()
        .into_iter()
        .map(|x| x.to_string())
        .collect();
    assert_eq!(v, ["would_change", "would_change", "skipped", ""]);
    assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0);
}

#[test]
fn ini_read_gives_secrets_and_proc_run_gives_output() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("credentials"),
        "[p]\naws_access_key_id = A\naws_secret_access_key = hunter2\n",
    )
    .unwrap();
    let r = run(
        Mode::Apply,
        d.path(),
        r#"
        let s = ini::read(dir + "/credentials");
        let out = proc::run("echo", ["hi"], #{read_only: true});
        [s.p.aws_access_key_id, s.p.aws_secret_access_key.to_string(), type_of(s.p.aws_secret_access_key), out.stdout, out.code, proc::which("no-such-cmd-rb")]
        "#,
    )
    .unwrap();
    let v: Vec<String> = r
        .into_array()
        .unwrap()
        .into_iter()
        .map(|x| x.to_string())
        .collect();
    assert_eq!(v, ["A", "********", "Secret", "hi\n", "0", ""]);
}
