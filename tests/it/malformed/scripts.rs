//! Scripts that do not compile, fail at run time, loop for ever, recurse or
//! nest without end, and script files that are not scripts: `runbook run`
//! and `runbook eval`. A syntax error is exit 2 with file:line:column; a
//! runtime error exit 1; a limit names itself and how to raise it.

use super::{Row, row, run};

/// `runbook run {dir}/s.rhai` with `text` as the script.
fn script(name: &str, text: impl AsRef<[u8]>) -> Row {
    row(name).file("s.rhai", text).args(["run", "{dir}/s.rhai"])
}

fn eval(name: &str, code: &str) -> Row {
    row(name).args(["eval", code])
}

fn nested(open: &str, inner: &str, close: &str, depth: usize) -> String {
    format!("{}{inner}{}", open.repeat(depth), close.repeat(depth))
}

fn rows() -> Vec<Row> {
    vec![
        script("a let without a value", "step(\"a\", || {\n    let x = ;\n});\n")
            .says("s.rhai:2:13"),
        script("an unterminated string", "let s = \"abc;\nprint(s);\n").says("s.rhai:1"),
        script("a missing closing brace", "step(\"a\", || {\n    print(1);\n").says("s.rhai:"),
        script("a stray closing paren", "print(1));\n").says("s.rhai:1"),
        script("a keyword as a name", "let fn = 3;\n").says("s.rhai:1"),
        script("an undefined variable", "print(nope);\n").says("nope"),
        script("a function that does not exist", "fs::wirte(\"/tmp/x\", \"y\");\n")
            .says("fs::wirte does not exist")
            .says("did you mean fs::write?"),
        script("binary garbage", b"\x7fELF\x02\x01\x01\x00\xff\xfe\x00\x00".as_slice())
            .says("cannot read the script: {dir}/s.rhai is not UTF-8 text"),
        row("show: a header after a BOM is read")
            .file("s.rhai", "\u{feff}//! summary = \"after a mark\"\nprint(1);\n")
            .args(["show", "{dir}/s.rhai"])
            .code(0)
            .says("after a mark"),
        script("a NUL in the middle", "print(1);\n\u{0}\nprint(2);\n").says("s.rhai"),
        script("a BOM is skipped", "\u{feff}//! summary = \"bom\"\nprint(\"bom ok\");\n")
            .code(0)
            .says("bom ok"),
        script("CRLF is accepted", "let a = 1;\r\nprint(`crlf ${a}`);\r\n")
            .code(0)
            .says("crlf 1"),
        script("0 bytes is accepted", "").code(0),
        script("a header that does not parse", "//! summary = \n//! [params.a\nprint(1);\n")
            .says("s.rhai:2: playbook header")
            .says("unclosed table"),
        script("a header with an unknown type", "//! [params.a]\n//! type = \"strin\"\nprint(1);\n")
            .says("type 'strin' is not one of string, int, bool, list, secret"),
        script("a header default of the wrong type", "//! [params.a]\n//! type = \"int\"\n//! default = \"x\"\nprint(1);\n")
            .says("parameter 'a': its default does not fit its type: the value is a string, expected int"),
        script("a header with an unknown field", "//! [params.a]\n//! tpye = \"int\"\nprint(1);\n")
            .says("tpye"),
        script("items on a non-list", "//! [params.a]\n//! type = \"string\"\n//! items = \"arn\"\nprint(1);\n")
            .says("items is only for type = \"list\""),
        script("a runtime error in a step", "step(\"a\", || { let a = [1]; a[5] });\n")
            .code(1)
            .says("out of bounds"),
        script("a thrown string", "throw \"boom-4711\";\n").code(1).says("boom-4711"),
        script("fail() in a step", "step(\"a\", || fail(\"cannot go on: reason-17\"));\n")
            .code(1)
            .says("reason-17"),
        eval("division by zero", "1 / 0").code(1).says("Division by zero"),
        eval("an operator for other types", r#""x" + 1 - 2"#)
            .code(1)
            .says("operator '-' does not take a string and an int"),
        eval("an integer overflow", "9223372036854775807 + 1").code(1).says("overflow"),
        eval("an endless loop hits the operations limit", "loop {}")
            .env("RUNBOOK_MAX_OPERATIONS", "20000")
            .code(1)
            .says("operations limit (20000)")
            .says("RUNBOOK_MAX_OPERATIONS"),
        eval("an endless loop inside try hits the limit too", "try { loop {} } catch { 1 }")
            .env("RUNBOOK_MAX_OPERATIONS", "20000")
            .code(1)
            .says("operations limit (20000)"),
        eval("endless recursion", "fn f(n) { f(n + 1) } f(0)")
            .code(1)
            .says("call depth limit (256)"),
        eval("mutual recursion", "fn a(n) { b(n) } fn b(n) { a(n) } a(0)")
            .code(1)
            .says("call depth limit"),
        eval("a doubling string", r#"let s = "x"; loop { s += s }"#)
            .env("RUNBOOK_MAX_STRING_SIZE", "65536")
            .code(1)
            .says("string size limit (65536 bytes)"),
        // Rhai measures an array or map on every change, so reaching the
        // default limits (1,000,000 items, 100,000 entries) takes hours: a
        // lower limit shows the error the default would end with.
        eval("a growing array", "let a = []; loop { a.push(1) }")
            .env("RUNBOOK_MAX_ARRAY_SIZE", "3000")
            .code(1)
            .says("array size limit (3000 items)")
            .says("RUNBOOK_MAX_ARRAY_SIZE"),
        eval("a map over the limit is refused when used", "let m = #{}; for i in 0..3000 { m[`k${i}`] = i; } m.len()")
            .env("RUNBOOK_MAX_MAP_SIZE", "2000")
            .code(1)
            .says("map size limit (2000 entries)")
            .says("RUNBOOK_MAX_MAP_SIZE"),
        // Current behaviour, left as it is: Rhai does not measure a map on an
        // index assignment, so a map grown by `m[k] = v` passes the map size
        // limit and only the operations limit stops it (by default, 10^9
        // operations: memory may run out first).
        eval("a map grown by index assignment", "let m = #{}; let i = 0; loop { m[`k${i}`] = i; i += 1; }")
            .env("RUNBOOK_MAX_MAP_SIZE", "2000")
            .env("RUNBOOK_MAX_OPERATIONS", "300000")
            .code(1)
            .says("operations limit (300000)"),
        eval("10,000 nested parentheses", &nested("(", "1", ")", 10_000)).says("Expression exceeds maximum complexity")
            .says("split it with variables or functions"),
        eval("10,000 nested arrays", &nested("[", "1", "]", 10_000)).says("Expression exceeds maximum complexity")
            .says("split it with variables or functions"),
        eval("10,000 nested blocks", &nested("{", "1", "}", 10_000)).says("Expression exceeds maximum complexity")
            .says("split it with variables or functions"),
        eval("10,000 nested closures", &nested("|| ", "1", "", 10_000)).says("Expression exceeds maximum complexity")
            .says("split it with variables or functions"),
        eval("an operations limit that is not a number", "1")
            .env("RUNBOOK_MAX_OPERATIONS", "lots")
            .code(0)
            .says("warning: RUNBOOK_MAX_OPERATIONS=\"lots\" is not a whole number; the default is used"),
        row("a script that is a directory")
            .setup(|d| std::fs::create_dir(d.dir.join("s.rhai")).unwrap())
            .args(["run", "{dir}/s.rhai"])
            .says("s.rhai"),
        row("a script that is a FIFO")
            .setup(|d| super::mkfifo(&d.dir.join("s.rhai")))
            .args(["run", "{dir}/s.rhai"])
            .says("cannot read the script: {dir}/s.rhai is a named pipe (FIFO), not a regular file"),
        row("eval --file that does not exist")
            .args(["eval", "--file", "{dir}/none.rhai"])
            .says("none.rhai"),
        row("eval --file that is a FIFO")
            .setup(|d| super::mkfifo(&d.dir.join("s.rhai")))
            .args(["eval", "--file", "{dir}/s.rhai"])
            .says("cannot read the script: {dir}/s.rhai is a named pipe (FIFO), not a regular file"),
        row("an import that does not exist")
            .args(["eval", "import \"no_such_module\" as m; m::f()"])
            .says("no_such_module"),
    ]
}

#[test]
fn broken_scripts_end_with_a_clear_error_and_limits_name_themselves() {
    run("scripts", rows(), false);
}
