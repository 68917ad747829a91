//! The reporter: redacts, counts and forwards every event to the chosen printer.

use std::cell::{Cell, RefCell};
use std::io::{IsTerminal, Write};
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::{Counts, Event, Level, OpEvent, Printer, Redactor};
use crate::host::{Progress, Redact, Status, format_duration};

struct OpenStep {
    index: usize,
    title: String,
    started: Instant,
    worst: Status,
}

pub struct Reporter {
    printer: RefCell<Box<dyn Printer>>,
    redactor: Rc<Redactor>,
    counts: RefCell<Counts>,
    /// Diagnoses reported with `verdict()`: (passed, failed).
    checks: Cell<(u64, u64)>,
    steps: Cell<usize>,
    open: RefCell<Vec<OpenStep>>,
    started: Instant,
    /// Progress goes to stderr: a spinner on a TTY, a line every 10 s otherwise.
    progress_tty: bool,
    last_progress: Cell<Option<Instant>>,
    spinner_shown: Cell<bool>,
}

impl Reporter {
    pub fn new(
        printer: Box<dyn Printer>,
        redactor: Rc<Redactor>,
        interactive_progress: bool,
    ) -> Self {
        Reporter {
            printer: RefCell::new(printer),
            redactor,
            counts: RefCell::new(Counts::default()),
            checks: Cell::new((0, 0)),
            steps: Cell::new(0),
            open: RefCell::new(Vec::new()),
            started: Instant::now(),
            progress_tty: interactive_progress && std::io::stderr().is_terminal(),
            last_progress: Cell::new(None),
            spinner_shown: Cell::new(false),
        }
    }

    pub fn redactor(&self) -> &Rc<Redactor> {
        &self.redactor
    }

    pub fn emit(&self, event: Event) {
        self.clear_spinner();
        let r = &self.redactor;
        let event = event.map_text(&|t| r.redact(t));
        self.printer.borrow_mut().print(&event);
    }

    pub fn message(&self, level: Level, text: &str) {
        self.emit(Event::Message {
            level,
            text: text.to_string(),
        });
    }

    /// Records an operation: counted in the recap and in its step's status.
    pub fn op(&self, op: OpEvent) {
        self.counts.borrow_mut().add(op.status);
        if let Some(step) = self.open.borrow_mut().last_mut() {
            if op.status.weight() > step.worst.weight() {
                step.worst = op.status;
            }
        }
        self.emit(Event::Op(op));
    }

    /// Records one diagnosis; a failure makes the run exit 1 at the end.
    pub fn check(&self, name: &str, passed: bool, detail: &str, fix: Option<&str>) {
        let (p, f) = self.checks.get();
        self.checks
            .set(if passed { (p + 1, f) } else { (p, f + 1) });
        self.emit(Event::Check {
            name: name.to_string(),
            passed,
            detail: detail.to_string(),
            fix: fix.map(str::to_string),
        });
    }

    /// (passed, failed) diagnoses so far.
    pub fn checks(&self) -> (u64, u64) {
        self.checks.get()
    }

    pub fn step_start(&self, title: &str) -> usize {
        let index = self.steps.get() + 1;
        self.steps.set(index);
        self.open.borrow_mut().push(OpenStep {
            index,
            title: title.to_string(),
            started: Instant::now(),
            worst: Status::Ok,
        });
        self.emit(Event::StepStart {
            index,
            title: title.to_string(),
        });
        index
    }

    /// Closes the innermost step; `error` marks it failed.
    pub fn step_end(&self, error: Option<String>) {
        let Some(step) = self.open.borrow_mut().pop() else {
            return;
        };
        let status = if error.is_some() {
            Status::Failed
        } else {
            step.worst
        };
        if error.is_some() {
            self.counts.borrow_mut().add(Status::Failed);
            // The enclosing step failed too.
            if let Some(outer) = self.open.borrow_mut().last_mut() {
                outer.worst = Status::Failed;
            }
        }
        self.emit(Event::StepEnd {
            index: step.index,
            title: step.title,
            status,
            duration: step.started.elapsed(),
            error,
        });
    }

    pub fn counts(&self) -> Counts {
        self.counts.borrow().clone()
    }

    pub fn recap(&self, check: bool, failed: bool, interrupted: bool) {
        self.emit(Event::Recap {
            counts: self.counts(),
            duration: self.started.elapsed(),
            check,
            failed,
            interrupted,
            checks: self.checks.get(),
        });
    }

    fn clear_spinner(&self) {
        if self.spinner_shown.replace(false) {
            let mut err = std::io::stderr();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

impl Progress for Reporter {
    fn tick(&self, what: &str, elapsed: Duration) {
        let what = self.redactor.redact(what);
        let mut err = std::io::stderr();
        if self.progress_tty {
            let frame = SPINNER[(elapsed.as_millis() / 100) as usize % SPINNER.len()];
            let _ = write!(
                err,
                "\r\x1b[2K{frame} {what} ({})",
                format_duration(elapsed)
            );
            let _ = err.flush();
            self.spinner_shown.set(true);
        } else {
            let due = self
                .last_progress
                .get()
                .is_none_or(|t| t.elapsed() >= Duration::from_secs(10));
            if due {
                self.last_progress.set(Some(Instant::now()));
                let _ = writeln!(err, "  … {what} ({})", format_duration(elapsed));
            }
        }
    }

    fn done(&self) {
        self.clear_spinner();
        self.last_progress.set(None);
    }
}
