//! `time::` — timestamps as RFC 3339 UTC strings (glue over host::time).

use rhai::{FuncRegistration, Module};

use super::convert::{RhaiResult, host_error};
use crate::host::{parse_duration, time};

pub fn module() -> Module {
    let mut m = Module::new();
    FuncRegistration::new("now")
        .with_comments([
            "/// The current time, to the second, as an RFC 3339 UTC string: `2026-12-02T19:44:04Z`.",
            "/// A read: check mode returns the real time too.",
        ])
        .with_params_info(["String"])
        .set_into_module(&mut m, time::now);
    FuncRegistration::new("format")
        .with_comments([
            "/// Timestamp `t` (RFC 3339) written in UTC with a strftime format.",
            "///",
            "/// `time::format(time::now(), \"%Y-%m-%d\")` -> `\"2026-12-02\"`; an unknown `%` directive is an error.",
        ])
        .with_params_info(["t: &str", "fmt: &str", "String"])
        .set_into_module(&mut m, |t: &str, fmt: &str| -> RhaiResult<String> {
            time::format(t, fmt).map_err(host_error)
        });
    FuncRegistration::new("parse")
        .with_comments([
            "/// Reads an RFC 3339 timestamp with any offset and returns it in UTC.",
            "///",
            "/// `time::parse(\"2026-12-02T21:44:04+02:00\")` -> `\"2026-12-02T19:44:04Z\"`",
        ])
        .with_params_info(["text: &str", "String"])
        .set_into_module(&mut m, |text: &str| -> RhaiResult<String> {
            time::parse(text, None).map_err(host_error)
        });
    FuncRegistration::new("parse")
        .with_comments([
            "/// Reads `text` written in the strftime format `fmt` (UTC unless it has an offset).",
            "///",
            "/// `time::parse(\"02/12/2026 19:44\", \"%d/%m/%Y %H:%M\")` -> `\"2026-12-02T19:44:00Z\"`",
        ])
        .with_params_info(["text: &str", "fmt: &str", "String"])
        .set_into_module(&mut m, |text: &str, fmt: &str| -> RhaiResult<String> {
            time::parse(text, Some(fmt)).map_err(host_error)
        });
    FuncRegistration::new("since")
        .with_comments([
            "/// Whole seconds from timestamp `t` until now (negative for a time in the future).",
            "///",
            "/// `if time::since(receipt.created) > 90 * 86400 { warn(\"key older than 90 days\") }`",
        ])
        .with_params_info(["t: &str", "i64"])
        .set_into_module(&mut m, |t: &str| -> RhaiResult<i64> {
            time::since(t).map_err(host_error)
        });
    FuncRegistration::new("add")
        .with_comments([
            "/// Timestamp `t` moved forward by a duration such as `\"90s\"`, `\"2h\"`, `\"1h30m\"`.",
            "///",
            "/// `time::add(time::now(), \"24h\")` is this time tomorrow.",
        ])
        .with_params_info(["t: &str", "duration: &str", "String"])
        .set_into_module(&mut m, |t: &str, d: &str| -> RhaiResult<String> {
            let d = parse_duration(d).map_err(host_error)?;
            time::add(t, d, false).map_err(host_error)
        });
    FuncRegistration::new("sub")
        .with_comments([
            "/// Timestamp `t` moved back by a duration such as `\"90s\"`, `\"2h\"`, `\"1h30m\"`.",
        ])
        .with_params_info(["t: &str", "duration: &str", "String"])
        .set_into_module(&mut m, |t: &str, d: &str| -> RhaiResult<String> {
            let d = parse_duration(d).map_err(host_error)?;
            time::add(t, d, true).map_err(host_error)
        });
    FuncRegistration::new("seconds")
        .with_comments([
            "/// A duration such as `\"1h30m\"` in seconds, to compare with `time::since`.",
            "///",
            "/// `time::since(t) > time::seconds(\"2160h\")` (90 days; the units are ms, s, m and h)",
        ])
        .with_params_info(["duration: &str", "i64"])
        .set_into_module(&mut m, |d: &str| -> RhaiResult<i64> {
            Ok(parse_duration(d).map_err(host_error)?.as_secs() as i64)
        });
    m
}
