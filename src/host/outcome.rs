//! What one state-changing operation did, or would do.

use super::Mode;

/// Deliberately not `Ord`: the one order that matters is [`Status::weight`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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

    /// How much the status weighs when a step sums up its operations: the
    /// heaviest one is the step's status.
    pub fn weight(self) -> u8 {
        match self {
            Status::Skipped => 0,
            Status::Ok => 1,
            Status::WouldChange => 2,
            Status::Changed => 3,
            Status::Failed => 4,
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

#[cfg(test)]
mod tests {
    use super::*;

    // Regression: `Status` derived `Ord` in declaration order, which disagreed
    // with the weight the reporter sums steps by (Failed < Skipped).
    #[test]
    fn a_step_weighs_as_its_heaviest_operation() {
        use Status::*;
        let order = [Skipped, Ok, WouldChange, Changed, Failed];
        for pair in order.windows(2) {
            assert!(pair[0].weight() < pair[1].weight(), "{pair:?}");
        }
    }
}
