//! `runbook eval` and the REPL print a string result bare when stdout is not
//! a terminal or with `--raw` (like `jq -r`), quoted on a terminal.

use rexpect::session::spawn_command;

use crate::common::Test;

#[test]
fn a_string_result_is_bare_in_a_pipe() {
    let out = Test::new()
        .args(["eval", "\"a \\\"quoted\\\" word\""])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "a \"quoted\" word\n");
    // Only strings: a number or a map prints as before.
    let out = Test::new().args(["eval", "#{n: 1, s: \"x\"}"]).run();
    assert_eq!(out.stdout, "#{\n  n: 1,\n  s: \"x\",\n}\n");
}

#[test]
fn a_secret_result_stays_masked_when_raw() {
    let out = Test::new()
        .args(["eval", "--raw", "secret(\"Sup3rSecretRaw\")"])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!out.all().contains("Sup3rSecretRaw"), "{out:?}");
    assert_contains!(out.stdout, "********");
}

#[test]
fn json_output_keeps_the_quoted_text() {
    let out = Test::new()
        .args(["eval", "--output", "json", "\"q\""])
        .run();
    let v: serde_json::Value = serde_json::from_str(out.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(v["event"], "value");
    assert_eq!(v["text"], "\"q\"");
}

#[test]
fn on_a_terminal_strings_are_quoted_unless_raw() {
    for (args, shown) in [(vec![], "\"tty-value\""), (vec!["--raw"], "tty-value")] {
        let t = Test::new()
            .arg("eval")
            .args(args)
            .arg("\"tty-\" + \"value\"");
        let mut pty = spawn_command(t.command(), Some(10_000)).expect("spawn eval in a pty");
        let text = pty.exp_eof().expect("eval ends");
        assert_eq!(text.trim(), shown, "{text:?}");
    }
}

#[test]
fn the_repl_prints_bare_strings_when_piped() {
    let out = Test::new()
        .arg("repl")
        .stdin("let who = \"site\";\n`hello ${who}`\n")
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_contains!(out.stdout, "hello site\n");
    assert!(!out.stdout.contains("\"hello site\""), "{out:?}");
}
