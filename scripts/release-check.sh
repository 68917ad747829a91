#!/usr/bin/env bash
# Checks the release (scripts/release.sh) the way an Agent host would meet it:
#
#   1. the portable binary needs glibc <= 2.17 and links only libc, libm,
#      libpthread, libdl, librt and the loader (objdump, readelf, file), and
#      `runbook --version` says the same;
#   2. the .deb, .rpm and .tar.gz hold exactly the intended files with the
#      intended modes, the same content, the right metadata, no install scripts;
#   3. bash completion from the package completes `runbook ru<TAB>` to `run`;
#   4. the .rpm installs into an empty `rpm --root` database, and runs;
#   5. in a Debian bullseye root (glibc 2.31, debootstrap, cached under .build/)
#      the .deb installs and runbook runs --version, list and a check-mode run;
#   6. in the bookworm Agent-host sandbox the .deb installs with dpkg -i, the
#      demo playbook runs end to end from /usr/bin/runbook against moto, a
#      second run changes nothing, and dpkg -r leaves no file behind.
#
#   scripts/release-check.sh              build with scripts/release.sh, then check
#   scripts/release-check.sh --no-build   check the artifacts already in target/dist
#
# Needs root (debootstrap, chroot, Docker); installs what it misses. Nothing is
# skipped: a missing tool or service fails the check. Outside CI a developer
# may skip stage 6 with RUNBOOK_SKIP_SANDBOX=1 (refused when CI=true).
# Prints 'release-check: N passed, M failed' last; exits 1 if any failed.
# Bodies of `sh -c '…'` run elsewhere (a chroot, the sandbox): their $ are theirs.
# shellcheck disable=SC2016
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export CI="${CI:-true}"

DIST="$ROOT/target/dist"
BUILD="$ROOT/.build"
GLIBC_MAX=2.17
ALLOWED_LIBS="libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1 ld-linux-x86-64.so.2"
LOCK=/tmp/runbook-sandbox.lock
ADDON_VERSION=5.14.0.1968

build=1
case "${1:-}" in
  "") ;;
  --no-build) build=0 ;;
  -h | --help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "release-check: unknown argument '$1' (see --help)" >&2; exit 2 ;;
esac

passed=0
failed=0
step() { printf '\n--> %s\n' "$*"; }
ok() { passed=$((passed + 1)); printf 'ok    %s\n' "$*"; }
bad() { failed=$((failed + 1)); printf 'FAIL  %s\n' "$*"; }
die() { printf 'release-check: error: %s\n' "$*" >&2; exit 1; }
# check DESCRIPTION COMMAND...: ok when the command succeeds; its output on failure.
check() {
  local what="$1" out
  shift
  if out=$("$@" 2>&1); then ok "$what"; else bad "$what"; printf '%s\n' "$out" | sed 's/^/      /' | sed -n 1,40p; fi
}
# check_out DESCRIPTION REGEX COMMAND...: ok when the command succeeds and a
# line of its output matches REGEX (grep -E).
check_out() {
  local what="$1" re="$2" out
  shift 2
  if out=$("$@" 2>&1) && grep -qE -- "$re" <<<"$out"; then ok "$what"; else
    bad "$what (wanted a line matching /$re/)"
    printf '%s\n' "$out" | sed 's/^/      /' | sed -n 1,40p
  fi
}
timed() { # NAME COMMAND...: runs a stage, reports its wall time
  local name="$1" t0=$SECONDS
  shift
  "$@"
  printf '      (%s: %ss)\n' "$name" $((SECONDS - t0))
  TIMES+=("$name $((SECONDS - t0))s")
}
TIMES=()
LOCK_WAIT=0

W=$(mktemp -d /tmp/runbook-release-check.XXXXXX)
SANDBOX=""
MOTO_STARTED=0
cleanup() {
  local rc=$?
  [ -z "$SANDBOX" ] || scripts/sandbox.sh down "$SANDBOX" >/dev/null 2>&1 || true
  [ "$MOTO_STARTED" = 0 ] || scripts/moto.sh stop >/dev/null 2>&1 || true
  rm -rf "$W"
  exit "$rc"
}
trap cleanup EXIT

