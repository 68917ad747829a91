//! The leak scan itself (common::leak): it must fail a test whose run prints
//! a recorded secret or leaves it in a file, and spare the named destination.

use crate::common::Test;

fn fails(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let e = std::panic::catch_unwind(f).expect_err("the leak scan did not fail the test");
    e.downcast_ref::<String>().cloned().unwrap_or_default()
}

#[test]
fn a_secret_printed_or_left_in_a_file_fails_the_test() {
    let printed = fails(|| {
        Test::new()
            .secret("leak-scan-secret-printed")
            .args(["eval", "print(\"leak-scan-secret-printed\")"])
            .run();
    });
    assert_contains!(printed, "leak scan: a secret (leak…");
    assert_not_contains!(printed, "leak-scan-secret-printed");

    // Learned after the output: the earlier output is checked again.
    let out = Test::new()
        .args(["eval", "print(\"leak-scan-secret-later\")"])
        .run();
    assert_eq!(out.code, 0, "{}", out.all());
    let later = fails(|| crate::common::leak::secret("leak-scan-secret-later"));
    assert_contains!(later, "the stdout of runbook");

    let left = fails(|| {
        let t = Test::new().secret("leak-scan-secret-in-a-file");
        let p = t.path().join("notes.txt");
        t.args([
            "eval",
            &format!(
                "fs::write(\"{}\", \"leak-scan-secret-in-a-file\"); ()",
                p.display()
            ),
        ])
        .run();
    });
    assert_contains!(left, "notes.txt");

    // The destination the test names is where the secret belongs.
    let t = Test::new().secret("leak-scan-secret-in-its-place");
    let p = t.path().join("credentials");
    let out = t
        .destination(&p)
        .args([
            "eval",
            &format!(
                "fs::write(\"{}\", \"leak-scan-secret-in-its-place\"); ()",
                p.display()
            ),
        ])
        .run();
    assert_eq!(out.code, 0, "{}", out.all());
}
