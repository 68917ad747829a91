//! A parameter problem: exit code 2, nothing run.

use std::path::PathBuf;

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
    /// The bytes are not shown: the variable may hold a secret.
    #[error(
        "environment variable {var} (parameter '{name}') is not valid UTF-8; its value is not shown: set it to UTF-8 text or unset it"
    )]
    EnvNotUtf8 { name: String, var: String },
}
