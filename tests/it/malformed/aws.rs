//! ARNs, regions, durations, profile names and AWS config files that are
//! wrong, against moto: each row must leave moto's state as it was.

use super::{Row, row, run};
use crate::common::moto::Moto;

fn eval(name: &str, code: &str) -> Row {
    row(name).args(["eval", code]).code(1)
}

const DOC: &str = r#"iam::policy_document(["secretsmanager:GetSecretValue"], ["*"])"#;

fn rows() -> Vec<Row> {
    let mut rows = Vec::new();
    for (what, arn, rule) in [
        (
            "not an ARN",
            "secret:x",
            "wrong number of ':'-separated parts",
        ),
        (
            "another partition",
            "arn:gcp:secretsmanager:us-east-1:123456789012:secret:x",
            "(unknown partition)",
        ),
        (
            "an uppercase service",
            "arn:aws:SecretsManager:us-east-1:123456789012:secret:x",
            "(service is not secretsmanager)",
        ),
        (
            "a made-up region",
            "arn:aws:secretsmanager:mars-1:123456789012:secret:x",
            "(region is missing or not an AWS region such as us-east-1)",
        ),
        (
            "a short account",
            "arn:aws:secretsmanager:us-east-1:12345:secret:x",
            "(account id must be 12 digits)",
        ),
        (
            "no resource",
            "arn:aws:secretsmanager:us-east-1:123456789012:",
            "wrong number of ':'-separated parts",
        ),
        (
            "a space",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:a b",
            "(secret name is missing or malformed)",
        ),
        (
            "a newline",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:a\\n[x]",
            "(secret name is missing or malformed)",
        ),
    ] {
        let code = format!(
            r#"iam::ensure_policy("malformed_p", iam::policy_document(["secretsmanager:GetSecretValue"], ["{arn}"]))"#
        );
        rows.push(eval(&format!("a policy Resource with {what}"), &code).says(rule));
    }
    rows.extend([
        eval("a policy name IAM refuses", &format!(r#"iam::ensure_policy("p/q", {DOC})"#))
            .says("iam::ensure_policy: 'p/q' is not an IAM policy name"),
        eval("a user name IAM refuses", r#"iam::ensure_user("a b")"#)
            .says("iam::ensure_user: 'a b' is not an IAM user name"),
        // Current behaviour: deleting what is not there is done already.
        eval("an access key id that is not one", r#"iam::delete_access_key("agent", "not-a-key")"#)
            .code(0)
            .says("access key not-a-key of user agent does not exist"),
        eval("a secret id with a space", r#"secrets::describe("a b") == ()"#)
            .prints("true"),
        eval("aws::configure with a region that is not one", r#"aws::configure(#{region: "us east 1"}); sts::whoami()"#)
            .says("aws::configure: region 'us east 1' is not an AWS region"),
        row("--aws-region that is not a region")
            .args(["eval", "--aws-region", "not a region", "sts::whoami()"])
            .says("invalid value 'not a region' for '--aws-region <REGION>'")
            .says("is not an AWS region"),
        row("--aws-region with a newline")
            .args(["eval", "--aws-region", "us-east-1\n[x]", "sts::whoami()"])
            .says("is not an AWS region"),
        row("--aws-profile with a ']'")
            .args(["eval", "--aws-profile", "a]b", "sts::whoami()"])
            .code(1)
            .says("AWS profile 'a]b' (from --aws-profile / aws::configure) is in neither the config nor the credentials file"),
        row("--aws-profile that no file defines")
            .file("config", "[profile admin]\nregion = us-east-1\n")
            .env("AWS_CONFIG_FILE", "{dir}/config")
            .env("AWS_SHARED_CREDENTIALS_FILE", "{dir}/credentials")
            .args(["eval", "--aws-profile", "nosuch", "sts::whoami()"])
            .code(1)
            .says("nosuch"),
        row("an AWS config file of binary garbage")
            .setup(|d| std::fs::write(d.dir.join("config"), b"\x7fELF\x00\xff\xfe").unwrap())
            .env("AWS_CONFIG_FILE", "{dir}/config")
            .args(["eval", "--aws-profile", "admin", "sts::whoami()"])
            .code(1)
            .says("config"),
        row("an AWS credentials file that is a FIFO")
            .setup(|d| super::mkfifo(&d.dir.join("credentials")))
            .env("AWS_SHARED_CREDENTIALS_FILE", "{dir}/credentials")
            .args(["eval", "--aws-profile", "admin", "sts::whoami()"])
            .code(1)
            .says("{dir}/credentials (the AWS shared credentials file) is a named pipe (FIFO), not a regular file"),
        eval("sleep without a unit", r#"sleep("5")"#).says("use a number with a unit"),
        eval("sleep for a negative time", r#"sleep("-1s")"#).says("-1s"),
        eval("sleep for an absurd time", r#"sleep("99999999999999999999h")"#).says("at most 24h"),
        eval("sleep for an empty time", r#"sleep("")"#).says("duration"),
        eval("a process timeout that is not a duration", r#"proc::run("true", [], #{timeout: "soon"})"#)
            .says("soon"),
    ]);
    rows
}

#[test]
fn bad_arns_regions_durations_and_profiles_change_nothing_in_aws() {
    let Some(_moto) = Moto::fresh() else { return };
    run("aws", rows(), true);
}
