//! Durations as operators write them: `"90s"`, `"2m"`, `"1h30m"`, `"500ms"`.
//! A unit is always required (`"5"` could be seconds or minutes), and a
//! duration is at most [`MAX_DURATION`]: a longer wait in a runbook is a typo.

use std::time::Duration;

use super::{HostError, HostResult};

/// The longest duration any wait, timeout or `sleep` takes.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 3600);

pub fn parse_duration(text: &str) -> HostResult<Duration> {
    let too_long = || {
        HostError::invalid(format!(
            "duration '{text}' is too long: a duration is at most {}; did you mean a smaller number or unit?",
            format_duration(MAX_DURATION)
        ))
    };
    let bad = || {
        HostError::invalid(format!(
            "duration '{text}' is not valid: use a number with a unit, e.g. \"30s\", \"2m\", \"1h30m\", \"500ms\""
        ))
    };
    let t = text.trim();
    if t.is_empty() {
        return Err(bad());
    }
    let mut total = Duration::ZERO;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(bad());
        }
        // More digits than u64 holds is far past the bound, not a syntax error.
        let n: u64 = rest[..digits].parse().map_err(|_| too_long())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let part = match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.saturating_mul(60)),
            "h" => Duration::from_secs(n.saturating_mul(3600)),
            _ => return Err(bad()),
        };
        total = total.saturating_add(part);
        if total > MAX_DURATION {
            return Err(too_long());
        }
    }
    Ok(total)
}

/// `2m5s`-style rendering for messages.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let s = d.as_secs();
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s}s"),
        (h, 0, 0) => format!("{h}h"),
        (h, m, _) => format!("{h}h{m}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_operators_write() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("24h").unwrap(), MAX_DURATION);
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        for bad in ["", "m", "2x", "1.5m", "-3s", "5 m", "5", "1m30"] {
            let e = parse_duration(bad).unwrap_err();
            assert!(e.message.contains("e.g."), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn refuses_absurd_durations_naming_the_bound() {
        for long in [
            "25h",
            "99999999999999999999999h",
            "18446744073709551615h",
            "1441m",
        ] {
            let e = parse_duration(long).unwrap_err();
            assert!(e.message.contains("at most 24h"), "{long}: {}", e.message);
        }
    }

    #[test]
    fn formats_compactly() {
        assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(format_duration(Duration::from_secs(125)), "2m5s");
        assert_eq!(format_duration(Duration::from_secs(300)), "5m");
    }
}
