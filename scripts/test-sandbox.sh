#!/usr/bin/env bash
# Builds the sandbox images, starts an Agent-host sandbox, runs the sandbox
# tests inside it through cargo's target runner, and tears it down again.
#   scripts/test-sandbox.sh [extra cargo test args, e.g. -- --nocapture]
# SANDBOX_KEEP=1 leaves the sandbox running for inspection.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

scripts/sandbox.sh deps
scripts/sandbox.sh image >/dev/null
for v in 5.14.0.1968 5.15.0.2001; do
  [ -f ".build/addon/auth-service-docker-image-$v.tar.gz" ] || scripts/sandbox.sh addon "$v" >/dev/null
done

# The Agent's containers have fixed names (auth) on the machine's one daemon:
# one sandbox test run at a time, across worktrees too.
exec 9>/tmp/runbook-sandbox.lock
flock 9

name="runbook-agent-$$"
cleanup() { [ "${SANDBOX_KEEP:-}" = 1 ] || scripts/sandbox.sh down "$name"; }
trap cleanup EXIT
scripts/sandbox.sh up "$name" >/dev/null

# Build on the host; run the test binary inside the sandbox. CI=true makes a
# missing sandbox a failure rather than a skip.
export SANDBOX_NAME="$name"
export CI="${CI:-true}"
export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER="$ROOT/scripts/sandbox-runner.sh"
cargo test --test sandbox "$@"
