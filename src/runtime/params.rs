//! Parameters: declared types, the sources a value comes from, validation.
//!
//! Precedence, highest first: `--set`, `--vars` file, `RUNBOOK_<NAME>`,
//! an interactive prompt on a TTY, the declared default.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::secret::Secret;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamType {
    String,
    Int,
    Bool,
    List,
    Secret,
}

#[derive(Clone, Debug)]
pub struct ParamSpec {
    pub name: String,
    pub ty: ParamType,
    pub default: Option<toml::Value>,
    pub required: bool,
    pub help: String,
}

impl ParamSpec {
    pub fn env_name(&self) -> String {
        env_name(&self.name)
    }
}

pub fn env_name(name: &str) -> String {
    format!("RUNBOOK_{}", name.to_uppercase())
}

#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    String(String),
    Int(i64),
    Bool(bool),
    List(Vec<String>),
    Secret(Secret),
}

impl ParamType {
    pub fn parse(s: &str) -> Option<ParamType> {
        Some(match s {
            "string" => ParamType::String,
            "int" => ParamType::Int,
            "bool" => ParamType::Bool,
            "list" => ParamType::List,
            "secret" => ParamType::Secret,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Int => "int",
            ParamType::Bool => "bool",
            ParamType::List => "list",
            ParamType::Secret => "secret",
        }
    }

    /// A value typed on the command line or in the environment.
    pub fn from_text(self, text: &str) -> Result<ParamValue, String> {
        match self {
            ParamType::String => Ok(ParamValue::String(text.to_string())),
            ParamType::Secret => Ok(ParamValue::Secret(Secret::new(text))),
            ParamType::Int => text
                .trim()
                .parse()
                .map(ParamValue::Int)
                .map_err(|_| format!("'{text}' is not an integer")),
            ParamType::Bool => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" | "on" => Ok(ParamValue::Bool(true)),
                "false" | "no" | "0" | "off" => Ok(ParamValue::Bool(false)),
                _ => Err(format!("'{text}' is not a boolean (true or false)")),
            },
            ParamType::List => {
                let t = text.trim();
                if t.starts_with('[') {
                    let doc: toml::Table = toml::from_str(&format!("v = {t}")).map_err(|e| {
                        format!("'{text}' is not a TOML array of strings: {}", e.message())
                    })?;
                    self.from_toml(&doc["v"])
                } else if t.is_empty() {
                    Ok(ParamValue::List(Vec::new()))
                } else {
                    Ok(ParamValue::List(
                        t.split(',').map(|s| s.trim().to_string()).collect(),
                    ))
                }
            }
        }
    }

    /// A value from a `--vars` file or a header default.
    pub fn from_toml(self, v: &toml::Value) -> Result<ParamValue, String> {
        use toml::Value as V;
        match (self, v) {
            (ParamType::String, V::String(s)) => Ok(ParamValue::String(s.clone())),
            (ParamType::Secret, V::String(s)) => Ok(ParamValue::Secret(Secret::new(s.clone()))),
            (ParamType::Int, V::Integer(i)) => Ok(ParamValue::Int(*i)),
            (ParamType::Bool, V::Boolean(b)) => Ok(ParamValue::Bool(*b)),
            (ParamType::List, V::Array(items)) => items
                .iter()
                .map(|i| match i {
                    V::String(s) => Ok(s.clone()),
                    other => Err(format!("list item {other} is not a string")),
                })
                .collect::<Result<_, _>>()
                .map(ParamValue::List),
            (ParamType::List, V::String(s)) => self.from_text(s),
            (ty, other) => Err(format!(
                "{} is a {}, expected {}",
                describe(other),
                other.type_str(),
                ty.as_str()
            )),
        }
    }
}

fn describe(v: &toml::Value) -> String {
    match v {
        toml::Value::String(_) => "the value".into(),
        other => other.to_string(),
    }
}

/// A parameter problem: exit code 2, nothing run.
#[derive(Debug, thiserror::Error)]
pub enum ParamError {
    #[error(
        "unknown parameter '{name}' given with {source_name}; this playbook declares: {declared}"
    )]
    Unknown {
        name: String,
        source_name: String,
        declared: String,
    },
    #[error("parameter '{name}' from {source_name}: {message}")]
    WrongType {
        name: String,
        source_name: String,
        message: String,
    },
    #[error(
        "parameter '{name}' is required: pass --set {name}=… , put it in a --vars file, or set {env}{extra}"
    )]
    Missing {
        name: String,
        env: String,
        extra: String,
    },
    #[error("--set '{0}' is not of the form name=value")]
    BadSet(String),
    #[error("--vars file {path}: {message}")]
    VarsFile { path: PathBuf, message: String },
}