deps() {
  [ "$(id -u)" = 0 ] || die "needs root (dpkg -i, debootstrap, chroot, Docker)"
  local missing=()
  command -v objdump >/dev/null && command -v readelf >/dev/null || missing+=(binutils)
  command -v file >/dev/null || missing+=(file)
  command -v rpm >/dev/null || missing+=(rpm)
  command -v curl >/dev/null || missing+=(curl)
  command -v unshare >/dev/null || missing+=(util-linux)
  python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  scripts/sandbox.sh deps
}

artifacts() {
  if [ "$build" = 1 ]; then
    scripts/release.sh --out "$DIST" >/dev/null
  fi
  [ -f "$DIST/SHA256SUMS" ] || die "no $DIST/SHA256SUMS: run scripts/release.sh first (or drop --no-build)"
  DEB=$(find "$DIST" -maxdepth 1 -name '*.deb' | sed -n 1p)
  RPM=$(find "$DIST" -maxdepth 1 -name '*.rpm' | sed -n 1p)
  TGZ=$(find "$DIST" -maxdepth 1 -name '*.tar.gz' | sed -n 1p)
  [ -n "$DEB" ] && [ -n "$RPM" ] && [ -n "$TGZ" ] || die "target/dist lacks a .deb, .rpm or .tar.gz"
  check "SHA256SUMS lists the three artifacts and matches them" sums_match
  mkdir -p "$W/deb" "$W/tar"
  dpkg-deb -x "$DEB" "$W/deb"
  tar -C "$W/tar" -xzf "$TGZ"
  BIN="$W/tar/usr/bin/runbook"
  [ -x "$BIN" ] || die "the tarball has no executable usr/bin/runbook"
  local meta
  meta=$(cargo metadata --no-deps --format-version 1 --locked | python3 -c '
import json, shlex, sys
p = next(p for p in json.load(sys.stdin)["packages"] if p["name"] == "runbook")
for k in ("version", "description", "license", "homepage"):
    print("WANT_%s=%s" % (k.upper(), shlex.quote(p.get(k) or "")))
') || die "cannot read Cargo.toml through cargo metadata"
  eval "$meta"
}

sums_match() {
  local listed want
  listed=$(awk '{print $2}' "$DIST/SHA256SUMS" | LC_ALL=C sort)
  want=$(for f in "$DEB" "$RPM" "$TGZ"; do basename "$f"; done | LC_ALL=C sort)
  [ "$listed" = "$want" ] || { echo "SHA256SUMS lists: $listed"; return 1; }
  (cd "$DIST" && sha256sum -c --strict SHA256SUMS)
}

# ---- 1. the binary ---------------------------------------------------------

version_ge() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -n1)" = "$1" ]; }
version_lt() { [ "$1" != "$2" ] && ! version_ge "$1" "$2"; }

