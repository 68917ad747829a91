//! ARNs: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.

use super::{is_region, quoted};

pub fn check(text: &str) -> Result<(), String> {
    let fail = |rule: &str| {
        Err(format!(
            "{} is not an ARN: {rule}; an ARN reads arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, e.g. arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
            quoted(text)
        ))
    };
    if text.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return fail("it holds a space or a control character");
    }
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    if parts.len() < 6 || parts[0] != "arn" {
        return fail("it needs six ':'-separated fields starting with 'arn'");
    }
    let (partition, service, region, account, resource) =
        (parts[1], parts[2], parts[3], parts[4], parts[5]);
    if partition != "aws" && !partition.starts_with("aws-") {
        return fail("the partition is aws, aws-cn, aws-us-gov …");
    }
    let word = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if !word(service) {
        return fail("the service is lowercase, e.g. secretsmanager or iam");
    }
    if !region.is_empty() && !is_region(region) && region != "*" {
        return fail("the region is empty or a region such as us-east-1");
    }
    let account_ok = account.is_empty()
        || account == "aws"
        || account == "*"
        || (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()));
    if !account_ok {
        return fail("the account is empty or 12 digits");
    }
    if resource.is_empty() {
        return fail("the resource part is empty");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_arns() {
        for a in [
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
            "arn:aws:secretsmanager:*:123456789012:secret:alation/*",
            "arn:aws:iam::123456789012:user/alation-agent",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws-us-gov:s3:::bucket",
        ] {
            assert!(check(a).is_ok(), "{a}");
        }
    }

    #[test]
    fn refuses_non_arns_naming_the_rule() {
        for (a, rule) in [
            ("*", "six"),
            ("arn:aws:iam", "six"),
            ("arn:gcp:iam::123456789012:user/x", "partition"),
            ("arn:aws:IAM::123456789012:user/x", "service"),
            (
                "arn:aws:secretsmanager:mars:123456789012:secret:x",
                "region",
            ),
            ("arn:aws:iam::12345:user/x", "12 digits"),
            ("arn:aws:iam::123456789012:", "resource"),
            ("arn:aws:iam::123456789012:user/a b", "space"),
        ] {
            let e = check(a).unwrap_err();
            assert!(e.contains(rule), "{a}: {e}");
        }
    }
}
