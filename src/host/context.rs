//! What a host primitive needs from the session, as plain types and traits.
//!
//! `host/` never imports `runtime/`, `report/` or `bindings/`: the report layer
//! implements these traits and the bindings pass them in.

use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::{ErrorKind, HostError, HostResult, Mode};

/// Masks known secret strings wherever text leaves the process.
pub trait Redact {
    /// Remember `text` as secret from now on.
    fn register(&self, text: &str);
    /// `text` with every known secret replaced by a mask.
    fn redact(&self, text: &str) -> String;
}

/// Feedback while a primitive waits on something slow.
pub trait Progress {
    /// Called about once a second during a wait, with what is awaited and the time spent.
    fn tick(&self, what: &str, elapsed: Duration);
    /// The wait is over (successfully or not); clears a spinner.
    fn done(&self);
}

/// Set by Ctrl-C; every wait loop checks it at least once a second.
#[derive(Clone, Default, Debug)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn reset(&self) {
        self.0.store(false, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// An error when cancelled, for `?` in wait loops.
    pub fn check(&self) -> HostResult<()> {
        if self.is_cancelled() {
            Err(HostError::new(ErrorKind::Cancelled, "interrupted"))
        } else {
            Ok(())
        }
    }
}

/// Everything a primitive gets from the session. Single-threaded, like the run.
#[derive(Clone)]
pub struct Ctx {
    pub mode: Mode,
    /// The operator asked for before/after diffs.
    pub diff: bool,
    pub cancel: Cancel,
    pub redactor: Rc<dyn Redact>,
    pub progress: Rc<dyn Progress>,
}

impl Ctx {
    /// A context for unit tests and tools: no redaction, no progress output.
    pub fn plain(mode: Mode) -> Self {
        Ctx {
            mode,
            diff: false,
            cancel: Cancel::new(),
            redactor: Rc::new(NoRedact),
            progress: Rc::new(NoProgress),
        }
    }
}

pub struct NoRedact;
impl Redact for NoRedact {
    fn register(&self, _: &str) {}
    fn redact(&self, text: &str) -> String {
        text.to_string()
    }
}

pub struct NoProgress;
impl Progress for NoProgress {
    fn tick(&self, _: &str, _: Duration) {}
    fn done(&self) {}
}
