//! The one stream of events that every printer renders.

use std::time::Duration;

use crate::host::Status;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Debug,
    Info,
    Warn,
    /// Output of the script's own `print`.
    Print,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Print => "print",
        }
    }
}

/// One state-changing (or skipped) host operation.
#[derive(Clone, Debug, PartialEq)]
pub struct OpEvent {
    pub module: String,
    pub action: String,
    pub target: String,
    pub status: Status,
    pub summary: String,
    pub diff: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub ok: u64,
    pub changed: u64,
    pub would_change: u64,
    pub failed: u64,
    pub skipped: u64,
}

impl Counts {
    pub fn add(&mut self, status: Status) {
        match status {
            Status::Ok => self.ok += 1,
            Status::Changed => self.changed += 1,
            Status::WouldChange => self.would_change += 1,
            Status::Failed => self.failed += 1,
            Status::Skipped => self.skipped += 1,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    RunStart {
        playbook: String,
        check: bool,
    },
    StepStart {
        index: usize,
        title: String,
    },
    StepEnd {
        index: usize,
        title: String,
        status: Status,
        duration: Duration,
        error: Option<String>,
    },
    Op(OpEvent),
    Message {
        level: Level,
        text: String,
    },
    /// The value of an `eval` snippet.
    Value {
        text: String,
    },
    /// One diagnosis of a read-only check (the `doctor` playbook): pass or fail, and the fix.
    Check {
        name: String,
        passed: bool,
        detail: String,
        fix: Option<String>,
    },
    /// Why the run failed, for machines (people read the diagnostic on stderr).
    Error {
        message: String,
        /// `file:line:col`, when known.
        location: Option<String>,
        hint: Option<String>,
    },
    Recap {
        counts: Counts,
        duration: Duration,
        check: bool,
        failed: bool,
        interrupted: bool,
        /// Diagnoses reported with `verdict()`: passed and failed.
        checks: (u64, u64),
    },
}

impl Event {
    /// Applies `f` to every human-readable string inside, for redaction.
    pub fn map_text(self, f: &dyn Fn(&str) -> String) -> Event {
        match self {
            Event::RunStart { playbook, check } => Event::RunStart {
                playbook: f(&playbook),
                check,
            },
            Event::StepStart { index, title } => Event::StepStart {
                index,
                title: f(&title),
            },
            Event::StepEnd {
                index,
                title,
                status,
                duration,
                error,
            } => Event::StepEnd {
                index,
                title: f(&title),
                status,
                duration,
                error: error.as_deref().map(f),
            },
            Event::Op(op) => Event::Op(OpEvent {
                module: op.module,
                action: op.action,
                target: f(&op.target),
                status: op.status,
                summary: f(&op.summary),
                diff: op.diff.as_deref().map(f),
            }),
            Event::Message { level, text } => Event::Message {
                level,
                text: f(&text),
            },
            Event::Value { text } => Event::Value { text: f(&text) },
            Event::Check {
                name,
                passed,
                detail,
                fix,
            } => Event::Check {
                name: f(&name),
                passed,
                detail: f(&detail),
                fix: fix.as_deref().map(f),
            },
            Event::Error {
                message,
                location,
                hint,
            } => Event::Error {
                message: f(&message),
                location,
                hint: hint.as_deref().map(f),
            },
            recap @ Event::Recap { .. } => recap,
        }
    }
}
