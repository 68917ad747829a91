//! `version::` — dotted version numbers.

use rhai::{FuncRegistration, Module};

use super::convert::{RhaiResult, host_error};
use crate::host::version;

pub fn module() -> Module {
    let mut m = Module::new();
    FuncRegistration::new("parse")
        .with_comments([
            "/// Parses a dotted version such as `1.7.2.4360` into an array of numbers.",
        ])
        .with_params_info(["text: &str", "Array"])
        .set_into_module(&mut m, |text: &str| -> RhaiResult<rhai::Array> {
            let v = version::parse(text).map_err(host_error)?;
            Ok(v.parts()
                .iter()
                .map(|p| rhai::Dynamic::from(*p as i64))
                .collect())
        });
    FuncRegistration::new("compare")
        .with_comments([
            "/// Compares two versions part by part (missing parts count as 0): -1, 0 or 1.",
            "///",
            "/// `version::compare(\"1.10\", \"1.9.9\") == 1`",
        ])
        .with_params_info(["a: &str", "b: &str", "i64"])
        .set_into_module(&mut m, |a: &str, b: &str| -> RhaiResult<i64> {
            let a = version::parse(a).map_err(host_error)?;
            let b = version::parse(b).map_err(host_error)?;
            Ok(version::compare(&a, &b) as i64)
        });
    FuncRegistration::new("at_least")
        .with_comments(["/// True when version `v` is `min` or later."])
        .with_params_info(["v: &str", "min: &str", "bool"])
        .set_into_module(&mut m, |v: &str, min: &str| -> RhaiResult<bool> {
            let v = version::parse(v).map_err(host_error)?;
            let min = version::parse(min).map_err(host_error)?;
            Ok(version::at_least(&v, &min))
        });
    FuncRegistration::new("find")
        .with_comments(["/// The first dotted version inside free text (a `--version` banner, a file name), or `()`."])
        .with_params_info(["text: &str", "String"])
        .set_into_module(&mut m, |text: &str| -> rhai::Dynamic {
            version::find_version(text).map(|v| v.to_string().into()).unwrap_or(rhai::Dynamic::UNIT)
        });
    m
}
