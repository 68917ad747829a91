//! What one state-changing operation did, or would do.

use super::Mode;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    Ok,
    Changed,
    WouldChange,
    Failed,
    Skipped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Changed => "changed",
            Status::WouldChange => "would_change",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
        }
    }

    /// `changed` when applying, `would_change` in check mode.
    pub fn change(mode: Mode) -> Status {
        match mode {
            Mode::Apply => Status::Changed,
            Mode::Check => Status::WouldChange,
        }
    }

    pub fn is_change(self) -> bool {
        matches!(self, Status::Changed | Status::WouldChange)
    }
}

/// The result of a planned and possibly applied operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub status: Status,
    /// One line for the report, e.g. `mode 0644 -> 0540`.
    pub summary: String,
    /// Before/after diff, filled only when the session asked for diffs.
    pub diff: Option<String>,
}

impl Outcome {
    pub fn ok(summary: impl Into<String>) -> Self {
        Outcome {
            status: Status::Ok,
            summary: summary.into(),
            diff: None,
        }
    }

    pub fn change(mode: Mode, summary: impl Into<String>) -> Self {
        Outcome {
            status: Status::change(mode),
            summary: summary.into(),
            diff: None,
        }
    }

    pub fn skipped(summary: impl Into<String>) -> Self {
        Outcome {
            status: Status::Skipped,
            summary: summary.into(),
            diff: None,
        }
    }

    pub fn with_diff(mut self, diff: Option<String>) -> Self {
        self.diff = diff;
        self
    }

    pub fn changed(&self) -> bool {
        self.status.is_change()
    }
}
