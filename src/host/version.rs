//! Dotted version numbers of any length, compared part by part.
//!
//! The Agent (`1.7.2.4360`), the add-on (`5.14.0.1968`) and the Cloud Service
//! (`2024.1.5`) all use this form; a missing part counts as 0.

use std::cmp::Ordering;

use super::{HostError, HostResult};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version(Vec<u64>);

impl Version {
    pub fn parts(&self) -> &[u64] {
        &self.0
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(u64::to_string).collect();
        f.write_str(&parts.join("."))
    }
}

/// Parses `1.7.2.4360`, also with a leading `v` or trailing text after a space
/// (`kratos version 1.7.2.4360` is handled by [`find_version`]).
pub fn parse(text: &str) -> HostResult<Version> {
    let t = text.trim();
    let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
    if t.is_empty() {
        return Err(HostError::invalid(
            "version is empty: expected dotted numbers such as 1.7.2.4360",
        ));
    }
    t.split('.')
        .map(|p| p.parse::<u64>())
        .collect::<Result<Vec<_>, _>>()
        .map(Version)
        .map_err(|_| {
            HostError::invalid(format!(
                "version '{text}' is not valid: expected dotted numbers such as 1.7.2.4360"
            ))
        })
}

/// The first dotted number (at least two parts) inside free text, such as a
/// `--version` banner.
pub fn find_version(text: &str) -> Option<Version> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map(|w| w.trim_matches('.'))
        .filter(|w| w.contains('.'))
        .find_map(|w| parse(w).ok())
}

pub fn compare(a: &Version, b: &Version) -> Ordering {
    let n = a.0.len().max(b.0.len());
    (0..n)
        .map(|i| {
            let x = a.0.get(i).copied().unwrap_or(0);
            let y = b.0.get(i).copied().unwrap_or(0);
            x.cmp(&y)
        })
        .find(|o| *o != Ordering::Equal)
        .unwrap_or(Ordering::Equal)
}

pub fn at_least(v: &Version, min: &Version) -> bool {
    compare(v, min) != Ordering::Less
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        parse(s).unwrap()
    }

    #[test]
    fn compares_part_by_part_with_missing_parts_as_zero() {
        assert_eq!(compare(&v("1.7.2.4360"), &v("1.7.2.4360")), Ordering::Equal);
        assert_eq!(compare(&v("1.7.2"), &v("1.7.2.0")), Ordering::Equal);
        assert_eq!(compare(&v("1.10"), &v("1.9.9")), Ordering::Greater);
        assert_eq!(
            compare(&v("5.14.0.1882"), &v("5.14.0.1968")),
            Ordering::Less
        );
        assert!(at_least(&v("2024.1.5"), &v("2024.1.5")));
        assert!(!at_least(&v("2024.1.4"), &v("2024.1.5")));
    }

    #[test]
    fn finds_versions_in_banners() {
        assert_eq!(
            find_version("kratos version 1.7.2.4360 (abc)").unwrap(),
            v("1.7.2.4360")
        );
        assert_eq!(
            find_version("auth-service-docker-image-5.14.0.1968.tar.gz").unwrap(),
            v("5.14.0.1968")
        );
        assert!(find_version("no digits").is_none());
    }

    #[test]
    fn rejects_non_numeric_parts() {
        let e = parse("1.x.3").unwrap_err();
        assert!(e.message.contains("'1.x.3'"));
        assert!(parse("").is_err());
    }
}
