//! Script errors point at file:line:col with a caret, through imports.

use crate::common::{Test, normalize};

#[test]
fn error_inside_an_imported_module_names_the_module_file_and_the_caller() {
    let t = Test::new();
    t.file(
        "lib/sitelib.rhai",
        "/// Parses a version or fails.\nfn strict(v) {\n    version::parse(v)\n}\n",
    );
    let main = t.file(
        "main.rhai",
        "import \"sitelib\" as site;\n\nstep(\"parse\", || {\n    site::strict(\"1.x\");\n});\n",
    );
    let dir = t.path().to_path_buf();
    let out = t
        .args(["run", main.to_str().unwrap(), "--lib"])
        .arg(dir.join("lib").display().to_string())
        .run();
    assert_eq!(out.code, 1, "{out:?}");
    insta::assert_snapshot!(normalize(&out.stderr, &dir));
}

#[test]
fn runtime_error_shows_the_line_and_a_caret() {
    let t = Test::new();
    let main = t.file("m.rhai", "let a = 1;\nlet b = a + undefined_thing;\n");
    let dir = t.path().to_path_buf();
    let out = t.args(["run", main.to_str().unwrap()]).run();
    assert_eq!(
        out.code, 2,
        "strict variables make this a compile error: {out:?}"
    );
    insta::assert_snapshot!(normalize(&out.stderr, &dir));
}

#[test]
fn missing_module_says_where_it_looked() {
    let t = Test::new();
    let main = t.file("m.rhai", "import \"nosuch\" as n;\n");
    let out = t.args(["run", main.to_str().unwrap()]).run();
    assert_eq!(out.code, 2, "{out:?}");
    assert_contains!(out.stderr, "import \"nosuch\" does not exist");
}

#[test]
fn site_modules_shadow_the_bundled_stdlib() {
    let t = Test::new();
    t.file("lib/greeting.rhai", "fn hello() { \"site\" }\n");
    let main = t.file("m.rhai", "import \"greeting\" as g;\nprint(g::hello());\n");
    let lib = t.path().join("lib");
    let out = t
        .args(["run", main.to_str().unwrap()])
        .env("RUNBOOK_PATH", lib.to_str().unwrap())
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_contains!(out.stdout, "site");
}
