//! `runbook run`: parameters, output formats, exit codes.

use crate::common::{Test, normalize};

#[test]
fn hello_runs_with_defaults_and_reports_a_recap() {
    let t = Test::new().args(["run", "examples/hello"]);
    let dir = t.path().to_path_buf();
    let out = t.run();
    assert_eq!(out.code, 0, "{out:?}");
    insta::assert_snapshot!(normalize(&out.stdout, &dir));
}

#[test]
fn set_beats_vars_beats_env_beats_default() {
    let t = Test::new();
    let vars = t.file("v.toml", "who = \"from-vars\"\ntimes = 2\n");
    let out = t
        .args([
            "run",
            "examples/hello",
            "--vars",
            vars.to_str().unwrap(),
            "--set",
            "who=from-set",
        ])
        .env("RUNBOOK_WHO", "from-env")
        .env("RUNBOOK_TIMES", "5")
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout.matches("hello, from-set!").count(),
        2,
        "{}",
        out.stdout
    );

    let out = Test::new()
        .args(["run", "examples/hello"])
        .env("RUNBOOK_WHO", "from-env")
        .run();
    assert_contains!(out.stdout, "hello, from-env!");
}

#[test]
fn json_output_is_json_lines_ending_in_a_recap() {
    let out = Test::new()
        .args(["run", "examples/hello", "--output", "json"])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    let events: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(events.first().unwrap()["event"], "run_start");
    let last = events.last().unwrap();
    assert_eq!(last["event"], "recap");
    assert_eq!(last["success"], true);
    assert!(events.iter().all(|e| e["v"] == 1));
    assert_eq!(
        events.iter().filter(|e| e["event"] == "step_end").count(),
        3
    );
}

#[test]
fn check_mode_is_visible_to_scripts() {
    let out = Test::new().args(["run", "examples/hello", "--check"]).run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_contains!(out.stdout, "check mode: nothing will be changed");
    assert_contains!(out.stdout, "a real playbook would only report");
}

#[test]
fn a_failing_step_exits_1_naming_the_step_and_the_place() {
    let t = Test::new();
    let p = t.file(
        "fail.rhai",
        "step(\"first\", || { info(\"fine\"); });\nstep(\"second\", || {\n    fail(\"the disk is on fire\");\n});\nstep(\"never\", || {});\n",
    );
    let out = t.args(["run", p.to_str().unwrap()]).run();
    assert_eq!(out.code, 1, "{out:?}");
    assert_contains!(out.stdout, "failed step 2");
    assert_not_contains!(out.stdout, "[3] never");
    assert_contains!(out.stderr, "the disk is on fire");
    assert_contains!(out.stderr, "fail.rhai:3:5");
}

#[test]
fn errors_are_catchable_with_kind_and_message() {
    let out = Test::new()
        .args(["eval", "let r = (); try { version::parse(\"x.y\"); } catch (e) { r = `${e.kind}: ${e.message}`; } r"])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_contains!(out.stdout, "invalid_input: version 'x.y' is not valid");
}

#[test]
fn list_and_show_describe_without_running() {
    let out = Test::new().arg("list").run();
    assert_eq!(out.code, 0);
    assert_contains!(out.stdout, "examples/hello");
    let out = Test::new().args(["show", "examples/hello"]).run();
    assert_eq!(out.code, 0);
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn eval_prints_values_readably() {
    let out = Test::new().args(["eval", "#{b: [1, 2], a: \"x\"}"]).run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "#{\n  a: \"x\",\n  b: [1, 2],\n}\n");
    let t = Test::new();
    let f = t.file("s.rhai", "let x = param(\"n\"); x + \"!\"");
    let out = t
        .args(["eval", "--file", f.to_str().unwrap(), "--set", "n=hi"])
        .run();
    // Not a terminal: a string result is bare text, like `jq -r` (tests/it/eval_raw.rs).
    assert_eq!(out.stdout.trim(), "hi!");
}

#[test]
fn help_has_examples_and_exit_codes() {
    for sub in ["run", "list", "show", "eval", "check", "doc", "completions"] {
        let out = Test::new().args([sub, "--help"]).run();
        assert_eq!(out.code, 0, "{sub}: {out:?}");
        assert_contains!(out.stdout, "Example", "{sub} --help has no examples");
    }
    let out = Test::new().args(["run", "--help"]).run();
    assert_contains!(out.stdout, "130 interrupted");
}