binary() {
  local desc highest needed lib bad_libs=""
  desc=$(file -b "$BIN")
  if [[ "$desc" == *"statically linked"* ]]; then
    ok "the binary is static: $desc"
    highest=static
  else
    highest=$(objdump -T "$BIN" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n1)
    if [ -n "$highest" ] && version_ge "$GLIBC_MAX" "$highest"; then
      ok "highest GLIBC_ symbol version is $highest (<= $GLIBC_MAX)"
    else
      bad "highest GLIBC_ symbol version is '${highest:-none}', above $GLIBC_MAX"
    fi
    needed=$(readelf -d "$BIN" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
    for lib in $needed; do
      [[ " $ALLOWED_LIBS " == *" $lib "* ]] || bad_libs+=" $lib"
    done
    if [ -n "$needed" ] && [ -z "$bad_libs" ]; then
      ok "links only glibc's own libraries: $(paste -sd' ' <<<"$needed")"
    else
      bad "links libraries beyond $ALLOWED_LIBS:${bad_libs:- (none found at all)}"
    fi
    check_out "the interpreter is the standard x86-64 loader" 'interpreter /lib64/ld-linux-x86-64\.so\.2,' file -b "$BIN"
  fi

  local v
  v=$("$BIN" --version)
  printf '%s\n' "$v" | sed 's/^/      /'
  local glibc_line commit_line want_commit
  glibc_line=$(sed -n 's/^glibc: *//p' <<<"$v")
  if [ "$highest" = static ]; then
    check "--version says static" grep -q '^static' <<<"$glibc_line"
  else
    check "--version's glibc ($glibc_line) is what objdump finds ($highest)" \
      test "$glibc_line" = "$highest or later"
  fi
  check "--version starts with runbook $WANT_VERSION" test "$(head -n1 <<<"$v")" = "runbook $WANT_VERSION"
  check "--version names the target" grep -qx 'target: x86_64-unknown-linux-gnu' <<<"$v"
  check "--version gives a build date" grep -qE '^built: +[0-9]{4}-[0-9]{2}-[0-9]{2}$' <<<"$v"
  commit_line=$(sed -n 's/^commit: *//p' <<<"$v")
  if want_commit=$(git rev-parse --short=12 HEAD 2>/dev/null); then
    if [ "$build" = 1 ]; then
      check "--version's commit ($commit_line) is HEAD ($want_commit)" test "${commit_line%% *}" = "$want_commit"
    else
      # Artifacts built earlier: their commit need only be one of this repository's.
      check "--version's commit ($commit_line) is a commit of this repository" \
        git cat-file -e "${commit_line%% *}^{commit}"
    fi
  else
    check "--version says the commit is unknown outside git" grep -q '^unknown' <<<"$commit_line"
  fi
  check "-V stays one line" test "$("$BIN" -V)" = "runbook $WANT_VERSION"
}

# ---- 2. contents and metadata ----------------------------------------------

# "MODE OWNER PATH" for every file an artifact must hold, sorted; ZSH is the
# completion folder (Debian's vendor-completions or site-functions).
expected_files() {
  local zsh="$1" cmd f
  {
    echo "-rwxr-xr-x root:root /usr/bin/runbook"
    echo "-rw-r--r-- root:root /usr/share/bash-completion/completions/runbook"
    echo "-rw-r--r-- root:root /usr/share/zsh/$zsh/_runbook"
    echo "-rw-r--r-- root:root /usr/share/fish/vendor_completions.d/runbook.fish"
    echo "-rw-r--r-- root:root /usr/share/man/man1/runbook.1.gz"
    # A page per command that --help lists.
    for cmd in $("$BIN" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF {print $1}'); do
      [ "$cmd" = help ] || echo "-rw-r--r-- root:root /usr/share/man/man1/runbook-$cmd.1.gz"
    done
    echo "-rw-r--r-- root:root /usr/share/doc/runbook/README.md"
    echo "-rw-r--r-- root:root /usr/share/doc/runbook/copyright"
    echo "-rw-r--r-- root:root /usr/share/doc/runbook/third-party-crates.txt"
    while IFS= read -r f; do echo "-rw-r--r-- root:root /usr/share/doc/runbook/$f"; done < <(find docs -type f)
  } | LC_ALL=C sort
}

# The folders the package itself owns: its doc folder and the ones below it.
expected_dirs() {
  echo "drwxr-xr-x root:root /usr/share/doc/runbook"
  find docs -type d | sed 's|^|drwxr-xr-x root:root /usr/share/doc/runbook/|'
}

# dirs_are_0755_root OWNER LISTING...: every folder in a `tar -tv`-style listing.
dirs_are_0755_root() {
  local owner="$1"
  shift
  ! "$@" | awk -v o="$owner" '$1 ~ /^d/ && ($1 != "drwxr-xr-x" || $2 != o)' | grep .
}

deb_depends_at_most() {
  local d
  d=$(dpkg-deb -f "$DEB" Depends)
  [[ "$d" =~ ^libc6\ \(\>=\ ([0-9.]+)\)$ ]] || { echo "Depends: $d"; return 1; }
  version_ge "$1" "${BASH_REMATCH[1]}" || { echo "Depends: $d"; return 1; }
}

rpm_requires_at_most() {
  local v over=""
  for v in $(rpm -qpR "$RPM" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//'); do
    version_ge "$1" "$v" || over+=" $v"
  done
  [ -z "$over" ] || { echo "requires GLIBC_$over"; return 1; }
}

man_from_clap() {
  local page
  page=$(zcat "$W/tar/usr/share/man/man1/runbook-run.1.gz")
  grep -q "^\\.TH runbook-run 1 [0-9-]* \"runbook $WANT_VERSION\"" <<<"$page" && grep -q -- '--check\|\\-\\-check' <<<"$page" ||
    { head -n 5 <<<"$page"; return 1; }
}

rpm_erase_leaves_nothing() {
  rpm --root "$W/rpmroot" -e runbook || return 1
  ! find "$W/rpmroot/usr" -type f | grep .
}

same() { # WHAT EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then ok "$1"; else
    bad "$1"
    diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed 's/^/      /' | sed -n 1,40p
  fi
}

contents() {
  local want got
  want=$(expected_files site-functions)
  got=$(tar --numeric-owner -tvzf "$TGZ" | awk '$1 !~ /^d/ {sub("^0/0$", "root:root", $2); print $1, $2, "/" $6}' | LC_ALL=C sort)
  same "the tarball holds exactly the intended files, modes and owner" "$want" "$got"
  check "every folder in the tarball is 0755 root" dirs_are_0755_root 0/0 tar --numeric-owner -tvzf "$TGZ"

  want=$(expected_files vendor-completions)
  got=$(dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ {sub("/", ":", $2); sub("^\\./", "/", $6); print $1, $2, $6}' | LC_ALL=C sort)
  same "the .deb holds exactly the intended files, modes and owner" "$want" "$got"
  check "every folder in the .deb is 0755 root" dirs_are_0755_root root/root dpkg-deb -c "$DEB"

  want=$({ expected_files site-functions; expected_dirs; } | awk '{print $3, $1, $2}' | LC_ALL=C sort)
  got=$(rpm -qp --qf '[%{FILENAMES} %{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME}\n]' "$RPM" | LC_ALL=C sort)
  same "rpm -qlp lists exactly the intended files and folders, modes and owner" "$want" "$got"

  # Metadata.
  local f
  f=$(dpkg-deb -f "$DEB" Package Version Architecture Homepage)
  same ".deb fields: name, version, architecture, homepage" \
    "$(printf 'Package: runbook\nVersion: %s\nArchitecture: amd64\nHomepage: %s' "${WANT_VERSION//-/\~}" "$WANT_HOMEPAGE")" "$f"
  check ".deb description is Cargo.toml's" test "$(dpkg-deb -f "$DEB" Description | sed -n 1p)" = "$WANT_DESCRIPTION"
  check ".deb depends on libc6 (>= $GLIBC_MAX) at most" deb_depends_at_most "$GLIBC_MAX"
  check ".deb has no maintainer scripts (control and md5sums only)" \
    test "$(dpkg-deb --ctrl-tarfile "$DEB" | tar -t | sed 's|^\./||' | grep -v '^$' | LC_ALL=C sort | tr '\n' ' ')" = "control md5sums "
  check ".deb copyright names Apache-2.0" grep -q '^License: Apache-2.0' "$W/deb/usr/share/doc/runbook/copyright"
  got=$(rpm -qp --qf '%{NAME}|%{VERSION}|%{ARCH}|%{LICENSE}|%{URL}|%{SUMMARY}' "$RPM")
  same ".rpm tags: name, version, arch, license, URL, summary" \
    "runbook|${WANT_VERSION//-/\~}|x86_64|$WANT_LICENSE|$WANT_HOMEPAGE|$WANT_DESCRIPTION" "$got"
  check "the license is Apache-2.0" test "$WANT_LICENSE" = Apache-2.0
  check ".rpm has no install or removal scripts or triggers" \
    test -z "$(rpm -qp --scripts --triggers "$RPM")"
  check ".rpm requires no glibc symbol version above $GLIBC_MAX" rpm_requires_at_most "$GLIBC_MAX"
  check "the man pages come from the clap definitions (runbook-run.1 documents --check)" man_from_clap

  # Same content in all three (the .deb's zsh folder aside).
  tree_sums() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sed 's|/zsh/vendor-completions/|/zsh/site-functions/|'); }
  mkdir -p "$W/rpmroot"
  rpm --root "$W/rpmroot" --initdb
  if rpm --root "$W/rpmroot" -i --nodeps "$RPM" 2>"$W/rpm.err"; then
    ok ".rpm installs into an empty rpm --root database (--nodeps)"
  else
    bad ".rpm installs into an empty rpm --root database (--nodeps)"; sed 's/^/      /' "$W/rpm.err"
  fi
  check_out "the .rpm-installed binary runs --version" "^runbook $WANT_VERSION\$" "$W/rpmroot/usr/bin/runbook" --version
  check "rpm -ql of the installed package lists the same files" \
    test "$(rpm --root "$W/rpmroot" -ql runbook | LC_ALL=C sort)" = "$(rpm -qlp "$RPM" | LC_ALL=C sort)"
  same "the .deb, the .rpm and the tarball hold the same bytes" \
    "$(tree_sums "$W/tar")" "$(tree_sums "$W/deb")"
  same "the .rpm and the tarball hold the same bytes" \
    "$(tree_sums "$W/tar")" "$(cd "$W/rpmroot" && find ./usr -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)"
  check "rpm -e removes every file it installed" rpm_erase_leaves_nothing
}

# ---- 3. bash completion ----------------------------------------------------

# complete FILE LINE: what the completion function offers for LINE.
complete_line() {
  bash --norc --noprofile -c '
    source "$1" || exit 3
    spec=$(complete -p runbook) || { echo "no completion for runbook" >&2; exit 3; }
    fn=$(sed -n "s/.*-F \([^ ]*\).*/\1/p" <<<"$spec")
    read -ra COMP_WORDS <<<"$2"
    [[ "$2" == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE=$2
    COMP_POINT=${#COMP_LINE}
    prev=""; [ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD-1]}
    "$fn" runbook "${COMP_WORDS[COMP_CWORD]}" "$prev"
    printf "%s\n" "${COMPREPLY[@]}"
  ' _ "$1" "$2"
}

completion() {
  local f="$W/deb/usr/share/bash-completion/completions/runbook"
  same "bash completion: 'runbook ru<TAB>' gives run" "run" "$(complete_line "$f" "runbook ru")"
  same "bash completion: 'runbook run --chec<TAB>' gives --check" "--check" "$(complete_line "$f" "runbook run --chec")"
}

# ---- 5. Debian bullseye (glibc 2.31) -------------------------------------

bullseye_root() {
  local root="$BUILD/bullseye-root" mirror
  if [ ! -f "$root/.runbook-ready" ]; then
    mirror=$(scripts/sandbox.sh mirror)
    echo "debootstrap bullseye from $mirror (about a minute; cached in $root)"
    rm -rf "$root"
    mkdir -p "$BUILD"
    debootstrap --variant=minbase bullseye "$root" "$mirror" >"$BUILD/debootstrap-bullseye.log" 2>&1 ||
      die "debootstrap bullseye failed; see $BUILD/debootstrap-bullseye.log"
    rm -rf "$root"/var/cache/apt/archives/*.deb
    touch "$root/.runbook-ready"
  fi
  BULLSEYE="$root"
}

# in_chroot COMMAND...: runs in the bullseye root, with its own /proc (so that
# runbook can read /proc/self/exe) in a private mount namespace that vanishes
# with the command.
in_chroot() {
  unshare --mount --propagation private -- sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"' "$BULLSEYE" "$@"
}

nothing_named_runbook_in() { ! find "$1" -path '*runbook*' | grep .; }

bullseye() {
  bullseye_root
  local host_glibc old_glibc
  old_glibc=$(in_chroot ldd --version | sed -n 1p | grep -oE '[0-9]+\.[0-9]+$')
  host_glibc=$(ldd --version | sed -n 1p | grep -oE '[0-9]+\.[0-9]+$')
  check "the bullseye root's glibc ($old_glibc) is older than the build machine's ($host_glibc)" \
    version_lt "$old_glibc" "$host_glibc"
  cp "$DEB" "$BULLSEYE/tmp/runbook.deb"
  in_chroot dpkg --purge runbook >/dev/null 2>&1 || true
  check "bullseye: dpkg -i installs the .deb" in_chroot dpkg -i /tmp/runbook.deb
  check_out "bullseye: runbook --version (glibc line read from the binary)" '^glibc: +2\.[0-9]+ or later$' in_chroot runbook --version
  check_out "bullseye: runbook list shows the bundled playbooks" '^alation-agent/secrets-manager-iam-user ' in_chroot runbook list
  check_out "bullseye: runbook run examples/hello --check" 'hello, world!' in_chroot runbook run examples/hello --check
  check "bullseye: dpkg -r removes it" in_chroot dpkg -r runbook
  check "bullseye: nothing of it is left" nothing_named_runbook_in "$BULLSEYE/usr"
  rm -f "$BULLSEYE/tmp/runbook.deb"
}

# ---- 6. the bookworm Agent-host sandbox -----------------------------------

# The Agent's containers have fixed names on the machine's one Docker daemon:
# one sandbox user at a time. Under scripts/test.sh, which holds the lock,
# fd 9 is that lock already (same open file: flock succeeds at once).
sandbox_lock() {
  [ "$(readlink /proc/$$/fd/9 2>/dev/null)" = "$LOCK" ] || exec 9>"$LOCK"
  local t0=$SECONDS
  flock -n 9 || { echo "waiting for the sandbox lock ($LOCK)"; flock 9; }
  LOCK_WAIT=$((SECONDS - t0))
  [ "$LOCK_WAIT" = 0 ] || echo "      (waited ${LOCK_WAIT}s for the sandbox lock)"
}

sandbox() {
  if [ "${RUNBOOK_SKIP_SANDBOX:-}" = 1 ]; then
    [ "$CI" != true ] || die "RUNBOOK_SKIP_SANDBOX=1 is refused when CI=true"
    echo "SKIPPED the Agent-host sandbox checks (RUNBOOK_SKIP_SANDBOX=1): not counted as passed"
    return
  fi
  local pidfile="$BUILD/moto.pid"
  if ! { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }; then
    scripts/moto.sh start >/dev/null
    MOTO_STARTED=1
  fi
  # shellcheck disable=SC1091
  . "$BUILD/moto.env"
  scripts/sandbox.sh image >/dev/null
  local archive="$BUILD/addon/auth-service-docker-image-$ADDON_VERSION.tar.gz"
  [ -f "$archive" ] || scripts/sandbox.sh addon "$ADDON_VERSION" >/dev/null
  sandbox_lock
  SANDBOX="runbook-release-$$"
  scripts/sandbox.sh up "$SANDBOX" >/dev/null

  agent() {
    docker exec -i "$SANDBOX" env \
      AWS_ENDPOINT_URL="$AWS_ENDPOINT_URL" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
      AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
      AWS_CONFIG_FILE="$AWS_CONFIG_FILE" AWS_SHARED_CREDENTIALS_FILE="$AWS_SHARED_CREDENTIALS_FILE" \
      NO_COLOR=1 "$@"
  }
  agent sh -c 'cat >/root/runbook.deb' <"$DEB"
  # The folders the package holds that the host has already: only those may remain after dpkg -r.
  local dirs existing
  dirs=$(dpkg-deb -c "$DEB" | awk '$1 ~ /^d/ {print $6}' | sed 's|^\.||; s|/$||' | grep .)
  existing=$(printf '%s\n' "$dirs" | agent sh -c 'while read -r d; do [ -d "$d" ] && echo "$d"; done' || true)
  check "sandbox: runbook is not installed before" agent sh -c '! command -v runbook'
  check "sandbox: dpkg -i installs the .deb" agent dpkg -i /root/runbook.deb
  check "sandbox: runbook on PATH is /usr/bin/runbook" test "$(agent sh -c 'command -v runbook')" = /usr/bin/runbook
  check_out "sandbox: runbook --version" '^glibc: +2\.[0-9]+ or later$' agent runbook --version
  check_out "sandbox: runbook list" '^alation-agent/secrets-manager-iam-user ' agent runbook list
  check_out "sandbox: runbook run examples/hello --check" 'hello, world!' agent runbook run examples/hello --check

  curl -fsS -X POST "$AWS_ENDPOINT_URL/moto-api/reset" >/dev/null
  local playbook=alation-agent/secrets-manager-iam-user set_archive="addon_archive=$archive"
  local first second
  check_out "sandbox: the README's check run of $playbook (exit 0, a plan)" '"would_change":[1-9]' \
    agent runbook run "$playbook" --check --set "$set_archive" --output json
  first=$(agent /usr/bin/runbook run "$playbook" --set "$set_archive" --yes --output json 2>"$W/first.err") ||
    { bad "sandbox: the demo playbook runs from /usr/bin/runbook against moto"; tail -n 20 "$W/first.err" | sed 's/^/      /'; }
  recap() { python3 -c 'import json,sys; r=[json.loads(l) for l in sys.stdin if l.strip()][-1]; assert r["event"]=="recap", r; print(r["success"], r["changed"], r["failed"])'; }
  local r
  r=$(recap <<<"$first" 2>&1 || true)
  if [[ "$r" =~ ^True\ ([0-9]+)\ 0$ ]] && [ "${BASH_REMATCH[1]}" -gt 0 ]; then
    ok "sandbox: the demo playbook ran end to end from /usr/bin/runbook (${BASH_REMATCH[1]} changes)"
  else
    bad "sandbox: the demo playbook ran end to end from /usr/bin/runbook (recap: $r)"
  fi
  check "sandbox: it wrote the Agent's credentials file, 0540 root:alationdocker" \
    test "$(agent stat -c '%a %U:%G' /etc/hydra/auth/.aws/credentials)" = "540 root:alationdocker"
  second=$(agent /usr/bin/runbook run "$playbook" --set "$set_archive" --yes --output json 2>"$W/second.err") || true
  r=$(recap <<<"$second" 2>&1 || true)
  same "sandbox: a second run reports zero changes" "True 0 0" "$r"

  local files
  files=$(agent dpkg-query -L runbook | grep -vx "/\.")
  check "sandbox: dpkg -r removes the package" agent dpkg -r runbook
  local status
  status=$(agent dpkg-query -W -f='${Status}' runbook 2>/dev/null || true)
  check "sandbox: dpkg no longer knows it (status '${status:-none}')" \
    test -z "${status% not-installed}"
  # Every file is gone, and every folder it brought that was not there before.
  local left
  left=$(printf '%s\n' "$files" | agent sh -c '
    while read -r p; do
      [ -n "$p" ] || continue
      if [ -d "$p" ] && [ ! -L "$p" ]; then echo "dir $p"
      elif [ -e "$p" ] || [ -L "$p" ]; then echo "file $p"; fi
    done')
  same "sandbox: no file of the package is left" "" "$(grep '^file ' <<<"$left" || true)"
  same "sandbox: no folder is left that was not there before" \
    "$(LC_ALL=C sort <<<"$existing")" "$(sed -n 's/^dir //p' <<<"$left" | LC_ALL=C sort)"
  check "sandbox: runbook is no longer on PATH" agent sh -c '! command -v runbook'
}

step "tools"
timed tools deps
step "artifacts ($([ "$build" = 1 ] && echo "scripts/release.sh" || echo "--no-build"))"
timed build artifacts
step "1. the portable binary"
timed binary binary
step "2./4. contents, modes and metadata; the .rpm in an empty rpm --root"
timed contents contents
step "3. bash completion"
timed completion completion
step "5. Debian bullseye root (glibc 2.31), chroot"
timed bullseye bullseye
step "6. bookworm Agent-host sandbox: dpkg -i, the demo from /usr/bin/runbook, dpkg -r"
timed sandbox sandbox

printf '\nrelease-check times: %s (of which waiting for the sandbox lock: %ss)\n' "${TIMES[*]}" "$LOCK_WAIT"
echo "release-check: $passed passed, $failed failed"
[ "$failed" = 0 ]
