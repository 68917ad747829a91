#!/usr/bin/env bash
# The demo: builds runbook and runs examples/hello. (Replaced by the Alation
# Agent playbook against the sandbox once it lands.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --release --locked
./target/release/runbook run examples/hello --set who=operator
