//! Every way a command can fail, its exit code, and how it is shown — in one place.

use crate::report::Style;
use crate::runtime::Diagnostic;
use crate::runtime::catalog::LoadError;
use crate::runtime::lock::LockError;
use crate::runtime::params::ParamError;

pub const EXIT_OK: u8 = 0;
pub const EXIT_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_PENDING: u8 = 3;
pub const EXIT_INTERRUPTED: u8 = 130;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("{file}:{line}: {message}")]
    Header {
        file: String,
        line: usize,
        message: String,
    },
    #[error(transparent)]
    Param(#[from] ParamError),
    /// Parse errors and calls to functions that do not exist.
    #[error("{} error(s) in the script", .0.len())]
    Compile(Vec<Diagnostic>),
    #[error(transparent)]
    Lock(LockError),
    #[error("{0}")]
    Needs(String),
    /// A step (or the script) failed at run time.
    #[error("{}", .0.message)]
    Failed(Box<Diagnostic>),
    #[error("interrupted")]
    Interrupted,
    #[error("{0}")]
    Io(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_)
            | CliError::Load(_)
            | CliError::Header { .. }
            | CliError::Param(_)
            | CliError::Compile(_) => EXIT_USAGE,
            CliError::Lock(LockError::Interrupted) | CliError::Interrupted => EXIT_INTERRUPTED,
            CliError::Lock(_) | CliError::Needs(_) | CliError::Failed(_) | CliError::Io(_) => {
                EXIT_FAILED
            }
        }
    }

    /// The text for stderr.
    pub fn render(&self, style: Style) -> String {
        match self {
            CliError::Compile(diags) => diags
                .iter()
                .map(|d| d.render(style))
                .collect::<Vec<_>>()
                .join("\n"),
            CliError::Failed(d) => d.render(style),
            CliError::Interrupted => format!("{} interrupted\n", style.error("error:")),
            other => format!("{} {other}\n", style.error("error:")),
        }
    }
}
