//! `runbook check`: every error of every file, exit 2 if any.

use crate::common::Test;

#[test]
fn reports_every_file_and_exits_2() {
    let t = Test::new();
    let good = t.file("good.rhai", "step(\"a\", || { print(1); });\n");
    let parse = t.file("parse.rhai", "let = 3;\n");
    let typo = t.file(
        "typo.rhai",
        "step(\"a\", || {\n    version::at_lest(\"1\", \"2\");\n});\n",
    );
    let out = t
        .args([
            "check",
            good.to_str().unwrap(),
            parse.to_str().unwrap(),
            typo.to_str().unwrap(),
        ])
        .run();
    assert_eq!(out.code, 2, "{out:?}");
    assert_contains!(out.stdout, "ok  ");
    assert_contains!(out.stdout, "good.rhai");
    assert_contains!(out.stderr, "parse.rhai:1:");
    assert_contains!(out.stderr, "typo.rhai:2:");
    assert_contains!(out.stderr, "did you mean version::at_least?");
}

#[test]
fn every_bundled_playbook_checks_clean() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut files = Vec::new();
    for dir in ["playbooks", "stdlib"] {
        collect(&std::path::Path::new(root).join(dir), &mut files);
    }
    assert!(!files.is_empty());
    let out = Test::new()
        .arg("check")
        .args(files.iter().map(|f| f.display().to_string()))
        .run();
    assert_eq!(out.code, 0, "{out:?}");
}

fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "rhai") {
            out.push(p);
        }
    }
}
