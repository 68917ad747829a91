#!/usr/bin/env bash
# Agent-host sandbox: a container with systemd as PID 1 that behaves like an
# Alation Agent host (group alationdocker, /etc/hydra, hydra.service, kratos),
# talking to the machine's one Docker daemon through the bind-mounted socket.
#
#   scripts/sandbox.sh image            build the systemd image (cached by tag)
#   scripts/sandbox.sh addon VERSION    build .build/addon/auth-service-docker-image-VERSION.tar.gz
#   scripts/sandbox.sh up [NAME]        start an Agent-host container (default runbook-agent-$$);
#                                       SANDBOX_AUTH_CONTAINER=C names its add-on container C, not
#                                       auth, so several sandboxes can run at once (tests/fixtures/kratos)
#   scripts/sandbox.sh down NAME        remove it and the Agent containers it started
#   scripts/sandbox.sh runner [NAME]    print the cargo target runner (scripts/sandbox-runner.sh) and its use
#   scripts/sandbox.sh deps             install docker.io, debootstrap, busybox-static; start dockerd
#   scripts/sandbox.sh mirror           print the Debian mirror apt uses here (for other debootstraps)
#
# Everything generated lives under the ignored .build/ folder.
set -euo pipefail
# dockerd and debootstrap live in sbin, which a non-login PATH may lack.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD="$ROOT/.build"
FIXTURES="$ROOT/tests/fixtures"
SUITE=bookworm
# Packages inside the Agent host: systemd as PID 1 and what the test binaries
# (dynamically linked against glibc, bookworm like the host) and scripts need;
# tinyproxy, stunnel4 and openssl for the proxy and TLS tests (tests/it/common/net.rs).
PACKAGES=systemd,systemd-sysv,dbus,ca-certificates,gzip,procps,passwd,tinyproxy,stunnel4,openssl
# The tag carries a hash of the recipe, so a changed package list rebuilds.
# Services the packages would start at boot; the tests start their own copies,
# and on the host network a boot-time tinyproxy of each sandbox fights for
# port 8888 (and leaves the second sandbox "degraded").
MASKED=tinyproxy.service,stunnel4.service
RECIPE_HASH=$(printf '%s %s %s' "$SUITE" "$PACKAGES" "$MASKED" | sha256sum | cut -c1-10)
IMAGE="${SANDBOX_IMAGE:-runbook-agent-host:$SUITE-$RECIPE_HASH}"

log() { printf 'sandbox: %s\n' "$*" >&2; }
die() { printf 'sandbox: error: %s\n' "$*" >&2; exit 1; }

# FROM scratch has no libc: only a statically linked busybox runs there.
# (ldd is always present; `file` is not on a minimal machine.)
is_static_busybox() {
  [ -n "${1:-}" ] && [ -x "$1" ] || return 1
  local out
  out=$(LC_ALL=C ldd "$1" 2>&1 || true) # ldd exits 1 for a static binary
  [[ "$out" == *"not a dynamic executable"* ]]
}

need_root() { [ "$(id -u)" = 0 ] || die "$1 needs root (debootstrap, docker); run it with sudo"; }

# The Debian mirror apt already uses here (both one-line and deb822 formats),
# so debootstrap works wherever apt does; SANDBOX_MIRROR overrides it.
debian_mirror() {
  if [ -n "${SANDBOX_MIRROR:-}" ]; then echo "$SANDBOX_MIRROR"; return; fi
  local m
  m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    grep -oE '(^deb(\s+\[[^]]*\])?|^URIs:)\s+https?://\S+/debian/?(\s|$)' | grep -oE 'https?://\S+' | head -n1 || true)
  echo "${m:-http://deb.debian.org/debian}"
}

