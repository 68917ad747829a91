//! `runbook doc`: signatures and doc comments from the engine's metadata.

use crate::common::Test;

#[test]
fn lists_modules_and_shows_one_function_in_full() {
    let out = Test::new().arg("doc").run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_contains!(out.stdout, "version::compare(");
    assert_contains!(out.stdout, "step(");
    let out = Test::new().args(["doc", "version::compare"]).run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_contains!(out.stdout, "missing parts count as 0");
    let out = Test::new().args(["doc", "version::nope"]).run();
    assert_eq!(out.code, 2, "{out:?}");
}

/// Regression: closures inside stdlib functions compile to `anon$<hash>`
/// functions, which the reference listed (with a hash that changes).
#[test]
fn closures_in_the_stdlib_are_not_listed() {
    let out = Test::new().args(["doc", "--markdown"]).run();
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("alation::create_key_and_deliver("),
        "{}",
        out.stdout
    );
    assert_not_contains!(out.stdout, "anon$");
}

#[test]
fn writes_definition_files_for_editors() {
    let t = Test::new();
    let dir = t.path().join("defs");
    let out = t
        .args(["doc", "--definitions"])
        .arg(dir.display().to_string())
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(
        names
            .iter()
            .any(|n| n.to_string_lossy().contains("version")),
        "{names:?}"
    );
}

/// The committed reference must be what the binary generates; regenerate
/// with `runbook doc --markdown > docs/reference.md`.
#[test]
fn committed_reference_is_current() {
    let out = Test::new().args(["doc", "--markdown"]).run();
    assert_eq!(out.code, 0, "{out:?}");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/reference.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == out.stdout,
        "docs/reference.md is stale: run `cargo run -- doc --markdown > docs/reference.md` and commit it"
    );
}
