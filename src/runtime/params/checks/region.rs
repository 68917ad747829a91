//! AWS region names: `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`, `us-isob-east-1`.

use super::quoted;

/// Two letters, one to three words of letters, a number: the shape every
/// AWS region has had; a new region of that shape passes without a list update.
pub fn is_region(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    if parts.len() < 3 || parts.len() > 5 || text.len() > 32 {
        return false;
    }
    let lower = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase());
    let last = parts[parts.len() - 1];
    parts[0].len() == 2
        && lower(parts[0])
        && parts[1..parts.len() - 1].iter().all(|p| lower(p))
        && (1..=2).contains(&last.len())
        && last.bytes().all(|b| b.is_ascii_digit())
}

pub fn check(text: &str) -> Result<(), String> {
    if is_region(text) {
        return Ok(());
    }
    Err(format!(
        "{} is not an AWS region: a region is lowercase words and a number joined by '-', e.g. us-east-1 or eu-central-1; `aws ec2 describe-regions` lists them",
        quoted(text)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_real_regions() {
        for r in [
            "us-east-1",
            "eu-central-2",
            "ap-southeast-4",
            "us-gov-west-1",
            "cn-northwest-1",
            "us-isob-east-1",
            "il-central-1",
        ] {
            assert!(check(r).is_ok(), "{r}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_region() {
        for r in [
            "not a region",
            "",
            "us-east",
            "US-EAST-1",
            "us-east-1 ",
            "us_east_1",
            "useast-1",
            "us-east-1\n[x]",
            "us--1",
            "us-east-123",
        ] {
            let e = check(r).unwrap_err();
            assert!(e.contains("us-east-1"), "{r}: {e}");
        }
    }
}
