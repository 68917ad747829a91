//! The integration tests: one binary with a module per area, so the AWS SDK
//! and bollard are linked once (as uv, just and ripgrep do), and one harness
//! in `common/`. Tests run as parallel threads of this one process: what they
//! share (moto, the Agent host) has one lock each, in `common/`.
//!
//! `cargo test --test it -- fs::` runs one area; `scripts/test.sh fs::` does
//! it inside the Agent-host sandbox.

#[macro_use]
mod common;

mod archive;
mod aws;
mod bad_input;
mod bindings_local;
mod check_cmd;
mod child_death;
mod cli_run;
mod diagnostics;
mod doc_cmd;
mod eject;
mod fs;
mod hardening;
mod ini;
mod interrupts;
mod lock_and_signals;
mod lock_scope;
mod playbook_doctor;
mod playbook_iam_user;
mod playbook_rotate;
mod playbook_split;
mod process;
mod redaction;
mod repl;
mod repl_secrets;
mod sandbox;
mod secrets;
