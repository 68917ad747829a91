//! The JSON Lines printer. Schema: docs/json-output.md (version 1).

use std::io::Write;

use serde_json::{Value, json};

use super::{Event, Printer};

/// Bumped when a field changes meaning or disappears; additions keep the version.
pub const SCHEMA_VERSION: u32 = 1;

pub struct JsonPrinter<W: Write> {
    out: W,
}

impl<W: Write> JsonPrinter<W> {
    pub fn new(out: W) -> Self {
        JsonPrinter { out }
    }
}

pub fn to_json(event: &Event) -> Value {
    let mut v = match event {
        Event::RunStart { playbook, check } => {
            json!({"event": "run_start", "playbook": playbook, "check": check})
        }
        Event::StepStart { index, title } => {
            json!({"event": "step_start", "step": index, "title": title})
        }
        Event::StepEnd {
            index,
            title,
            status,
            duration,
            error,
        } => json!({
            "event": "step_end", "step": index, "title": title, "status": status.as_str(),
            "duration_ms": duration.as_millis() as u64, "error": error,
        }),
        Event::Op(op) => json!({
            "event": "op", "module": op.module, "action": op.action, "target": op.target,
            "status": op.status.as_str(), "changed": op.status.is_change(), "summary": op.summary, "diff": op.diff,
        }),
        Event::Message { level, text } => {
            json!({"event": "message", "level": level.as_str(), "text": text})
        }
        Event::Value { text } => json!({"event": "value", "text": text}),
        Event::Error {
            message,
            location,
            hint,
        } => json!({
            "event": "error",
            "message": message,
            "location": location,
            "hint": hint,
        }),
        Event::Check {
            name,
            passed,
            detail,
            fix,
        } => json!({
            "event": "check",
            "name": name,
            "passed": passed,
            "detail": detail,
            "fix": fix,
        }),
        Event::Recap {
            counts,
            duration,
            check,
            failed,
            interrupted,
            checks,
        } => json!({
            "event": "recap", "ok": counts.ok, "changed": counts.changed, "would_change": counts.would_change,
            "failed": counts.failed, "skipped": counts.skipped, "duration_ms": duration.as_millis() as u64,
            "check": check, "success": !failed && !interrupted && checks.1 == 0, "interrupted": interrupted,
            "checks_passed": checks.0, "checks_failed": checks.1,
        }),
    };
    v["v"] = json!(SCHEMA_VERSION);
    v
}

impl<W: Write> Printer for JsonPrinter<W> {
    fn print(&mut self, event: &Event) {
        let _ = writeln!(self.out, "{}", to_json(event));
        let _ = self.out.flush();
    }
}
