//! The integration tests: one binary with a module per area, so the AWS SDK
//! and bollard are linked once (as uv, just and ripgrep do), and one harness
//! in `common/`. Tests run as parallel threads of this one process: what they
//! share (moto, the Agent host) has one lock each, in `common/`.
//!
//! `cargo test --test it -- fs::` runs one area; `scripts/test.sh fs::` does
//! it inside the Agent-host sandbox.

#[macro_use]
mod common;

mod agent_world;
mod archive;
mod aws;
mod aws_faults;
mod aws_instance_profile;
mod bad_input;
mod bindings_local;
mod check_cmd;
mod child_death;
mod cli_run;
mod diagnostics;
mod doc_cmd;
mod eject;
mod eval_raw;
mod fs;
mod hardening;
mod ini;
mod interrupts;
mod kill_ini;
mod kill_playbook;
mod leak_scan;
mod lock_and_signals;
mod lock_scope;
mod malformed;
mod network_doctor;
mod network_faults;
mod network_proxy;
mod network_tls;
mod param_types;
mod plan_diff;
mod plan_diff_local;
mod playbook_decommission;
mod playbook_decommission_kills;
mod playbook_doctor;
mod playbook_doctor_ec2;
mod playbook_iam_user;
mod playbook_instance_profile;
mod playbook_rotate;
mod playbook_split;
mod process;
mod receipt;
mod redaction;
mod repl;
mod repl_secrets;
mod rhai_guide;
mod sandbox;
mod secrets;
mod time_doc;
mod wording;
