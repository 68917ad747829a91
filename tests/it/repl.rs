//! The REPL, driven through a real pseudo-terminal.

use rexpect::session::{PtySession, spawn_command};

use crate::common::Test;

pub(crate) struct Repl {
    pub(crate) pty: PtySession,
    /// A prompt must be seen before typing: like a person, the test waits for it.
    need_prompt: bool,
    /// The REPL's folder and home; its state (history) is under `state`.
    pub(crate) home: Test,
    pub(crate) state: std::path::PathBuf,
}

pub(crate) fn start(args: &[&str]) -> Repl {
    let t = Test::new();
    let state = t.path().join("state");
    let home = t.path().to_path_buf();
    let t = t
        .arg("repl")
        .args(args)
        .env("HOME", &home)
        .env("XDG_STATE_HOME", &state)
        .env("TERM", "xterm");
    let mut pty = spawn_command(t.command(), Some(10_000)).expect("spawn repl in a pty");
    pty.exp_string("runbook>").expect("first prompt");
    Repl {
        pty,
        need_prompt: false,
        home: t,
        state,
    }
}

impl Repl {
    pub(crate) fn line(&mut self, l: &str) {
        if self.need_prompt {
            self.prompt();
        }
        self.pty.send_line(l).unwrap();
        self.need_prompt = true;
    }
    fn prompt(&mut self) {
        if let Err(e) = self.pty.exp_regex(r"runbook(\[check\])?> ") {
            panic!("no prompt: {e}");
        }
        self.need_prompt = false;
    }
    pub(crate) fn expect(&mut self, s: &str) {
        if let Err(e) = self.pty.exp_string(s) {
            panic!("did not see {s:?}: {e}");
        }
    }
}

#[test]
fn functions_persist_across_inputs() {
    let mut r = start(&[]);
    r.line("fn double(x) { x * 2 }");
    r.line("let base = 21;");
    r.line("double(base)");
    r.expect("42");
    r.line(":quit");
    r.pty.exp_eof().unwrap();
}

#[test]
fn unfinished_block_continues_on_the_next_line() {
    let mut r = start(&[]);
    r.line("if 2 > 1 {");
    r.expect("...>");
    r.pty.send_line("  \"multi-line ok\"").unwrap();
    r.expect("...>");
    r.pty.send_line("}").unwrap();
    r.expect("multi-line ok");
    r.line(":quit");
}

#[test]
fn tab_completes_module_functions() {
    let mut r = start(&[]);
    r.pty.send("version::at_l").unwrap();
    r.pty.send("\t").unwrap();
    r.pty.flush().unwrap();
    r.expect("at_least");
    r.pty.send_line("(\"2.0\", \"1.9\")").unwrap();
    r.expect("true");
    r.need_prompt = true;
    r.line(":quit");
}

#[test]
fn ctrl_c_cancels_a_long_wait_and_the_prompt_comes_back() {
    let mut r = start(&[]);
    r.line("sleep(\"30s\")");
    std::thread::sleep(std::time::Duration::from_millis(700));
    r.pty.send_control('c').unwrap();
    r.expect("interrupted");
    r.line("1 + 1");
    r.expect("2");
    r.line(":quit");
}

#[test]
fn errors_show_a_caret_and_the_session_goes_on() {
    let mut r = start(&[]);
    r.line("let = 5;");
    r.expect("^");
    r.line(":vars");
    r.line("let kept = 7;");
    r.line(":vars");
    r.expect("let kept = 7");
    r.line(":quit");
}

#[test]
fn check_toggle_shows_in_the_prompt() {
    let mut r = start(&[]);
    r.line(":check on");
    r.expect("runbook[check]>");
    r.need_prompt = false;
    r.line("check_mode()");
    r.expect("true");
    r.line(":check off");
    r.line("check_mode()");
    r.expect("false");
    r.line(":quit");
}

#[test]
fn history_never_holds_a_secret_typed_at_ask_secret() {
    let mut r = start(&[]);
    r.line("let k = ask_secret(\"key:\");");
    r.expect("key:");
    r.pty.send_line("TopSecretValue42").unwrap();
    r.line("let s = secret(\"AnotherSecret99\");");
    r.line("k");
    r.expect("********");
    r.line(":save draft.rhai");
    r.expect("saved");
    r.line(":quit");
    r.pty.exp_eof().unwrap();
    let history =
        std::fs::read_to_string(r.state.join("runbook/history")).expect("history written");
    assert_contains!(history, "ask_secret");
    assert_not_contains!(history, "TopSecretValue42");
    assert_not_contains!(history, "AnotherSecret99");
    let draft = std::fs::read_to_string(r.home.path().join("draft.rhai")).unwrap();
    assert_not_contains!(draft, "AnotherSecret99");
    assert_contains!(draft, "ask_secret");
}

#[test]
fn without_a_tty_it_reads_stdin_and_stops_at_the_first_error() {
    let out = Test::new()
        .arg("repl")
        .stdin("let a = 2;\nfn sq(x) { x * x }\nsq(a)\nfail(\"stop here\");\nprint(\"not reached\");\n")
        .run();
    assert_eq!(out.code, 1, "{out:?}");
    assert_contains!(out.stdout, '4');
    assert_not_contains!(out.stdout, "not reached");
    assert_contains!(out.stderr, "stop here");
}

#[test]
fn tab_after_fs_offers_chmod() {
    let mut r = start(&[]);
    r.pty.send("fs::chm").unwrap();
    r.pty.send("\t").unwrap();
    r.pty.flush().unwrap();
    r.expect("fs::chmod");
    r.pty.send_control('c').unwrap();
    r.line(":quit");
}

#[test]
fn check_mode_write_reports_would_change_and_creates_nothing() {
    let mut r = start(&[]);
    let target = r.home.path().join("planned.txt");
    r.line(":check on");
    r.expect("runbook[check]>");
    r.need_prompt = false;
    r.line(&format!(
        "fs::write(\"{}\", \"hello\").status",
        target.display()
    ));
    r.expect("would_change");
    r.line(":quit");
    r.pty.exp_eof().unwrap();
    assert!(!target.exists(), "check mode created the file");
}

/// `:vars` prints the scope: a string holding a secret's text is masked too.
#[test]
fn vars_never_shows_a_secret() {
    let out = Test::new()
        .arg("repl")
        .stdin("let s = secret(\"TopSecretXYZ123\");\nlet t = s.expose();\n:vars\n")
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_contains!(out.stdout, "let s = ********");
    assert_not_contains!(out.all(), "TopSecretXYZ123");
}
