//! The human printer: one line per operation, a header per step, a recap.

use std::io::Write;

use super::{Event, Level, Printer, Style, Verbosity};
use crate::host::{Status, format_duration};

pub struct HumanPrinter<W: Write> {
    out: W,
    style: Style,
    verbosity: Verbosity,
}

impl<W: Write> HumanPrinter<W> {
    pub fn new(out: W, style: Style, verbosity: Verbosity) -> Self {
        HumanPrinter {
            out,
            style,
            verbosity,
        }
    }

    fn line(&mut self, text: &str) {
        // Output that cannot be written (closed pipe) is not worth aborting a run for.
        let _ = writeln!(self.out, "{text}");
    }
}

impl<W: Write> Printer for HumanPrinter<W> {
    fn print(&mut self, event: &Event) {
        let s = self.style;
        match event {
            Event::RunStart { playbook, check } => {
                let mode = if *check {
                    " (check mode: nothing will be changed)"
                } else {
                    ""
                };
                let text = format!("runbook: {playbook}{mode}");
                self.line(&s.bold(&text));
            }
            Event::StepStart { index, title } => {
                let text = format!("[{index}] {title}");
                self.line(&s.bold(&text));
            }
            Event::StepEnd {
                index,
                status,
                duration,
                error,
                ..
            } => {
                if self.verbosity == Verbosity::Quiet && *status == Status::Ok {
                    return;
                }
                let mut text = format!(
                    "    {} step {index} {}",
                    s.status(*status),
                    s.dim(&format!("({})", format_duration(*duration)))
                );
                if let Some(e) = error {
                    text.push_str(&format!(": {e}"));
                }
                self.line(&text);
            }
            Event::Op(op) => {
                if self.verbosity == Verbosity::Quiet
                    && matches!(op.status, Status::Ok | Status::Skipped)
                {
                    return;
                }
                let pad = " ".repeat(12usize.saturating_sub(op.status.as_str().len()));
                let text = format!(
                    "  {}{pad} {}::{} {}  {}",
                    s.status(op.status),
                    op.module,
                    op.action,
                    op.target,
                    s.dim(&op.summary)
                );
                self.line(&text);
                if let Some(diff) = &op.diff {
                    for l in diff.lines() {
                        let text = format!("      {}", s.diff_line(l));
                        self.line(&text);
                    }
                }
            }
            Event::Message { level, text } => {
                let shown = match level {
                    Level::Debug => self.verbosity == Verbosity::Verbose,
                    Level::Info => self.verbosity != Verbosity::Quiet,
                    Level::Warn | Level::Print => true,
                };
                if !shown {
                    return;
                }
                let rendered = match level {
                    Level::Print => text.clone(),
                    Level::Info => format!("  {text}"),
                    Level::Debug => s.dim(&format!("  debug: {text}")),
                    Level::Warn => s.warn(&format!("  warning: {text}")),
                };
                self.line(&rendered);
            }
            Event::Value { text } => self.line(text),
            // People get the full diagnostic on stderr, with the source line.
            Event::Error { .. } => {}
            Event::Check {
                name,
                passed,
                detail,
                fix,
            } => {
                let mark = if *passed {
                    s.status(Status::Ok).replace("ok", "PASS")
                } else {
                    s.error("FAIL")
                };
                let text = format!("  {mark}  {name:<34} {detail}");
                self.line(&text);
                if let (false, Some(fix)) = (passed, fix) {
                    let text = format!("        fix: {fix}");
                    self.line(&text);
                }
            }
            Event::Recap {
                counts,
                duration,
                check,
                failed,
                interrupted,
                checks,
            } => {
                let verdict = if *interrupted {
                    s.error("interrupted")
                } else if *failed || checks.1 > 0 {
                    s.error("failed")
                } else if *check {
                    s.bold("check complete")
                } else {
                    s.bold("done")
                };
                let text = format!(
                    "{verdict}: ok={} changed={} would_change={} failed={} skipped={} in {}",
                    counts.ok,
                    counts.changed,
                    counts.would_change,
                    counts.failed,
                    counts.skipped,
                    format_duration(*duration)
                );
                self.line(&text);
                if checks.0 + checks.1 > 0 {
                    let text = format!("checks: {} passed, {} failed", checks.0, checks.1);
                    self.line(&text);
                }
            }
        }
        let _ = self.out.flush();
    }
}
