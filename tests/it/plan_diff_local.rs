//! `--diff` of local resources without services: a new folder, a file, a
//! removal and an INI section with secrets, the same text in human and JSON.

use crate::common::Test;

fn ops(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["event"] == "op")
        .collect()
}

#[test]
fn creates_updates_and_deletes_show_their_state_in_both_outputs() {
    let t = Test::new();
    let old = t.file("old.txt", "bye\n");
    let ini = t.file("c.ini", "[p]\nk = v\n");
    let code = format!(
        "fs::mkdir(\"{d}/new\", #{{mode: \"750\"}}); \
         fs::write(\"{d}/new.txt\", \"line one\\n\"); \
         fs::remove(\"{old}\"); \
         ini::set_section(\"{ini}\", \"p\", #{{k: \"w\", secret_key: secret(\"S3cretValue42\")}}); ()",
        d = t.path().display(),
        old = old.display(),
        ini = ini.display()
    );
    let human = Test::new().args(["eval", "--check", "--diff", &code]).run();
    assert_eq!(human.code, 0, "{}", human.all());
    for expected in [
        "      + kind = directory",
        "      + mode = 0750",
        "      +line one",
        "      - kind = file",
        "      - size = 4 bytes",
        "      -k = v",
        "      +k = w",
    ] {
        assert!(
            human.stdout.contains(expected),
            "{expected:?} missing:\n{}",
            human.stdout
        );
    }
    assert!(!human.all().contains("S3cretValue42"), "{}", human.all());

    let json = Test::new()
        .args(["eval", "--check", "--diff", "--output", "json", &code])
        .run();
    assert_eq!(json.code, 0, "{}", json.all());
    let ops = ops(&json.stdout);
    assert_eq!(ops.len(), 4, "{}", json.stdout);
    for op in &ops {
        let diff = op["diff"].as_str().expect("every change has a diff");
        // The JSON text is what the human output indents under the op.
        for line in diff.lines() {
            assert!(human.stdout.contains(&format!("      {line}")), "{line:?}");
        }
    }
    assert!(!json.stdout.contains("S3cretValue42"));
    // Without --diff, no diff.
    let plain = Test::new()
        .args(["eval", "--check", "--output", "json", &code])
        .run();
    assert!(ops_of_plain_have_no_diff(&plain.stdout), "{}", plain.stdout);
}

fn ops_of_plain_have_no_diff(stdout: &str) -> bool {
    ops(stdout).iter().all(|o| o["diff"].is_null())
}
