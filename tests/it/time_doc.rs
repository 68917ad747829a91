//! `time::` from the command line (a read: check mode too) and `runbook doc`'s
//! sections for it and for the Rhai built-ins.

use crate::common::Test;

#[test]
fn time_works_in_check_mode_and_rejects_a_bad_format() {
    let out = Test::new()
        .args([
            "eval",
            "--check",
            "time::format(time::parse(time::now()), \"%Y\")",
        ])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    let year: i32 = out.stdout.trim().parse().expect("a year");
    assert!(year >= 2024, "{year}");
    let out = Test::new()
        .args(["eval", "time::format(time::now(), \"%Y-%!\")"])
        .run();
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("time format \"%Y-%!\" is not valid"),
        "{out:?}"
    );
    assert!(out.stderr.contains("hint:"), "{out:?}");
}

#[test]
fn doc_lists_time_and_the_rhai_builtins_with_the_book() {
    let out = Test::new().args(["doc"]).run();
    assert_eq!(out.code, 0, "{out:?}");
    for f in [
        "time::now()",
        "time::format(",
        "time::parse(",
        "time::since(",
    ] {
        assert!(out.stdout.contains(f), "{f} missing");
    }
    assert!(
        out.stdout
            .contains("Rhai built-ins (the rest: https://rhai.rs/book/)")
    );
    let out = Test::new().args(["doc", "rhai"]).run();
    assert_eq!(out.code, 0, "{out:?}");
    for f in ["parse_json(text)", "x.to_json()", "try { } catch (e) { }"] {
        assert!(out.stdout.contains(f), "{f} missing");
    }
}
