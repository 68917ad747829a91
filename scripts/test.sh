#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine (as root) or a developer's:
# installs what the tests need, starts the services, runs lints and tests.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain"
command -v cargo >/dev/null || { echo "cargo not found: install Rust (rustup) first" >&2; exit 1; }
rustup component add rustfmt clippy >/dev/null 2>&1 || true

step "format and lints"
cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings

step "tests"
cargo test --locked --no-fail-fast
