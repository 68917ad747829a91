//! runbook: executable, idempotent setup playbooks in Rhai.
//!
//! Layers, lowest first: `host` (primitives in plain Rust), `report` (events,
//! printers, redaction), `bindings` (Rhai glue), `runtime` (engine, session,
//! parameters, diagnostics), `cli` (commands).

pub mod bindings;
pub mod cli;
pub mod host;
pub mod report;
pub mod runtime;
pub mod secret;
