#!/usr/bin/env bash
# The Ansible collection's tooling and tests (ansible/), in the way moto.sh
# keeps moto: a Python venv under the ignored .build folder.
#
#   scripts/ansible.sh venv     install ansible (ansible-core + community.docker), pytest
#                               and boto3 into .build/ansible-venv if missing
#   scripts/ansible.sh image    build the Agent-host image with python3 (Ansible's
#                               modules need it on the target), cached by tag; prints it
#   scripts/ansible.sh test [PYTEST-ARGS...]   (paths relative to ansible/)
#                               unit tests of the module, the SSM document against moto,
#                               and the end-to-end run over three Agent-host sandboxes
#                               (needs moto: source .build/moto.env; and the sandbox lock,
#                               which scripts/test.sh holds)
#   scripts/ansible.sh sanity   ansible-test sanity on the collection (see docs/fleet.md)
#   scripts/ansible.sh bench [N]
#                               wall time of the rollout over N sandboxes (default 10),
#                               forks=N against forks=1 (docs/benchmarks.md); needs moto
#
# Under CI=true a missing tool is a failure, not a skip.
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD="$ROOT/.build"
VENV="$BUILD/ansible-venv"
COLLECTION="$ROOT/ansible/collections/ansible_collections/runbook/agent"

log() { printf 'ansible: %s\n' "$*" >&2; }
die() { printf 'ansible: error: %s\n' "$*" >&2; exit 1; }

cmd_venv() {
  if [ ! -x "$VENV/bin/ansible-playbook" ] || [ ! -x "$VENV/bin/pytest" ]; then
    mkdir -p "$BUILD"
    rm -rf "$VENV"
    log "installing ansible, pytest and boto3 into $VENV (about a minute)"
    python3 -m venv "$VENV"
    # ansible-core 2.19 is the newest that runs on Debian 12's Python 3.11; the
    # `ansible` package bundles community.docker (the docker connection).
    "$VENV/bin/pip" install --quiet --disable-pip-version-check \
      'ansible-core>=2.17,<2.20' 'ansible>=10,<13' pytest boto3
  fi
  echo "$VENV"
}

# The sandbox image plus python3: real Agent hosts have it, and Ansible needs it.
cmd_image() {
  local base tag
  base=$("$ROOT/scripts/sandbox.sh" image)
  tag="runbook-agent-host-py:$(printf '%s python3 v2' "$base" | sha256sum | cut -c1-10)"
  if docker image inspect "$tag" >/dev/null 2>&1; then
    echo "$tag"
    return
  fi
  local ctr="runbook-ansible-image-$$"
  log "building $tag from $base (apt-get install python3)"
  docker rm -f "$ctr" >/dev/null 2>&1 || true
  # Host network for apt only (the Debian mirror); the rootfs keeps debootstrap's sources.list.
  docker run -d --name "$ctr" --network host "$base" sleep infinity >/dev/null
  docker exec "$ctr" bash -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 >/dev/null && rm -rf /var/lib/apt/lists/*' >&2 ||
    { docker rm -f "$ctr" >/dev/null; die "apt-get install python3 failed in $base"; }
  docker commit -c 'CMD ["/sbin/init"]' "$ctr" "$tag" >/dev/null
  docker rm -f "$ctr" >/dev/null
  echo "$tag"
}

cmd_test() {
  cmd_venv >/dev/null
  export RUNBOOK_ANSIBLE_IMAGE
  RUNBOOK_ANSIBLE_IMAGE=$(cmd_image)
  export RUNBOOK_ROOT="$ROOT"
  cd "$ROOT/ansible"
  # Arguments replace the default: the whole of ansible/tests.
  [ $# -gt 0 ] || set -- tests
  exec "$VENV/bin/pytest" -q -p no:cacheprovider -rs "$@"
}

# ansible-test wants the collection under ansible_collections/NS/NAME and a
# git-less copy it can write into; it cannot pull its test containers here,
# so only --venv works, with a local get-pip stand-in (see docs/fleet.md).
cmd_sanity() {
  cmd_venv >/dev/null
  local cache="$HOME/.ansible/test/cache"
  mkdir -p "$cache"
  for f in get_pip_24_2.py; do
    [ -f "$cache/$f" ] || cat >"$cache/$f" <<'PY'
# Stand-in for get-pip.py (no download here): pip comes from ensurepip.
import os, subprocess, sys
os.environ.pop("PIP_CONFIG_FILE", None)
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
PY
  done
  # Outside the repo: inside a git work tree ansible-test sees only tracked
  # files, and .build is ignored (it then skips every target).
  SANITY_TOP=$(mktemp -d /tmp/runbook-ansible-test.XXXXXX)
  trap 'rm -rf "$SANITY_TOP"' EXIT
  local work="$SANITY_TOP/ansible_collections/runbook/agent"
  mkdir -p "$work"
  cp -a "$COLLECTION/." "$work/"
  cd "$work"
  PATH="$VENV/bin:$PATH" "$VENV/bin/ansible-test" sanity --venv --python 3.11 "$@"
}

cmd_bench() {
  cmd_venv >/dev/null
  export RUNBOOK_ANSIBLE_IMAGE
  RUNBOOK_ANSIBLE_IMAGE=$(cmd_image)
  export RUNBOOK_ROOT="$ROOT"
  # The Agent-host sandboxes share the machine's one daemon with the suite's.
  exec 9>/tmp/runbook-sandbox.lock
  flock 9
  cd "$ROOT/ansible"
  "$VENV/bin/python" tests/bench_fleet.py "$@"
}

case "${1:-}" in
  bench) shift; cmd_bench "$@" ;;
  venv) shift; cmd_venv "$@" ;;
  image) shift; cmd_image "$@" ;;
  test) shift; cmd_test "$@" ;;
  sanity) shift; cmd_sanity "$@" ;;
  *) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
