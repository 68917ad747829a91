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

/// Issue 18: a key known only after apply used to skip every check of where
/// it would be written, so `--check` passed on a credentials file that is a
/// link to /etc/shadow. What would refuse the write is now told in check mode
/// too, without reading the link's target.
#[test]
fn a_value_known_after_apply_still_has_its_destination_checked() {
    let d = tempfile::tempdir().unwrap();
    let decoy = d.path().join("shadow");
    std::fs::write(&decoy, "root:$6$decoyhash:::\n").unwrap();
    std::os::unix::fs::symlink(&decoy, d.path().join("credentials")).unwrap();
    nix::unistd::mkfifo(
        &d.path().join("key"),
        nix::sys::stat::Mode::from_bits_truncate(0o600),
    )
    .unwrap();
    for (call, expected) in [
        (
            r#"ini::set_section(dir + "/credentials", "p", #{aws_access_key_id: unknown})"#,
            "is a symbolic link to",
        ),
        (r#"fs::write(dir + "/key", unknown)"#, "named pipe (FIFO)"),
    ] {
        let e = run(Mode::Check, d.path(), call).unwrap_err();
        assert!(e.contains(expected), "{call}: {e}");
        assert!(!e.contains("decoyhash"), "{e}");
    }
    // With the link allowed, the check passes as before.
    let r = run(
        Mode::Check,
        d.path(),
        r#"ini::set_section(dir + "/credentials", "p", #{aws_access_key_id: unknown}, #{follow_symlinks: true}).status"#,
    )
    .unwrap();
    assert_eq!(r.to_string(), "would_change");
}

/// Regression: outside check mode an `Unknown` (kept from a check-mode REPL
/// session, say) made iam and docker calls report `changed` and do nothing.
/// Every state-changing call now refuses it with `invalid_input`, before any I/O.
#[test]
fn unknown_values_are_refused_in_apply_mode() {
    let d = tempfile::tempdir().unwrap();
    let calls = [
        "fs::write(dir + \"/key\", unknown)",
        "fs::write(unknown, \"x\")",
        "fs::mkdir(unknown)",
        "fs::chmod(unknown, \"600\")",
        "ini::set_section(dir + \"/credentials\", \"p\", #{aws_access_key_id: unknown})",
        "archive::gunzip(unknown, dir + \"/x\")",
        "iam::ensure_user_policy(\"agent\", unknown)",
        "iam::deactivate_access_key(\"agent\", unknown)",
        "iam::delete_access_key(\"agent\", unknown)",
        "docker::load(unknown)",
        "docker::wait_running(unknown)",
        "#{id: unknown}.to_json()",
    ];
    for call in calls {
        let script = format!(
            "aws::configure(#{{region: \"us-east-1\"}}); let r = \"no error\"; \
             try {{ {call}; }} catch (e) {{ r = e.kind + \": \" + e.message; }} r"
        );
        let r = run(Mode::Apply, d.path(), &script).unwrap().to_string();
        assert!(
            r.starts_with("invalid_input: ") && r.contains("(known after apply) in apply mode"),
            "{call}: {r}"
        );
    }
    assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0);
}

#[test]
fn to_json_shows_placeholders_and_masks_in_check_mode() {
    let d = tempfile::tempdir().unwrap();
    let r = run(
        Mode::Check,
        d.path(),
        r#"#{id: unknown, key: secret("s3cr3t-value"), n: 1}.to_json()"#,
    )
    .unwrap()
    .to_string();
    assert_eq!(r, r#"{"id":"(known after apply)","key":"********","n":1}"#);
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

/// The strings of an array result.
fn strings(r: rhai::Dynamic) -> Vec<String> {
    r.into_array()
        .unwrap()
        .into_iter()
        .map(|x| x.to_string())
        .collect()
}

#[test]
fn error_text_reads_every_kind_of_caught_error() {
    let d = tempfile::tempdir().unwrap();
    let r = run(
        Mode::Apply,
        d.path(),
        r#"
        let out = [];
        try { fs::chmod(dir + "/missing", "600"); } catch (e) { out.push(error_text(e)); }
        try { fail("stopped by the script"); } catch (e) { out.push(error_text(e)); }
        try { throw "a thrown string"; } catch (e) { out.push(error_text(e)); }
        try { let a = [1]; a[5]; } catch (e) { out.push(error_text(e)); }
        try { throw secret("hunter2hunter2"); } catch (e) { out.push(error_text(e)); }
        try { throw 42; } catch (e) { out.push(error_text(e)); }
        out
        "#,
    )
    .unwrap();
    let missing = format!("{}/missing does not exist [not_found]", d.path().display());
    assert_eq!(
        strings(r),
        [
            missing.as_str(),
            "stopped by the script",
            "a thrown string",
            "Array index 5 out of bounds: only 1 element in array",
            "********",
            "42",
        ]
    );
}

#[test]
fn iam_allows_evaluates_a_document_given_as_map_or_text() {
    let d = tempfile::tempdir().unwrap();
    let r = run(
        Mode::Apply,
        d.path(),
        r#"
        let get = "secretsmanager:GetSecretValue";
        let db = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf";
        let mine = iam::policy_document([get], ["*"]);
        let text = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:*","Resource":"*"},`
            + `{"Effect":"Deny","Action":"${get}","Resource":"${db}"}]}`;
        let bad = "";
        try { iam::allows(mine, get, []); } catch (e) { bad = e.kind; }
        [iam::allows(mine, get, "*"), iam::allows(mine, "SecretsManager:getsecretvalue", [db]),
         iam::allows(mine, "secretsmanager:ListSecrets", "*"),
         iam::allows(text, get, "arn:aws:secretsmanager:us-east-1:123456789012:secret:other"),
         iam::allows(text, get, db), iam::allows(text, get, "*"), bad]
        "#,
    )
    .unwrap();
    assert_eq!(
        strings(r),
        [
            "true",
            "true",
            "false",
            "true",
            "false",
            "false",
            "invalid_input"
        ]
    );
}
