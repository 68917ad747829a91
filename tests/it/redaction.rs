//! A child that transforms a secret (issue 18, item 6): its common encodings
//! are masked too, and a warning says the rest is the script's to avoid.

use crate::common::Test;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

#[test]
fn a_secret_fed_to_a_child_is_masked_in_base64_hex_and_upper_case() {
    let code = format!(
        r#"let s = secret("{SECRET}");
let r = proc::run("sh", ["-c", "cat > in; base64 in; tr a-z A-Z < in; echo; od -An -tx1 -v in | tr -d ' \\n'"], #{{stdin: s}});
r.stdout"#
    );
    let t = Test::new().args(["eval", &code]);
    let out = t.run();
    assert_eq!(out.code, 0, "{out:?}");
    let hex: String = SECRET.bytes().map(|b| format!("{b:02x}")).collect();
    for form in [
        "d0phbHJYVXRuRkVNSS9LN01ERU5HK2JQeFJmaUNZRVhBTVBMRUtFWQ==",
        &SECRET.to_uppercase(),
        &hex,
    ] {
        assert_not_contains!(out.all(), form);
    }
    assert_contains!(out.stdout, "********");
    assert_contains!(out.all(), "got a secret on stdin and wrote to stdout");
}
