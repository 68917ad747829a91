#!/usr/bin/env bash
# The demo: builds runbook, starts moto (AWS) and an Agent-host sandbox (systemd
# as PID 1, the kratos and hydra stand-ins, Docker), then runs the bundled
# playbook alation-agent/secrets-manager-iam-user inside it: the plan (--check),
# the first run, and a second run that changes nothing.
#
#   scripts/demo.sh            DEMO_KEEP=1 leaves the sandbox and moto running
set -euo pipefail
# dockerd and debootstrap live in sbin, which a non-login PATH may lack.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

say() { if [ -t 1 ]; then printf '\n\033[1m==> %s\033[0m\n' "$*"; else printf '\n==> %s\n' "$*"; fi; }

say "installing what the sandbox needs (first time only)"
command -v curl >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl; }
python3 -c 'import venv, ensurepip' 2>/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; }
scripts/sandbox.sh deps

say "building runbook"
cargo build --release --locked

say "starting moto (a local AWS) and the Agent-host sandbox"
scripts/moto.sh start >/dev/null
# shellcheck disable=SC1091
. .build/moto.env
scripts/sandbox.sh image >/dev/null
archive=".build/addon/auth-service-docker-image-5.14.0.1968.tar.gz"
[ -f "$archive" ] || scripts/sandbox.sh addon 5.14.0.1968 >/dev/null
exec 9>/tmp/runbook-sandbox.lock
flock 9
name=runbook-demo
cleanup() {
  if [ "${DEMO_KEEP:-}" = 1 ]; then
    echo "sandbox $name and moto left running: docker exec -it $name bash; scripts/sandbox.sh down $name; scripts/moto.sh stop"
  else
    scripts/sandbox.sh down "$name" >/dev/null 2>&1 || true
    scripts/moto.sh stop >/dev/null || true
  fi
}
trap cleanup EXIT
scripts/sandbox.sh down "$name" >/dev/null 2>&1 || true
scripts/sandbox.sh up "$name" >/dev/null

# runbook runs inside the Agent host, as an operator would; AWS is moto.
agent() {
  docker exec -i -w "$ROOT" "$name" env \
    AWS_ENDPOINT_URL="$AWS_ENDPOINT_URL" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
    AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
    AWS_CONFIG_FILE="$AWS_CONFIG_FILE" AWS_SHARED_CREDENTIALS_FILE="$AWS_SHARED_CREDENTIALS_FILE" \
    ${NO_COLOR:+NO_COLOR=1} "$@"
}
playbook=alation-agent/secrets-manager-iam-user
set_archive="addon_archive=$ROOT/$archive"

say "the plan: runbook run $playbook --check"
agent ./target/release/runbook run "$playbook" --check --set "$set_archive"

say "the first run (--yes: restarting hydra is agreed in advance)"
agent ./target/release/runbook run "$playbook" --set "$set_archive" --yes

say "what it wrote"
agent ls -la /etc/hydra/auth/.aws/
agent sh -c 'sed "s/\(aws_secret_access_key *= *\).*/\1(hidden by the demo)/" /etc/hydra/auth/.aws/credentials'
agent docker ps --filter name=auth --format 'container {{.Names}}: {{.Status}}'

say "a second run changes nothing"
agent ./target/release/runbook run "$playbook" --set "$set_archive" -q
