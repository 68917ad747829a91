#!/usr/bin/env bash
# Cargo target runner: runs a test binary inside the Agent-host sandbox
# (SANDBOX_NAME), in the same directory, since the repo is mounted at the same
# path. Variables the tests read are passed by an explicit list; without that,
# CI=true would never reach them and a missing sandbox would look like a skip.
#   SANDBOX_NAME=runbook-agent-1 CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER=$PWD/scripts/sandbox-runner.sh cargo test --test it -- sandbox::
set -euo pipefail
name="${SANDBOX_NAME:?SANDBOX_NAME must name a running sandbox (scripts/sandbox.sh up NAME)}"
pass=()
for key in $(compgen -e); do
  case "$key" in
    CI | HOME | NO_COLOR | AWS_* | RUNBOOK_* | SANDBOX_* | CARGO* | RUST* | INSTA_*)
      pass+=("$key=${!key}") ;;
  esac
done
exec docker exec -i -w "$PWD" "$name" env "${pass[@]}" "$@"
