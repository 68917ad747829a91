//! Timestamps for playbooks: RFC 3339 UTC strings in and out, so a receipt
//! or a log line carries a value that sorts and parses everywhere. The
//! calendar arithmetic is jiff's; nothing here does date maths by hand.

use std::time::Duration;

use jiff::fmt::strtime;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::{HostError, HostResult};

/// Now, to the second, as `2026-12-02T19:44:04Z`. A read: check mode too.
pub fn now() -> String {
    render(truncate(Timestamp::now()))
}

/// A timestamp as RFC 3339 in UTC, to the second unless it has a fraction.
fn render(t: Timestamp) -> String {
    t.to_string()
}

fn truncate(t: Timestamp) -> Timestamp {
    Timestamp::from_second(t.as_second()).unwrap_or(t)
}

/// Reads an RFC 3339 timestamp (any offset), or, with `fmt`, text in that
/// strftime format; the result is RFC 3339 UTC.
pub fn parse(text: &str, fmt: Option<&str>) -> HostResult<String> {
    timestamp(text, fmt).map(render)
}

fn timestamp(text: &str, fmt: Option<&str>) -> HostResult<Timestamp> {
    let t = text.trim();
    match fmt {
        None => t.parse::<Timestamp>().map_err(|e| {
            HostError::invalid(format!(
                "time {text:?} is not an RFC 3339 timestamp ({e})"
            ))
            .with_hint("write it like 2026-12-02T19:44:04Z, or give its format: time::parse(text, \"%d/%m/%Y %H:%M\")")
        }),
        Some(f) => {
            let parsed = strtime::parse(f, t).map_err(|e| {
                HostError::invalid(format!("time {text:?} does not match the format {f:?}: {e}"))
            })?;
            // A format without an offset means UTC, the default everywhere here.
            parsed
                .to_timestamp()
                .or_else(|_| {
                    parsed
                        .to_datetime()
                        .and_then(|dt| dt.to_zoned_datetime(TimeZone::UTC))
                        .map(|z| z.timestamp())
                })
                .map_err(|e| {
                    HostError::invalid(format!(
                        "time {text:?} read with {f:?} is not a full date and time: {e}"
                    ))
                })
        }
    }
}

/// The timestamp `t` written with the strftime format `fmt`, in UTC.
pub fn format(t: &str, fmt: &str) -> HostResult<String> {
    let zoned = timestamp(t, None)?.to_zoned_datetime(TimeZone::UTC);
    strtime::format(fmt, &zoned).map_err(|e| {
        HostError::invalid(format!("time format {fmt:?} is not valid: {e}"))
            .with_hint("use strftime directives such as %Y-%m-%d %H:%M:%S (see `runbook doc time`)")
    })
}

/// Whole seconds from `t` until now (negative when `t` is in the future).
pub fn since(t: &str) -> HostResult<i64> {
    let then = timestamp(t, None)?;
    Ok(truncate(Timestamp::now()).duration_since(then).as_secs())
}

/// `t` moved by `duration` (`"90s"`, `"1h30m"`), forwards or, with `back`, backwards.
pub fn add(t: &str, duration: Duration, back: bool) -> HostResult<String> {
    let d = SignedDuration::try_from(duration)
        .map_err(|e| HostError::invalid(format!("duration too large: {e}")))?;
    let d = if back { -d } else { d };
    timestamp(t, None)?
        .checked_add(d)
        .map(render)
        .map_err(|e| HostError::invalid(format!("{t} moved by {d}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::ErrorKind;

    #[test]
    fn now_is_rfc3339_utc_to_the_second() {
        let n = now();
        assert!(n.ends_with('Z') && n.len() == 20, "{n}");
        assert_eq!(parse(&n, None).unwrap(), n);
    }

    #[test]
    fn parse_normalises_to_utc() {
        assert_eq!(
            parse("2026-12-02T21:44:04+02:00", None).unwrap(),
            "2026-12-02T19:44:04Z"
        );
        assert_eq!(
            parse("02/12/2026 19:44", Some("%d/%m/%Y %H:%M")).unwrap(),
            "2026-12-02T19:44:00Z"
        );
        let e = parse("yesterday", None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        assert!(e.message.contains("RFC 3339") && e.hint.is_some());
    }

    #[test]
    fn format_in_utc() {
        let t = "2026-12-02T21:44:04+02:00";
        assert_eq!(format(t, "%Y-%m-%d %H:%M").unwrap(), "2026-12-02 19:44");
        assert_eq!(format(t, "%Y%m%dT%H%M%SZ").unwrap(), "20261202T194404Z");
    }

    #[test]
    fn a_bad_format_string_is_a_clear_error() {
        let e = format("2026-12-02T19:44:04Z", "%Y-%!").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        assert!(
            e.message.contains("\"%Y-%!\"") && e.message.contains("directive"),
            "{}",
            e.message
        );
        assert!(e.hint.is_some());
    }

    #[test]
    fn since_and_add() {
        let an_hour_ago = add(&now(), Duration::from_secs(3600), true).unwrap();
        let s = since(&an_hour_ago).unwrap();
        assert!((3600..3603).contains(&s), "{s}");
        assert_eq!(
            add("2026-12-31T23:30:00Z", Duration::from_secs(5400), false).unwrap(),
            "2027-01-01T01:00:00Z"
        );
        assert!(since("soon").is_err());
    }
}
