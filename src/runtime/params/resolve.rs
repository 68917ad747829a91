//! Gathering values from `--set`, `--vars`, the environment, the prompt and
//! defaults, each checked against its declared type.

use std::collections::BTreeMap;
use std::env::VarError;
use std::path::{Path, PathBuf};

use super::{ParamError, ParamSpec, ParamType, ParamValue};

/// Looks up `RUNBOOK_<NAME>`, as `std::env::var` does: a value that is not
/// UTF-8 is an error, not "not given".
pub type EnvLookup = Box<dyn Fn(&str) -> Result<String, VarError>>;
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

fn env_value(
    sources: &ParamSources,
    spec: &ParamSpec,
    var: &str,
) -> Result<Option<String>, ParamError> {
    match sources.env.as_ref().map(|f| f(var)) {
        None | Some(Err(VarError::NotPresent)) => Ok(None),
        Some(Ok(text)) => Ok(Some(text)),
        Some(Err(VarError::NotUnicode(_))) => Err(ParamError::EnvNotUtf8 {
            name: spec.name.clone(),
            var: var.to_string(),
        }),
    }
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
        let value = set_value(spec, v, &mut out.warnings)?;
        if from_set.insert(k.to_string(), value).is_some() {
            // The values are not shown: either may be a secret.
            out.warnings.push(format!(
                "parameter '{k}' is given more than once with --set; the last one is used"
            ));
        }
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
        } else if let Some(text) = env_value(sources, spec, &env)? {
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
                    ParamType::List(None).from_toml(&v).map_err(|message| {
                        ParamError::WrongType {
                            name: k.clone(),
                            source_name: format!("--vars {}", path.display()),
                            message,
                        }
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
                (n == "RUNBOOK_B" || n == "RUNBOOK_C")
                    .then(|| "env".to_string())
                    .ok_or(VarError::NotPresent)
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
            spec("l", ParamType::List(None), None, false),
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

    #[test]
    fn a_duplicate_set_warns_without_the_values() {
        let specs = vec![spec("profile", ParamType::String, None, false)];
        let r = resolve(
            &specs,
            &ParamSources {
                sets: vec!["profile=first1".into(), "profile=second2".into()],
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            r.values["profile"],
            Some(ParamValue::String("second2".into()))
        );
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        assert!(r.warnings[0].contains("'profile'") && r.warnings[0].contains("more than once"));
        assert!(!r.warnings[0].contains("first1") && !r.warnings[0].contains("second2"));
    }

    #[test]
    fn an_env_value_that_is_not_utf8_is_an_error_naming_the_variable() {
        use std::os::unix::ffi::OsStringExt;
        let specs = vec![spec("token", ParamType::Secret, None, false)];
        let e = resolve(
            &specs,
            &ParamSources {
                env: Some(Box::new(|_| {
                    Err(VarError::NotUnicode(std::ffi::OsString::from_vec(vec![
                        b's', 0xff, b'k',
                    ])))
                })),
                ..Default::default()
            },
        )
        .unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("RUNBOOK_TOKEN") && text.contains("UTF-8"),
            "{text}"
        );
    }

    #[test]
    fn a_secret_of_the_wrong_type_in_a_vars_file_is_not_echoed() {
        let dir = tempfile::tempdir().unwrap();
        let vars = dir.path().join("v.toml");
        let specs = vec![spec("token", ParamType::Secret, None, false)];
        for body in [
            "token = 12345",
            "token = 12345.75",
            "token = [\"12345\"]",
            "token = { v = \"12345\" }",
        ] {
            std::fs::write(&vars, body).unwrap();
            let e = resolve(
                &specs,
                &ParamSources {
                    vars_file: Some(vars.clone()),
                    ..Default::default()
                },
            )
            .unwrap_err()
            .to_string();
            assert!(!e.contains("12345") && e.contains("'token'"), "{body}: {e}");
        }
    }

    #[test]
    fn a_checked_type_refuses_a_bad_value_from_every_source() {
        let specs = vec![spec(
            "region",
            ParamType::Checked(super::super::Check::Region),
            None,
            false,
        )];
        let e = resolve(
            &specs,
            &ParamSources {
                sets: vec!["region=not a region".into()],
                ..Default::default()
            },
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("parameter 'region' from --set") && e.contains("us-east-1"),
            "{e}"
        );
        let e = resolve(
            &specs,
            &ParamSources {
                env: Some(Box::new(|_| Ok("mars".into()))),
                ..Default::default()
            },
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("RUNBOOK_REGION") && e.contains("not an AWS region"),
            "{e}"
        );
    }
}
