//! Every example of docs/rhai-for-site-engineers.md compiles with
//! `runbook check` and runs with `runbook eval --file` (each ends by checking
//! its own result with `fail`), so the page cannot drift from the language.

use std::path::Path;

use crate::common::Test;

/// The page's ```rhai blocks: (`module=NAME` or "", code).
fn blocks(text: &str) -> Vec<(String, String)> {
    let mut out = vec![];
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        let Some(info) = l.strip_prefix("```rhai") else {
            continue;
        };
        let module = info
            .trim()
            .strip_prefix("module=")
            .unwrap_or("")
            .to_string();
        let code: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
        out.push((module, code.join("\n") + "\n"));
    }
    out
}

#[test]
fn every_example_of_the_rhai_guide_runs() {
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rhai-for-site-engineers.md");
    let text = std::fs::read_to_string(&page).unwrap();
    let blocks = blocks(&text);
    assert!(blocks.len() >= 8, "only {} examples found", blocks.len());
    let t = Test::new();
    let lib = t.path().join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    let mut scripts = vec![];
    for (i, (module, code)) in blocks.iter().enumerate() {
        if module.is_empty() {
            scripts.push(t.file(&format!("example{i}.rhai"), code));
        } else {
            std::fs::write(lib.join(format!("{module}.rhai")), code).unwrap();
        }
    }
    for s in &scripts {
        let file = s.to_str().unwrap();
        let lib = lib.to_str().unwrap();
        let check = Test::new().args(["check", "--lib", lib, file]).run();
        assert_eq!(check.code, 0, "runbook check {file}:\n{}", check.all());
        for mode in [&[][..], &["--check"][..]] {
            let run = Test::new()
                .args(["eval", "--lib", lib, "--file", file])
                .args(mode)
                .run();
            let code = std::fs::read_to_string(s).unwrap();
            assert_eq!(run.code, 0, "{mode:?} {code}\n{}", run.all());
        }
    }
    // The module itself compiles on its own too.
    let check = Test::new()
        .args(["check", lib.join("naming.rhai").to_str().unwrap()])
        .run();
    assert_eq!(check.code, 0, "{}", check.all());
}