#[test]
fn completions_are_generated() {
    let out = Test::new().args(["completions", "bash"]).run();
    assert_eq!(out.code, 0);
    assert_contains!(out.stdout, "_runbook");
}

#[test]
fn json_output_of_a_failed_run_carries_the_error() {
    let t = Test::new();
    let p = t.file("f.rhai", "step(\"a\", || {\n    fail(\"no luck\");\n});\n");
    let out = t
        .args(["run", p.to_str().unwrap(), "--output", "json"])
        .run();
    assert_eq!(out.code, 1, "{out:?}");
    let events: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let error = events
        .iter()
        .find(|e| e["event"] == "error")
        .expect("an error event");
    assert_eq!(error["message"], "no luck");
    assert!(
        error["location"].as_str().unwrap().ends_with("f.rhai:2:5"),
        "{error}"
    );
    let recap = events.last().unwrap();
    assert_eq!(
        (recap["event"].as_str(), recap["success"].as_bool()),
        (Some("recap"), Some(false))
    );
}

#[test]
fn diff_shows_changed_content_with_secrets_masked() {
    let t = Test::new();
    let f = t.file("conf.txt", "a=1\nb=2\n");
    let code = format!(
        "fs::write(\"{}\", \"a=1\\nb=3\\n\"); fs::write(\"{}\", secret(\"topsecretvalue\"))",
        f.display(),
        t.path().join("s.txt").display()
    );
    let out = t.args(["eval", "--diff", &code]).run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_contains!(out.stdout, "-b=2");
    assert_contains!(out.stdout, "+b=3");
    assert_not_contains!(out.all(), "topsecretvalue");
}

/// Regression: `aws::configure(#{profile})` in a playbook (its admin_profile)
/// used to drop the region given with --aws-region.
#[test]
fn aws_configure_keeps_what_it_is_not_given() {
    let out = Test::new()
        .args([
            "eval",
            "--aws-region",
            "eu-west-3",
            "aws::configure(#{profile: \"admin\"}); aws::settings()",
        ])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_contains!(out.stdout, "profile: \"admin\"");
    assert_contains!(out.stdout, "region: \"eu-west-3\"");
}

/// Regression: `runbook doc | head` panicked on the closed pipe.
#[test]
fn a_closed_pipe_is_not_a_panic() {
    let t = Test::new().arg("doc");
    let mut cmd = t.command();
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_not_contains!(String::from_utf8_lossy(&out.stderr), "panicked");
}

/// Regression: `[needs] commands` counted any file on PATH, executable or
/// not, unlike `proc::which`, so the run started and failed later.
#[test]
fn needs_commands_must_be_executable() {
    let t = Test::new();
    let bin = t.path().join("bin");
    t.file("bin/kratos", "#!/bin/sh\nexit 0\n");
    let script = t.file(
        "p.rhai",
        "//! summary = \"needs kratos\"\n//! [needs]\n//! commands = [\"kratos\"]\ninfo(\"ran\");\n",
    );
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let out = t
        .args(["run", script.to_str().unwrap()])
        .env("PATH", &path)
        .run();
    assert_eq!(out.code, 1, "{out:?}");
    assert_contains!(out.stderr, "needs kratos on PATH");
    assert_not_contains!(out.stdout, "ran");

    let t = Test::new();
    let kratos = t.file("bin/kratos", "#!/bin/sh\nexit 0\n");
    std::fs::set_permissions(&kratos, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let script = t.file(
        "p.rhai",
        "//! summary = \"needs kratos\"\n//! [needs]\n//! commands = [\"kratos\"]\ninfo(\"ran\");\n",
    );
    let path = format!("{}:/usr/bin:/bin", t.path().join("bin").display());
    let out = t
        .args(["run", script.to_str().unwrap()])
        .env("PATH", &path)
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_contains!(out.stdout, "ran");
}

/// Regression: `aws::region()` turned every configuration error into `()`, so
/// a misspelt profile surfaced as "no region: pass --set region".
#[test]
fn aws_region_names_a_missing_profile() {
    let t = Test::new();
    let home = t.path().to_path_buf();
    let out = t
        .args(["eval", "aws::region()"])
        .env("HOME", home.to_str().unwrap())
        .env("AWS_PROFILE", "admni")
        .env("AWS_REGION", "us-east-1")
        .run();
    assert_eq!(out.code, 1, "{out:?}");
    assert_contains!(
        out.stderr,
        "AWS profile 'admni' (from AWS_PROFILE) is in neither"
    );
}
