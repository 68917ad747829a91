//! The playbook header: TOML in the leading `//!` comment lines of the script.
//!
//! ```text
//! //! summary = "Greets someone"
//! //! [needs]
//! //! root = false
//! //! commands = ["docker"]
//! //! [params.who]
//! //! type = "string"
//! //! default = "world"
//! //! help = "who to greet"
//! ```
//! Read as text, without compiling, so `show` works on a script that does not
//! compile and never runs anything.

use serde::Deserialize;

use super::params::{Check, ParamSpec, ParamType, kind_names};

#[derive(Debug, Clone, Default)]
pub struct Header {
    pub summary: String,
    pub description: String,
    pub needs: Needs,
    pub params: Vec<ParamSpec>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Needs {
    #[serde(default)]
    pub root: bool,
    #[serde(default)]
    pub commands: Vec<String>,
    /// What to tell the operator when a need is not met (e.g. "run it on the Alation Agent host").
    #[serde(default)]
    pub hint: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    #[serde(default)]
    summary: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    needs: Needs,
    #[serde(default)]
    params: toml::Table,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParam {
    #[serde(rename = "type", default = "default_type")]
    ty: String,
    default: Option<toml::Value>,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    help: String,
    /// With `type = "list"`: the type every item has (`items = "arn"`).
    items: Option<String>,
    /// With `type = "mode"`: allow setuid, setgid and sticky bits.
    #[serde(default)]
    special_bits: bool,
}

fn default_type() -> String {
    "string".into()
}

/// A header that does not parse, with the script line it comes from.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct HeaderError {
    /// 1-based line in the script.
    pub line: usize,
    pub message: String,
}

/// The `//!` lines at the top of the script, with their prefix removed, and
/// the script line number of the first one.
pub fn header_text(source: &str) -> (String, usize) {
    let mut text = String::new();
    let mut first = 0;
    for (i, line) in source.lines().enumerate() {
        let t = line.trim_start();
        if i == 0 && t.starts_with("#!") {
            continue;
        }
        if let Some(rest) = t.strip_prefix("//!") {
            if first == 0 {
                first = i + 1;
            }
            text.push_str(rest.strip_prefix(' ').unwrap_or(rest));
            text.push('\n');
        } else if t.is_empty() && first == 0 {
            continue;
        } else {
            break;
        }
    }
    (text, first.max(1))
}

/// Names the CLI itself reads from the environment (`RUNBOOK_PATH` …).
pub const RESERVED_PARAM_NAMES: &[&str] = &["path", "lock_file", "log"];

/// A module's `//!` prose (a stdlib module's documentation) is not a header:
/// a header starts with a TOML key or table.
fn looks_like_toml(text: &str) -> bool {
    let Some(first) = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
    else {
        return true;
    };
    if first.starts_with('[') {
        return true;
    }
    match first.split_once('=') {
        Some((key, _)) => {
            let key = key.trim();
            !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.\"".contains(c))
        }
        None => false,
    }
}

pub fn parse_header(source: &str) -> Result<Header, HeaderError> {
    let (text, first_line) = header_text(source);
    if !looks_like_toml(&text) {
        let summary = text.lines().next().unwrap_or_default().trim().to_string();
        return Ok(Header {
            summary,
            ..Header::default()
        });
    }
    let raw: RawHeader = toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map(|s| first_line + text[..s.start.min(text.len())].matches('\n').count())
            .unwrap_or(first_line);
        HeaderError {
            line,
            message: format!("playbook header (TOML in `//!` lines): {}", e.message()),
        }
    })?;
    let mut params = Vec::new();
    for (name, value) in raw.params {
        let err = |message: String| HeaderError {
            line: first_line,
            message,
        };
        if !valid_param_name(&name) {
            return Err(err(format!(
                "parameter name '{name}' is not valid: use lowercase letters, digits and '_', starting with a letter"
            )));
        }
        if RESERVED_PARAM_NAMES.contains(&name.as_str()) {
            return Err(err(format!(
                "parameter name '{name}' is reserved: RUNBOOK_{} is read by runbook itself; choose another name",
                name.to_uppercase()
            )));
        }
        let raw: RawParam = value
            .try_into()
            .map_err(|e: toml::de::Error| err(format!("parameter '{name}': {}", e.message())))?;
        let ty = param_type(&name, &raw).map_err(err)?;
        if let Some(d) = &raw.default {
            ty.from_toml(d).map_err(|m| {
                err(format!(
                    "parameter '{name}': its default does not fit its type: {m}"
                ))
            })?;
        }
        params.push(ParamSpec {
            name,
            ty,
            default: raw.default,
            required: raw.required,
            help: raw.help,
        });
    }
    Ok(Header {
        summary: raw.summary,
        description: raw.description,
        needs: raw.needs,
        params,
    })
}

