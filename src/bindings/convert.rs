//! Conversions between Rhai values and host types, and host errors into Rhai errors.

use rhai::{Dynamic, EvalAltResult, Map, Position};

use std::time::Duration;

use serde::Serialize;

use crate::host::{ErrorKind, HostError, Planned, Unknown, parse_duration};
use crate::secret::Secret;

pub type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// A host error as a catchable Rhai error whose value is `#{kind, message, hint}`.
/// Cancellation is not catchable: it becomes Rhai's termination.
pub fn host_error(e: HostError) -> Box<EvalAltResult> {
    if e.kind == ErrorKind::Cancelled {
        return Box::new(EvalAltResult::ErrorTerminated(
            "interrupted".into(),
            Position::NONE,
        ));
    }
    let mut map = Map::new();
    map.insert("kind".into(), e.kind.as_str().into());
    map.insert("message".into(), e.message.into());
    if let Some(h) = e.hint {
        map.insert("hint".into(), h.into());
    }
    Box::new(EvalAltResult::ErrorRuntime(map.into(), Position::NONE))
}

/// An `invalid_input` error for a bad argument.
pub fn invalid(message: impl Into<String>) -> Box<EvalAltResult> {
    host_error(HostError::invalid(message))
}

/// A string argument that may also be an `Unknown` (a check-mode placeholder).
pub fn planned_str(value: &Dynamic, what: &str) -> RhaiResult<Planned<String>> {
    if value.is::<Unknown>() {
        return Ok(Planned::Unknown);
    }
    value
        .clone()
        .into_string()
        .map(Planned::Known)
        .map_err(|t| invalid(format!("{what} must be a string, not {t}")))
}

/// A value that may exist only after apply, as scripts see it.
pub fn planned_value(p: &Planned<String>) -> Dynamic {
    match p {
        Planned::Known(s) => s.clone().into(),
        Planned::Unknown => Dynamic::from(Unknown),
    }
}

/// A host struct as the map a script gets, field by field (`Option::None` is `()`).
pub fn to_map<T: Serialize>(value: &T) -> RhaiResult<Map> {
    rhai::serde::to_dynamic(value)?
        .try_cast::<Map>()
        .ok_or_else(|| invalid("internal: a host value did not convert to a map"))
}

/// An optional host value: the map, or `()` when there is none.
pub fn to_map_or_unit<T: Serialize>(value: Option<&T>) -> RhaiResult<Dynamic> {
    value.map_or(Ok(Dynamic::UNIT), |v| to_map(v).map(Dynamic::from))
}

/// Text that may be given as a string or a `Secret`; secrets stay secrets.
pub enum Text {
    Plain(String),
    Secret(Secret),
}

impl Text {
    pub fn as_str(&self) -> &str {
        match self {
            Text::Plain(s) => s,
            Text::Secret(s) => s.expose(),
        }
    }
}

pub fn text(value: &Dynamic, what: &str) -> RhaiResult<Text> {
    if let Some(s) = value.clone().try_cast::<Secret>() {
        return Ok(Text::Secret(s));
    }
    value
        .clone()
        .into_string()
        .map(Text::Plain)
        .map_err(|t| invalid(format!("{what} must be a string or a Secret, not {t}")))
}

/// Reads an option from an opts map, with a type check that names the option.
pub fn opt_str(opts: &Map, key: &str) -> RhaiResult<Option<String>> {
    match opts.get(key) {
        None => Ok(None),
        Some(v) if v.is_unit() => Ok(None),
        Some(v) => v
            .clone()
            .into_string()
            .map(Some)
            .map_err(|t| invalid(format!("option '{key}' must be a string, not {t}"))),
    }
}

pub fn opt_bool(opts: &Map, key: &str) -> RhaiResult<Option<bool>> {
    match opts.get(key) {
        None => Ok(None),
        Some(v) if v.is_unit() => Ok(None),
        Some(v) => v
            .as_bool()
            .map(Some)
            .map_err(|t| invalid(format!("option '{key}' must be true or false, not {t}"))),
    }
}

pub fn opt_int(opts: &Map, key: &str) -> RhaiResult<Option<i64>> {
    match opts.get(key) {
        None => Ok(None),
        Some(v) if v.is_unit() => Ok(None),
        Some(v) => v
            .as_int()
            .map(Some)
            .map_err(|t| invalid(format!("option '{key}' must be an integer, not {t}"))),
    }
}

/// `timeout` from an opts map: a duration string like `"90s"` or seconds as an integer.
pub fn opt_timeout(opts: &Map, default: Duration) -> RhaiResult<Duration> {
    match opts.get("timeout") {
        None => Ok(default),
        Some(v) if v.is_unit() => Ok(default),
        Some(v) if v.is_int() => {
            let s = v.as_int().unwrap_or(0);
            u64::try_from(s)
                .map(Duration::from_secs)
                .map_err(|_| invalid(format!("option 'timeout' must not be negative, got {s}")))
        }
        Some(_) => {
            let s = opt_str(opts, "timeout")?.unwrap_or_default();
            parse_duration(&s).map_err(host_error)
        }
    }
}

/// Refuses option names the function does not know, so a typo is not ignored.
pub fn check_opts(opts: &Map, function: &str, known: &[&str]) -> RhaiResult<()> {
    for key in opts.keys() {
        if !known.contains(&key.as_str()) {
            return Err(invalid(format!(
                "{function}: unknown option '{key}'; known options: {}",
                known.join(", ")
            )));
        }
    }
    Ok(())
}

/// An array of strings from a Rhai array.
pub fn string_list(value: &Dynamic, what: &str) -> RhaiResult<Vec<String>> {
    if let Ok(s) = value.clone().into_string() {
        return Ok(vec![s]);
    }
    let arr = value
        .clone()
        .try_cast::<rhai::Array>()
        .ok_or_else(|| invalid(format!("{what} must be a string or an array of strings")))?;
    arr.into_iter()
        .map(|v| {
            v.into_string()
                .map_err(|t| invalid(format!("{what}: item is a {t}, not a string")))
        })
        .collect()
}
