//! The REPL keeps no secret (issue 18, item 5): not a literal that a later
//! line turns into a secret, not one split over `+`, not one `:load`ed; and
//! `:history off` keeps nothing at all.

use crate::repl::start;

fn history_of(r: &crate::repl::Repl) -> String {
    std::fs::read_to_string(r.state.join("runbook/history")).unwrap_or_default()
}

#[test]
fn literals_that_later_build_a_secret_leave_history_and_draft() {
    let mut r = start(&[]);
    r.line(r#"let a = "wJalrXUtnFEMI";"#);
    r.line(r#"let b = "/K7MDENG+bPxRfiCY";"#);
    r.line(r#"let whole = "AKIAEXAMPLEWHOLEKEY";"#);
    r.line("let s = secret(a + b);");
    r.line("let t = secret(whole);");
    r.line(r#"let kept = "an ordinary value";"#);
    r.line(":save draft.rhai");
    r.expect("saved");
    r.line(":quit");
    r.pty.exp_eof().unwrap();
    let history = history_of(&r);
    let draft = std::fs::read_to_string(r.home.path().join("draft.rhai")).unwrap();
    for text in [&history, &draft] {
        assert_not_contains!(text, "wJalrXUtnFEMI");
        assert_not_contains!(text, "/K7MDENG+bPxRfiCY");
        assert_not_contains!(text, "AKIAEXAMPLEWHOLEKEY");
        assert_contains!(text, "an ordinary value");
    }
}

#[test]
fn load_then_save_never_writes_a_secret_literal() {
    let mut r = start(&[]);
    std::fs::write(
        r.home.path().join("site.rhai"),
        "let s = secret(\"LoadedSecret77\");\n",
    )
    .unwrap();
    r.line(":load site.rhai");
    r.line(":save draft.rhai");
    r.expect("saved");
    r.line(":quit");
    r.pty.exp_eof().unwrap();
    let draft = std::fs::read_to_string(r.home.path().join("draft.rhai")).unwrap();
    assert_not_contains!(draft, "LoadedSecret77");
    assert_contains!(draft, ":load site.rhai");
}

#[test]
fn history_off_keeps_no_input() {
    let mut r = start(&[]);
    r.line(r#"let before = "kept-before-off";"#);
    r.line(":history off");
    r.line(r#"let during = "typed-while-off";"#);
    r.line(":quit");
    r.pty.exp_eof().unwrap();
    let history = history_of(&r);
    assert_contains!(history, "kept-before-off");
    assert_not_contains!(history, "typed-while-off");
}
