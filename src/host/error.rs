//! The typed error every host primitive returns.

use std::fmt;

/// Stable kinds, visible to scripts as `err.kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidInput,
    NotFound,
    AccessDenied,
    LimitExceeded,
    Conflict,
    Timeout,
    Unavailable,
    Failed,
    Cancelled,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::NotFound => "not_found",
            ErrorKind::AccessDenied => "access_denied",
            ErrorKind::LimitExceeded => "limit_exceeded",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Failed => "failed",
            ErrorKind::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure of a host primitive: what kind, what happened, and how to fix it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct HostError {
    pub kind: ErrorKind,
    pub message: String,
    /// What the operator can do about it, when we know.
    pub hint: Option<String>,
}

impl HostError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        HostError {
            kind,
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Failed, message)
    }

    /// Maps an I/O error on `path` to a kind an operator can act on.
    pub fn io(what: &str, path: &std::path::Path, err: std::io::Error) -> Self {
        use std::io::ErrorKind as K;
        let kind = match err.kind() {
            K::NotFound => ErrorKind::NotFound,
            K::PermissionDenied => ErrorKind::AccessDenied,
            K::AlreadyExists => ErrorKind::Conflict,
            K::InvalidInput | K::InvalidData => ErrorKind::InvalidInput,
            K::TimedOut => ErrorKind::Timeout,
            _ => ErrorKind::Failed,
        };
        let e = HostError::new(kind, format!("{what} {}: {err}", path.display()));
        if kind == ErrorKind::AccessDenied {
            e.with_hint("run as root (sudo runbook …) or fix the permissions of the path")
        } else {
            e
        }
    }
}

pub type HostResult<T> = Result<T, HostError>;
