#!/usr/bin/env bash
# The whole test suite, on a fresh Debian machine as root or a developer's:
# installs what the tests need (Docker, debootstrap, busybox-static, a moto
# venv), starts the services, builds the Agent-host sandbox (a container with
# systemd as PID 1), checks format and lints, and runs the test binaries
# (the unit tests and tests/it, the one integration-test binary) inside the
# sandbox through cargo's target runner. The full run then builds the release
# and checks it (scripts/release-check.sh: the glibc-2.17 binary, the
# .deb/.rpm/.tar.gz, a bullseye root, a fresh Agent-host sandbox).
#
#   scripts/test.sh                   everything, with fmt, clippy and the release
#   scripts/test.sh FILTER...         tests of tests/it whose path contains a
#                                     FILTER, e.g. `scripts/test.sh fs:: aws::`
#                                     (a FILTER with `ansible` or `ssm` in it also runs
#                                     the Ansible collection's and the SSM document's
#                                     tests: scripts/ansible.sh test)
#   scripts/test.sh --soak [FILTER...] the full random-kill counts (RUNBOOK_SOAK=1):
#                                     by default the kill tests (kill_ini::,
#                                     kill_playbook::); a subset, as above
#   scripts/test.sh --CARGO-ARGS...   the arguments as they are for cargo test,
#                                     e.g. `scripts/test.sh --lib`
#                                     (a subset skips fmt, clippy and the release)
#
# CI=true is the default here: a test that cannot find its service fails
# instead of skipping.
set -euo pipefail
# dockerd and debootstrap live in sbin, which a non-login PATH may lack.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export CI="${CI:-true}"
# --soak: the full counts of the random tests, a subset run like the filters.
if [ "${1:-}" = "--soak" ]; then
  shift
  export RUNBOOK_SOAK=1
  [ $# -gt 0 ] || set -- kill_ini:: kill_playbook::
fi

step() { printf '\n==> %s\n' "$*"; }

step "toolchain"
command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup first" >&2; exit 1; }
rustup component add rustfmt clippy >/dev/null 2>&1 || true

step "system packages and the Docker daemon"
missing=()
command -v curl >/dev/null || missing+=(curl)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
scripts/sandbox.sh deps

# With arguments (a subset of the tests), lints are left to the full run.
if [ $# -eq 0 ]; then
  step "format and lints"
  cargo fmt --check
  cargo clippy --all-targets --locked -- -D warnings
fi

step "moto (AWS emulator)"
scripts/moto.sh start
# shellcheck disable=SC1091
. .build/moto.env

step "Agent-host sandbox"
scripts/sandbox.sh image >/dev/null
for v in 5.14.0.1968 5.15.0.2001; do
  [ -f ".build/addon/auth-service-docker-image-$v.tar.gz" ] || scripts/sandbox.sh addon "$v" >/dev/null
done
step "build the tests"
# Built before the sandbox lock is taken, so concurrent runs (worktrees) wait
# for each other only while tests run, not while they compile.
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  cargo test --locked --no-run --test it
else
  cargo test --locked --no-run "$@"
fi

# The Agent's containers have fixed names (auth) on the machine's one daemon.
exec 9>/tmp/runbook-sandbox.lock
flock 9
name="runbook-agent-$$"
cleanup() {
  [ "${SANDBOX_KEEP:-}" = 1 ] || scripts/sandbox.sh down "$name" || true
  scripts/moto.sh stop || true
}
trap cleanup EXIT
scripts/sandbox.sh up "$name" >/dev/null
export SANDBOX_NAME="$name"

step "tests (inside the sandbox)"

export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER="$ROOT/scripts/sandbox-runner.sh"
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  # Test filters: the integration tests are one binary, a module per area.
  cargo test --locked --no-fail-fast --test it -- "$@"
else
  cargo test --locked --no-fail-fast "$@"
fi
unset CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER

# The collection's tests run on this machine (the Ansible controller), with
# their own Agent-host sandboxes as the inventory: target/debug/runbook, built
# by the cargo step above, runs inside them.
wants_ansible() {
  [ $# -eq 0 ] && return 0
  local a
  for a in "$@"; do case "$a" in *ansible* | *ssm*) return 0 ;; esac; done
  return 1
}
if wants_ansible "$@"; then
  step "Ansible collection and SSM document (scripts/ansible.sh test)"
  scripts/ansible.sh test
fi

if [ $# -eq 0 ]; then
  step "release: portable binary and packages (scripts/release-check.sh)"
  # Its own fresh sandbox: free the Agent's fixed container names first. It
  # inherits fd 9, so it shares the sandbox lock held here.
  [ "${SANDBOX_KEEP:-}" != 1 ] || echo "SANDBOX_KEEP=1: $name goes down all the same; the release check needs the Agent's container names"
  scripts/sandbox.sh down "$name" >/dev/null
  scripts/release-check.sh
fi
