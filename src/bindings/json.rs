//! `to_json()` that knows runbook's own types. Rhai's built-in one prints a
//! custom type's Rust path (`"runbook::host::unknown::Unknown"`), which then
//! ends up in receipts and in `--diff` as planned file content.

use rhai::{Array, Dynamic, Engine, FuncRegistration, Map};
use serde_json::Value;

use super::convert::{RhaiResult, host_error};
use crate::host::{KNOWN_AFTER_APPLY, Mode, Unknown, placeholder_in_apply};
use crate::secret::{MASK, Secret};

/// A script value as JSON. An `Unknown` is `"(known after apply)"` in check
/// mode and an error in apply mode (the text would be written as if it were
/// the value); a `Secret` is its mask.
pub fn to_json_value(v: &Dynamic, mode: Mode) -> RhaiResult<Value> {
    if v.is::<Unknown>() {
        if mode.is_apply() {
            return Err(host_error(placeholder_in_apply("to_json")));
        }
        return Ok(Value::String(KNOWN_AFTER_APPLY.into()));
    }
    if v.is::<Secret>() {
        return Ok(Value::String(MASK.into()));
    }
    if v.is_unit() {
        return Ok(Value::Null);
    }
    if let Ok(b) = v.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Ok(i) = v.as_int() {
        return Ok(Value::from(i));
    }
    if let Ok(f) = v.as_float() {
        return Ok(serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number));
    }
    if let Some(s) = v.read_lock::<rhai::ImmutableString>() {
        return Ok(Value::String(s.to_string()));
    }
    if let Ok(c) = v.as_char() {
        return Ok(Value::String(c.to_string()));
    }
    if let Some(m) = v.read_lock::<Map>() {
        return map_value(&m, mode);
    }
    if let Some(a) = v.read_lock::<Array>() {
        return a
            .iter()
            .map(|x| to_json_value(x, mode))
            .collect::<RhaiResult<Vec<_>>>()
            .map(Value::Array);
    }
    if let Some(b) = v.read_lock::<rhai::Blob>() {
        return Ok(Value::Array(b.iter().map(|x| Value::from(*x)).collect()));
    }
    // Anything else (a function pointer, a timestamp) as the text it shows.
    Ok(Value::String(v.to_string()))
}

fn map_value(m: &Map, mode: Mode) -> RhaiResult<Value> {
    let mut out = serde_json::Map::new();
    for (k, v) in m {
        out.insert(k.to_string(), to_json_value(v, mode)?);
    }
    Ok(Value::Object(out))
}

/// Registers `to_json` for maps and arrays; the engine's own functions take
/// precedence over the standard package's.
pub fn register(engine: &mut Engine, mode: Mode) {
    FuncRegistration::new("to_json")
        .with_comments([
            "/// The map as JSON text. A `Secret` appears as its mask, a value known only after",
            "/// apply as `\"(known after apply)\"` (in apply mode such a value is an error).",
            "///",
            "/// `fs::write(\"/root/receipt.json\", #{user: user, key_id: key.id}.to_json())`",
        ])
        .with_params_info(["map: Map", "String"])
        .register_into_engine(engine, move |m: &mut Map| -> RhaiResult<String> {
            Ok(map_value(m, mode)?.to_string())
        });
    FuncRegistration::new("to_json")
        .with_comments(["/// The array as JSON text; see `to_json` of a map."])
        .with_params_info(["array: Array", "String"])
        .register_into_engine(engine, move |a: &mut Array| -> RhaiResult<String> {
            let v: Dynamic = a.clone().into();
            Ok(to_json_value(&v, mode)?.to_string())
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Dynamic {
        let mut m = Map::new();
        m.insert("id".into(), Dynamic::from(Unknown));
        m.insert("secret".into(), Dynamic::from(Secret::new("hunter2")));
        m.insert("n".into(), Dynamic::from(3_i64));
        m.insert(
            "list".into(),
            vec![Dynamic::from("a"), Dynamic::UNIT].into(),
        );
        m.into()
    }

    // Regression: Rhai's to_json printed "runbook::host::unknown::Unknown".
    #[test]
    fn unknown_and_secret_serialise_as_their_placeholders() {
        let v = to_json_value(&sample(), Mode::Check).unwrap();
        assert_eq!(
            v.to_string(),
            r#"{"id":"(known after apply)","list":["a",null],"n":3,"secret":"********"}"#
        );
    }

    #[test]
    fn an_unknown_cannot_be_serialised_in_apply_mode() {
        let e = to_json_value(&sample(), Mode::Apply).unwrap_err();
        assert!(e.to_string().contains("known after apply"), "{e}");
    }
}