cmd_deps() {
  local missing=()
  # The machine may carry a docker client without a daemon: look for dockerd.
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  is_static_busybox /bin/busybox || missing+=(busybox-static)
  if [ ${#missing[@]} -gt 0 ]; then
    need_root "installing ${missing[*]}"
    log "installing ${missing[*]}"
    # A fresh machine may have no package lists yet.
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >&2
  fi
  ensure_daemon
}

# No systemd on these machines: start dockerd ourselves when nothing answers.
ensure_daemon() {
  docker info >/dev/null 2>&1 && return 0
  need_root "starting dockerd"
  log "starting dockerd (log: /tmp/dockerd.log)"
  (setsid nohup dockerd >/tmp/dockerd.log 2>&1 &)
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && return 0; sleep 1; done
  die "dockerd did not come up within 60s; see /tmp/dockerd.log"
}

cmd_image() {
  ensure_daemon
  if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    log "image $IMAGE is cached"
    echo "$IMAGE"
    return
  fi
  need_root "building the image"
  local rootfs="$BUILD/rootfs-$RECIPE_HASH" mirror
  mirror=$(debian_mirror)
  rm -rf "$rootfs"
  mkdir -p "$BUILD"
  log "debootstrap $SUITE from $mirror (about a minute)"
  debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$rootfs" "$mirror" >"$BUILD/debootstrap.log" 2>&1 ||
    die "debootstrap failed; see $BUILD/debootstrap.log"
  # An empty machine-id makes systemd generate one per container.
  : >"$rootfs/etc/machine-id"
  local unit
  for unit in ${MASKED//,/ }; do ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"; done
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  log "importing as $IMAGE"
  tar -C "$rootfs" -c . | docker import -c 'CMD ["/sbin/init"]' - "$IMAGE" >/dev/null
  rm -rf "$rootfs"
  echo "$IMAGE"
}

cmd_addon() {
  local version="${1:?usage: sandbox.sh addon VERSION}"
  [[ "$version" =~ ^[0-9]+(\.[0-9]+)*$ ]] || die "version '$version' must be dotted numbers, e.g. 5.14.0.1968"
  ensure_daemon
  local busybox
  busybox=$(command -v busybox || true)
  is_static_busybox "$busybox" ||
    die "a statically linked busybox is needed: apt-get install -y busybox-static"
  local ctx="$BUILD/addon/src-$version" out="$BUILD/addon/auth-service-docker-image-$version.tar.gz"
  rm -rf "$ctx"
  mkdir -p "$ctx/bin" "$ctx/www/cgi-bin"
  cp "$busybox" "$ctx/bin/busybox"
  for applet in sh sleep httpd wget cat grep sed id test echo ls; do ln -s busybox "$ctx/bin/$applet"; done
  cp "$FIXTURES/addon/Dockerfile" "$ctx/Dockerfile"
  cp "$FIXTURES/addon/profiles.cgi" "$ctx/www/cgi-bin/profiles"
  chmod 755 "$ctx/www/cgi-bin/profiles"
  # Different content per version, so each archive has its own image id.
  echo "auth-service $version" >"$ctx/www/index.html"
  echo "$version" >"$ctx/www/version"
  log "building add-on image auth ($version)"
  # --no-cache: the legacy builder once reused a stale COPY layer whose symlinks differed.
  docker build --no-cache -q --build-arg "VERSION=$version" -t auth "$ctx" >"$ctx.build.log" 2>&1 ||
    { cat "$ctx.build.log" >&2; die "docker build of the add-on failed"; }
  docker save auth | gzip >"$out.tmp"
  mv "$out.tmp" "$out"
  # The archive is what the tests install; leave no image behind to fake "already loaded".
  docker rmi auth >/dev/null 2>&1 || true
  docker image prune -f --filter "label=org.opencontainers.image.title=auth-service (runbook stand-in)" >/dev/null 2>&1 || true
  echo "$out"
}

cmd_up() {
  local name="${1:-runbook-agent-$$}"
  ensure_daemon
  local image
  image=$(cmd_image)
  local state="$BUILD/sandbox/$name"
  local docker_cli
  docker_cli=$(command -v docker)
  docker rm -f "$name" >/dev/null 2>&1 || true
  rm -rf "$state"
  # The host folder behind /etc/hydra/auth: the Agent host sees it there, and
  # the auth container mounts the same folder read-only (the daemon resolves
  # bind paths on this machine, not inside the Agent host).
  mkdir -p "$state/auth"
  chmod 755 "$state" "$state/auth"
  log "starting $name from $image"
  docker run -d --name "$name" --hostname "$name" \
    --label runbook.sandbox=1 \
    --network host \
    --cap-add ALL --cap-drop SYS_RESOURCE \
    --security-opt seccomp=unconfined --security-opt apparmor=unconfined --security-opt systempaths=unconfined \
    --cgroupns=private --tmpfs /run --tmpfs /run/lock --tmpfs /tmp \
    -e container=docker \
    -v /var/run/docker.sock:/var/run/docker.sock \
    -v "$docker_cli:/usr/local/bin/docker:ro" \
    -v "$ROOT:$ROOT" \
    -v "$state/auth:/etc/hydra/auth" \
    "$image" >/dev/null
  local s=""
  for _ in $(seq 1 100); do
    s=$(docker exec "$name" systemctl is-system-running 2>/dev/null || true)
    case "$s" in running | degraded) break ;; esac
    sleep 0.2
  done
  [ "$s" = running ] || {
    docker exec "$name" systemctl --failed --no-pager >&2 || true
    die "$name did not boot to 'running' (state: ${s:-none})"
  }
  provision "$name" "$state"
  log "$name is up"
  echo "$name"
}

# Makes the booted container look like an Agent host. Installed at every `up`
# from the repo (not baked into the image), so editing a fixture needs no rebuild.
provision() {
  local name="$1" state="$2"
  docker exec -i "$name" bash -euo pipefail -s <<SH
groupadd --system alationdocker 2>/dev/null || true
mkdir -p /etc/hydra
cat >/etc/hydra/sandbox.env <<ENV
# Written by scripts/sandbox.sh: where /etc/hydra/auth lives on the Docker host.
HYDRA_AUTH_HOST_DIR=$state/auth
SANDBOX_NAME=$name
AUTH_CONTAINER=${SANDBOX_AUTH_CONTAINER:-auth}
ENV
install -m 755 "$FIXTURES/agent-host/hydra" /usr/local/bin/hydra
install -m 755 "$FIXTURES/kratos" /usr/local/bin/kratos
install -m 644 "$FIXTURES/agent-host/hydra.service" /etc/systemd/system/hydra.service
systemctl daemon-reload
systemctl enable --now hydra.service >/dev/null 2>&1
systemctl is-active hydra.service >/dev/null
SH
}

cmd_down() {
  local name="${1:?usage: sandbox.sh down NAME}"
  # The Agent's containers belong to this sandbox (label set by kratos).
  local agent
  agent=$(docker ps -aq --filter "label=runbook.sandbox.host=$name" 2>/dev/null || true)
  [ -z "$agent" ] || docker rm -f $agent >/dev/null
  docker rm -f "$name" >/dev/null 2>&1 || true
  rm -rf "$BUILD/sandbox/$name"
  log "$name is down"
}

cmd_runner() {
  local name="${1:-${SANDBOX_NAME:-}}"
  local runner="$ROOT/scripts/sandbox-runner.sh"
  [ -x "$runner" ] || die "$runner is missing"
  echo "$runner"
  [ -z "$name" ] || log "use: SANDBOX_NAME=$name CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER=$runner cargo test …"
}

case "${1:-}" in
  deps) shift; cmd_deps "$@" ;;
  image) shift; cmd_image "$@" ;;
  addon) shift; cmd_addon "$@" ;;
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down "$@" ;;
  runner) shift; cmd_runner "$@" ;;
  mirror) debian_mirror ;;
  *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
