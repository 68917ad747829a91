//! A secret never appears in any output: print, debug, interpolation,
//! to_string, JSON, error messages, events.

use crate::common::Test;

const SECRET: &str = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY";

fn script(t: &Test) -> std::path::PathBuf {
    t.file(
        "leak.rhai",
        r#"//! [params.token]
//! type = "secret"
//! required = true
step("try every way to print it", || {
    let s = param("token");
    print(s);
    print(`interpolated ${s}`);
    print("concatenated " + s);
    print(s.to_string());
    debug(s);
    debug(#{inside: s, list: [s]});
    info(`info ${s}`);
    warn(`warn ${s}`);
    let t = secret("anotherSecretValue123");
    print(t);
    print(`exposed on purpose: ${s.expose()}`);
    s
});
step("and in an error", || {
    let s = param("token");
    fail(`could not use ${s.expose()}`);
});
"#,
    )
}

#[test]
fn secret_parameter_never_printed_in_human_output() {
    let t = Test::new();
    let p = script(&t);
    let out = t
        .args(["run", p.to_str().unwrap(), "-v"])
        .env("RUNBOOK_TOKEN", SECRET)
        .run();
    assert_eq!(out.code, 1, "{out:?}");
    assert_not_contains!(out.all(), SECRET, "secret leaked");
    assert_not_contains!(out.all(), "anotherSecretValue123", "secret leaked");
    assert_contains!(out.stdout, "interpolated ********");
    assert_contains!(out.stdout, "a script called expose() on a secret");
    assert_contains!(out.stderr, "could not use ********");
}

#[test]
fn secret_parameter_never_printed_in_json_output() {
    let t = Test::new();
    let p = script(&t);
    let f = t.file("token.txt", &format!("{SECRET}\n"));
    let out = t
        .args(["run", p.to_str().unwrap(), "--output", "json", "--set"])
        .arg(format!("token=@{}", f.display()))
        .run();
    assert_eq!(out.code, 1, "{out:?}");
    assert_not_contains!(out.all(), SECRET, "secret leaked");
    for line in out.stdout.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("JSON line");
    }
}

#[test]
fn secret_given_with_set_warns_and_is_still_masked() {
    let t = Test::new();
    let p = script(&t);
    let out = t
        .args(["run", p.to_str().unwrap(), "--set"])
        .arg(format!("token={SECRET}"))
        .run();
    assert_contains!(out.stdout, "shell history");
    assert_not_contains!(out.all(), SECRET, "secret leaked");
}

#[test]
fn eval_value_holding_a_secret_is_masked() {
    let out = Test::new()
        .args(["eval", &format!("#{{k: secret(\"{SECRET}\")}}")])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_contains!(out.stdout, "k: ********");
    assert_not_contains!(out.stdout, SECRET);
}

#[test]
fn ask_secret_without_a_terminal_names_the_other_ways() {
    let out = Test::new().args(["eval", "ask_secret(\"key:\")"]).run();
    assert_eq!(out.code, 1, "{out:?}");
    assert_contains!(out.stderr, "RUNBOOK_<NAME>");
    assert_contains!(out.stderr, "--set name=@FILE");
}