/// Looks up `RUNBOOK_<NAME>`.
pub type EnvLookup = Box<dyn Fn(&str) -> Option<String>>;
/// Asks the operator for a missing value.
pub type Prompt = Box<dyn Fn(&ParamSpec) -> std::io::Result<ParamValue>>;

/// Where values can come from, gathered by the CLI.
#[derive(Default)]
pub struct ParamSources {
    pub sets: Vec<String>,
    pub vars_file: Option<PathBuf>,
    /// Looks up `RUNBOOK_<NAME>`; a function so tests need not touch the process env.
    pub env: Option<EnvLookup>,
    /// Asks for a missing value on a TTY; `None` when there is no TTY.
    pub prompt: Option<Prompt>,
}

/// Resolved values, plus warnings to show before the run.
#[derive(Default, Debug)]
pub struct Resolved {
    pub values: BTreeMap<String, Option<ParamValue>>,
    pub warnings: Vec<String>,
}

pub fn split_set(set: &str) -> Result<(&str, &str), ParamError> {
    match set.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim(), v)),
        _ => Err(ParamError::BadSet(set.to_string())),
    }
}

pub fn read_vars_file(path: &Path) -> Result<toml::Table, ParamError> {
    // A regular file only: a FIFO would block the start of the run.
    let text = crate::host::fs::read_operator_file(path).map_err(|e| ParamError::VarsFile {
        path: path.to_path_buf(),
        message: e.message,
    })?;
    toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        let at = line.map(|l| format!("line {l}: ")).unwrap_or_default();
        ParamError::VarsFile {
            path: path.to_path_buf(),
            message: format!("{at}{}", e.message()),
        }
    })
}

/// `@FILE` means "read the value from FILE", for secrets kept off the command line.
fn set_value(
    spec: &ParamSpec,
    raw: &str,
    warnings: &mut Vec<String>,
) -> Result<ParamValue, ParamError> {
    let wrong = |message: String| ParamError::WrongType {
        name: spec.name.clone(),
        source_name: "--set".into(),
        message,
    };
    if let Some(file) = raw.strip_prefix('@') {
        // A regular file only: a FIFO would block the start of the run.
        let text = crate::host::fs::read_operator_file(Path::new(file))
            .map_err(|e| wrong(format!("cannot read {file}: {}", e.message)))?;
        return spec
            .ty
            .from_text(text.trim_end_matches(['\n', '\r']))
            .map_err(wrong);
    }
    if spec.ty == ParamType::Secret {
        warnings.push(format!(
            "--set {}=… puts a secret in shell history and the process list; prefer --set {}=@FILE, a --vars file or {}",
            spec.name,
            spec.name,
            spec.env_name()
        ));
    }
    spec.ty.from_text(raw).map_err(wrong)
}