/// The declared type, with its `items` and `special_bits` options.
fn param_type(name: &str, raw: &RawParam) -> Result<ParamType, String> {
    let unknown = |t: &str| {
        format!(
            "parameter '{name}': type '{t}' is not one of {}",
            kind_names()
        )
    };
    let ty = ParamType::parse(&raw.ty).ok_or_else(|| unknown(&raw.ty))?;
    let ty = match (ty, &raw.items) {
        (_, None) => ty,
        (ParamType::List(None), Some(item)) => match ParamType::parse(item) {
            Some(ParamType::Checked(c)) => ParamType::List(Some(c)),
            Some(ParamType::String) => ty,
            _ => {
                return Err(format!(
                    "parameter '{name}': items '{item}' is not a checked string type ({})",
                    Check::ALL
                        .iter()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        },
        _ => {
            return Err(format!(
                "parameter '{name}': items is only for type = \"list\""
            ));
        }
    };
    match (ty, raw.special_bits) {
        (_, false) => Ok(ty),
        (ParamType::Checked(Check::Mode { .. }), true) => {
            Ok(ParamType::Checked(Check::Mode { special: true }))
        }
        _ => Err(format!(
            "parameter '{name}': special_bits is only for type = \"mode\""
        )),
    }
}

pub fn valid_param_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_header_without_the_code() {
        let src = "//! summary = \"hi\"\n//! [params.who]\n//! default = \"world\"\n//! help = \"x\"\nlet x = 1;\n//! ignored = 1\n";
        let h = parse_header(src).unwrap();
        assert_eq!(h.summary, "hi");
        assert_eq!(h.params.len(), 1);
        assert_eq!(h.params[0].name, "who");
        assert_eq!(h.params[0].ty, ParamType::String);
    }

    #[test]
    fn points_at_the_bad_line() {
        let src = "// plain comment is not header\n";
        assert!(parse_header(src).unwrap().params.is_empty());
        let src = "\n//! summary = \"x\"\n//! [params.a]\n//! type = \"strin\"\n";
        let e = parse_header(src).unwrap_err();
        assert!(e.message.contains("'strin'"), "{}", e.message);
        let src = "//! summary = \"x\"\n//! oops\n";
        let e = parse_header(src).unwrap_err();
        assert_eq!(e.line, 2);
    }

    #[test]
    fn module_prose_is_not_a_header() {
        let h = parse_header(
            "//! The Alation Agent procedure in plain Rhai.\n//! More prose.\nfn f() {}\n",
        )
        .unwrap();
        assert_eq!(h.summary, "The Alation Agent procedure in plain Rhai.");
        assert!(parse_header("//! summary = \n//! x\n").is_err());
    }

    #[test]
    fn typed_params_and_their_options() {
        let h = parse_header(
            "//! [params.r]\n//! type = \"region\"\n//! [params.m]\n//! type = \"mode\"\n//! special_bits = true\n//! [params.a]\n//! type = \"list\"\n//! items = \"iam_resource\"\n",
        )
        .unwrap();
        let ty = |n: &str| h.params.iter().find(|p| p.name == n).unwrap().ty;
        assert_eq!(ty("r"), ParamType::Checked(Check::Region));
        assert_eq!(ty("m"), ParamType::Checked(Check::Mode { special: true }));
        assert_eq!(ty("a"), ParamType::List(Some(Check::IamResource)));
        let e = parse_header("//! [params.m]\n//! type = \"mode\"\n//! default = \"7777\"\n")
            .unwrap_err();
        assert!(e.message.contains("setuid"), "{}", e.message);
        let e = parse_header("//! [params.m]\n//! special_bits = true\n").unwrap_err();
        assert!(e.message.contains("only for type"), "{}", e.message);
        let e = parse_header("//! [params.m]\n//! type = \"regoin\"\n").unwrap_err();
        assert!(e.message.contains("profile_name"), "{}", e.message);
    }

    #[test]
    fn reserved_names_are_refused() {
        let e = parse_header("//! [params.path]\n").unwrap_err();
        assert!(e.message.contains("RUNBOOK_PATH"));
    }
}
