//! Parameters: declared types, the sources a value comes from, validation.
//!
//! Precedence, highest first: `--set`, `--vars` file, `RUNBOOK_<NAME>`,
//! an interactive prompt on a TTY, the declared default. Every value is
//! checked against its declared type here, before the script starts, so a
//! bad value exits 2 before anything changes.

pub mod checks;
mod error;
mod kind;
mod resolve;

pub use checks::Check;
pub use error::ParamError;
pub use kind::{ParamType, type_names as kind_names};
pub use resolve::{
    EnvLookup, ParamSources, Prompt, Resolved, read_vars_file, resolve, resolve_undeclared,
    split_set,
};

use crate::secret::Secret;

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