pub fn resolve(specs: &[ParamSpec], sources: &ParamSources) -> Result<Resolved, ParamError> {
    let mut out = Resolved::default();
    let declared = || {
        if specs.is_empty() {
            "(none)".to_string()
        } else {
            specs
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let find = |name: &str, source_name: &str| {
        specs
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| ParamError::Unknown {
                name: name.to_string(),
                source_name: source_name.to_string(),
                declared: declared(),
            })
    };

    let mut from_set: BTreeMap<String, ParamValue> = BTreeMap::new();
    for set in &sources.sets {
        let (k, v) = split_set(set)?;
        let spec = find(k, "--set")?;
        from_set.insert(k.to_string(), set_value(spec, v, &mut out.warnings)?);
    }
    let mut from_vars: BTreeMap<String, ParamValue> = BTreeMap::new();
    if let Some(path) = &sources.vars_file {
        let table = read_vars_file(path)?;
        let source_name = format!("--vars {}", path.display());
        for (k, v) in &table {
            let spec = find(k, &source_name)?;
            let value = spec
                .ty
                .from_toml(v)
                .map_err(|message| ParamError::WrongType {
                    name: k.clone(),
                    source_name: source_name.clone(),
                    message,
                })?;
            from_vars.insert(k.clone(), value);
        }
    }

    for spec in specs {
        let env = spec.env_name();
        let value = if let Some(v) = from_set.remove(&spec.name) {
            Some(v)
        } else if let Some(v) = from_vars.remove(&spec.name) {
            Some(v)
        } else if let Some(text) = sources.env.as_ref().and_then(|f| f(&env)) {
            Some(
                spec.ty
                    .from_text(&text)
                    .map_err(|message| ParamError::WrongType {
                        name: spec.name.clone(),
                        source_name: env.clone(),
                        message,
                    })?,
            )
        } else if let Some(d) = &spec.default {
            Some(
                spec.ty
                    .from_toml(d)
                    .map_err(|message| ParamError::WrongType {
                        name: spec.name.clone(),
                        source_name: "its default".into(),
                        message,
                    })?,
            )
        } else if spec.required {
            match &sources.prompt {
                Some(ask) => Some(ask(spec).map_err(|e| ParamError::WrongType {
                    name: spec.name.clone(),
                    source_name: "the prompt".into(),
                    message: e.to_string(),
                })?),
                None => {
                    let extra = if spec.ty == ParamType::Secret {
                        format!(" (or --set {}=@FILE to read it from a file)", spec.name)
                    } else {
                        String::new()
                    };
                    return Err(ParamError::Missing {
                        name: spec.name.clone(),
                        env,
                        extra,
                    });
                }
            }
        } else {
            None
        };
        out.values.insert(spec.name.clone(), value);
    }
    Ok(out)
}

/// For `eval` and the REPL, which have no header: every `--set` is a string,
/// every `--vars` entry keeps its TOML type.
pub fn resolve_undeclared(sources: &ParamSources) -> Result<Resolved, ParamError> {
    let mut out = Resolved::default();
    if let Some(path) = &sources.vars_file {
        for (k, v) in read_vars_file(path)? {
            let value = match &v {
                toml::Value::Integer(i) => ParamValue::Int(*i),
                toml::Value::Boolean(b) => ParamValue::Bool(*b),
                toml::Value::Array(_) => {
                    ParamType::List
                        .from_toml(&v)
                        .map_err(|message| ParamError::WrongType {
                            name: k.clone(),
                            source_name: format!("--vars {}", path.display()),
                            message,
                        })?
                }
                toml::Value::String(s) => ParamValue::String(s.clone()),
                other => ParamValue::String(other.to_string()),
            };
            out.values.insert(k, Some(value));
        }
    }
    for set in &sources.sets {
        let (k, v) = split_set(set)?;
        out.values
            .insert(k.to_string(), Some(ParamValue::String(v.to_string())));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, ty: ParamType, default: Option<toml::Value>, required: bool) -> ParamSpec {
        ParamSpec {
            name: name.into(),
            ty,
            default,
            required,
            help: String::new(),
        }
    }

    #[test]
    fn precedence_is_set_then_vars_then_env_then_default() {
        let dir = tempfile::tempdir().unwrap();
        let vars = dir.path().join("v.toml");
        std::fs::write(&vars, "a = \"vars\"\nb = \"vars\"\n").unwrap();
        let specs = vec![
            spec("a", ParamType::String, Some("def".into()), false),
            spec("b", ParamType::String, Some("def".into()), false),
            spec("c", ParamType::String, Some("def".into()), false),
            spec("d", ParamType::String, Some("def".into()), false),
        ];
        let sources = ParamSources {
            sets: vec!["a=set".into()],
            vars_file: Some(vars),
            env: Some(Box::new(|n| {
                (n == "RUNBOOK_B" || n == "RUNBOOK_C").then(|| "env".to_string())
            })),
            prompt: None,
        };
        let r = resolve(&specs, &sources).unwrap();
        let get = |n: &str| r.values[n].clone().unwrap();
        assert_eq!(get("a"), ParamValue::String("set".into()));
        assert_eq!(get("b"), ParamValue::String("vars".into()));
        assert_eq!(get("c"), ParamValue::String("env".into()));
        assert_eq!(get("d"), ParamValue::String("def".into()));
    }

    #[test]
    fn types_are_checked_and_lists_take_both_forms() {
        let specs = vec![
            spec("n", ParamType::Int, None, false),
            spec("l", ParamType::List, None, false),
        ];
        let sources = ParamSources {
            sets: vec!["n=x".into()],
            ..Default::default()
        };
        let e = resolve(&specs, &sources).unwrap_err();
        assert!(e.to_string().contains("'x' is not an integer"), "{e}");
        for text in ["[\"a\", \"b\"]", "a, b"] {
            let sources = ParamSources {
                sets: vec![format!("l={text}")],
                ..Default::default()
            };
            let r = resolve(&specs, &sources).unwrap();
            assert_eq!(
                r.values["l"],
                Some(ParamValue::List(vec!["a".into(), "b".into()]))
            );
        }
    }

    #[test]
    fn unknown_and_missing_are_explained() {
        let specs = vec![spec("who", ParamType::String, None, true)];
        let e = resolve(
            &specs,
            &ParamSources {
                sets: vec!["whom=x".into()],
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("declares: who"), "{e}");
        let e = resolve(&specs, &ParamSources::default()).unwrap_err();
        assert!(e.to_string().contains("--set who="), "{e}");
        assert!(e.to_string().contains("RUNBOOK_WHO"), "{e}");
    }

    #[test]
    fn secret_on_the_command_line_warns() {
        let specs = vec![spec("token", ParamType::Secret, None, true)];
        let r = resolve(
            &specs,
            &ParamSources {
                sets: vec!["token=abcd1234".into()],
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(r.warnings.len(), 1);
        assert!(!r.warnings[0].contains("abcd1234"));
    }
}
