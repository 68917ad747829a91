#!/usr/bin/env bash
# The release: a portable x86-64 runbook binary that runs on glibc 2.17 and
# later (every supported Agent host: Debian 9-11, Ubuntu 16-22, Amazon Linux 2,
# CentOS 7, Fedora, Oracle Linux 7/8, RHEL 7-9), and three artifacts with the
# same content: a .deb, an .rpm and a .tar.gz, plus SHA256SUMS.
#
#   scripts/release.sh [--out DIR]      default: target/dist
#
# Each artifact holds /usr/bin/runbook, bash, zsh and fish completions, the
# man pages (runbook man) and the docs under /usr/share/doc/runbook/. Nothing
# runs at install time. The binary is linked against glibc 2.17 with
# cargo-zigbuild and zig (both from PyPI, in a venv under .build/); packages
# are made with dpkg-deb and rpmbuild (Debian's rpm, installed if missing).
# docs/architecture.md ("Releases") says why. Plain `cargo build` is untouched:
# this build has its own target folder, target/portable.
#
# SOURCE_DATE_EPOCH, when set, is the build date in `runbook --version` and
# the time stamp of every packaged file; otherwise files get the commit's time.
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
umask 022
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# Pinned, so that a release is built the same way on every machine.
ZIGLANG_VERSION=0.17.1
CARGO_ZIGBUILD_VERSION=0.24.1
TRIPLE=x86_64-unknown-linux-gnu
GLIBC_BASELINE=2.17

TOOLS="$ROOT/.build/release-tools"
TARGET_DIR="$ROOT/target/portable"
OUT="$ROOT/target/dist"

log() { printf 'release: %s\n' "$*" >&2; }
die() { printf 'release: error: %s\n' "$*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="${2:?--out needs a folder}"; shift 2 ;;
    -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

apt_install() {
  [ "$(id -u)" = 0 ] || die "$* missing; install it (apt-get install -y $*) or run as root"
  command -v apt-get >/dev/null || die "$* missing and no apt-get here to install it"
  log "installing $*"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

tools() {
  command -v cargo >/dev/null || die "cargo not found: install Rust with rustup first"
  local missing=()
  python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
  command -v dpkg-deb >/dev/null || missing+=(dpkg)
  command -v rpmbuild >/dev/null || missing+=(rpm)
  command -v objdump >/dev/null || missing+=(binutils)
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

  local venv="$TOOLS/venv" want="cargo-zigbuild $CARGO_ZIGBUILD_VERSION / zig $ZIGLANG_VERSION"
  if [ "$(cat "$venv/.versions" 2>/dev/null)" != "$want" ]; then
    log "installing $want into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
      "ziglang==$ZIGLANG_VERSION" "cargo-zigbuild==$CARGO_ZIGBUILD_VERSION" >&2 ||
      die "pip could not install ziglang==$ZIGLANG_VERSION and cargo-zigbuild==$CARGO_ZIGBUILD_VERSION"
    echo "$want" >"$venv/.versions"
  fi
  # cargo-zigbuild runs zig as `python3 -m ziglang` from the venv's python.
  export PATH="$venv/bin:$PATH"
  export ZIG_GLOBAL_CACHE_DIR="$TOOLS/zig-cache"
  export XDG_CACHE_HOME="$TOOLS/cache"
}

build() {
  log "cargo zigbuild --release --target $TRIPLE.$GLIBC_BASELINE (a cold build takes several minutes)"
  nice -n 10 cargo zigbuild --release --locked --target "$TRIPLE.$GLIBC_BASELINE" --target-dir "$TARGET_DIR" >&2 ||
    die "the portable build failed (see the cargo output above)"
  BIN="$TARGET_DIR/$TRIPLE/release/runbook"
  [ -x "$BIN" ] || die "the build left no binary at $BIN"
}

# name, version, description, license, homepage from Cargo.toml.
metadata() {
  local json
  json=$(cargo metadata --no-deps --format-version 1 --locked --manifest-path "$ROOT/Cargo.toml") ||
    die "cargo metadata failed"
  local vars
  vars=$(python3 -c '
import json, shlex, sys
p = next(p for p in json.load(sys.stdin)["packages"] if p["name"] == "runbook")
for key in ("name", "version", "description", "license", "homepage"):
    value = p.get(key) or ""
    if not value:
        sys.exit(f"Cargo.toml has no {key}")
    print(f"PKG_{key.upper()}={shlex.quote(value)}")
' <<<"$json") || die "Cargo.toml lacks package metadata (see above)"
  eval "$vars"
  # A pre-release 1.2.0-rc.1 sorts before 1.2.0 in both formats as 1.2.0~rc.1.
  PKG_PKGVERSION=${PKG_VERSION//-/\~}
}

# Reads the binary's own answer (the ELF version needs, src/cli/elf.rs).
glibc_needed() {
  local line
  line=$("$BIN" --version | sed -n 's/^glibc: *//p')
  case "$line" in
    static*) echo static ;;
    [0-9]*" or later") echo "${line%% *}" ;;
    *) die "runbook --version gives no glibc version: '$line'" ;;
  esac
}

put() { # MODE DEST < content
  mkdir -p "$(dirname "$2")"
  cat >"$2"
  chmod "$1" "$2"
}

# The tree every artifact holds (zsh's folder as rpm-based systems and zsh
# itself use it; the .deb moves it to Debian's).
stage() {
  local d="$1" gen="$WORK/gen"
  rm -rf "$d" "$gen"
  mkdir -p "$d" "$gen/man"
  put 0755 "$d/usr/bin/runbook" <"$BIN"
  "$BIN" completions bash | put 0644 "$d/usr/share/bash-completion/completions/runbook"
  "$BIN" completions zsh | put 0644 "$d/usr/share/zsh/site-functions/_runbook"
  "$BIN" completions fish | put 0644 "$d/usr/share/fish/vendor_completions.d/runbook.fish"
  "$BIN" man "$gen/man" >/dev/null
  local page
  for page in "$gen/man"/*.1; do
    gzip -9n <"$page" | put 0644 "$d/usr/share/man/man1/$(basename "$page").gz"
  done
  local doc="$d/usr/share/doc/runbook" f
  put 0644 "$doc/README.md" <README.md
  # The whole docs/ folder, so README's links (docs/…) still resolve.
  while IFS= read -r f; do
    put 0644 "$doc/$f" <"$f"
  done < <(find docs -type f | LC_ALL=C sort)
  sed "s|@HOMEPAGE@|$PKG_HOMEPAGE|" packaging/copyright | put 0644 "$doc/copyright"
  # What the binary carries besides runbook's own code.
  {
    echo "The runbook binary includes these Rust crates, each under the license named:"
    echo
    cargo tree --locked --offline -e normal --target "$TRIPLE" --prefix none --format '{p}  {l}' |
      grep -v '^runbook ' | sed 's/ (\*)$//; s/ (proc-macro)//' | LC_ALL=C sort -u
  } | put 0644 "$doc/third-party-crates.txt"
  find "$d" -type d -exec chmod 0755 {} +
}

# Same time stamp on every packaged file.
stamp() { find "$1" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +; }

make_tar() {
  local d="$1" out="$OUT/runbook-$PKG_VERSION-x86_64-linux-gnu.tar.gz"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
    -C "$d" -cf - usr | gzip -9n >"$out.tmp"
  mv "$out.tmp" "$out"
  TARBALL=$(basename "$out")
}

make_deb() {
  local d="$1" glibc="$2" out="$OUT/${PKG_NAME}_${PKG_PKGVERSION}_amd64.deb"
  mkdir -p "$d/usr/share/zsh/vendor-completions" "$d/DEBIAN"
  mv "$d/usr/share/zsh/site-functions/_runbook" "$d/usr/share/zsh/vendor-completions/_runbook"
  rmdir "$d/usr/share/zsh/site-functions"
  local depends=""
  [ "$glibc" = static ] || depends="Depends: libc6 (>= $glibc)"
  {
    echo "Package: $PKG_NAME"
    echo "Version: $PKG_PKGVERSION"
    echo "Architecture: amd64"
    echo "Maintainer: runbook maintainers <maintainers@runbook.invalid>"
    echo "Installed-Size: $(du -sk "$d/usr" | cut -f1)"
    [ -z "$depends" ] || echo "$depends"
    echo "Section: admin"
    echo "Priority: optional"
    echo "Homepage: $PKG_HOMEPAGE"
    echo "Description: $PKG_DESCRIPTION"
    # Extended description: each line indented by one space, blank lines as " .".
    sed 's/^$/./; s/^/ /' packaging/description
  } | put 0644 "$d/DEBIAN/control"
  (cd "$d" && find usr -type f | LC_ALL=C sort | xargs md5sum) | put 0644 "$d/DEBIAN/md5sums"
  chmod 0755 "$d/DEBIAN"
  stamp "$d"
  dpkg-deb --root-owner-group -Zxz --build "$d" "$out.tmp" >/dev/null || die "dpkg-deb failed"
  mv "$out.tmp" "$out"
  DEB=$(basename "$out")
}

make_rpm() {
  local d="$1" top="$WORK/rpmbuild"
  rm -rf "$top"
  mkdir -p "$top"
  esc() { printf '%s' "${1//%/%%}"; }
  rpmbuild -bb --quiet --target x86_64-linux \
    --define "_topdir $top" \
    --define "_rpmdir $top/RPMS" \
    --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
    --define "use_source_date_epoch_as_buildtime 1" \
    --define "clamp_mtime_to_source_date_epoch 1" \
    --define "rb_version $(esc "$PKG_PKGVERSION")" \
    --define "rb_summary $(esc "$PKG_DESCRIPTION")" \
    --define "rb_license $(esc "$PKG_LICENSE")" \
    --define "rb_homepage $(esc "$PKG_HOMEPAGE")" \
    --define "rb_description $ROOT/packaging/description" \
    --define "rb_stage $d" \
    packaging/runbook.spec >"$WORK/rpmbuild.log" 2>&1 ||
    { cat "$WORK/rpmbuild.log" >&2; die "rpmbuild failed"; }
  local rpm
  rpm=$(find "$top/RPMS" -name '*.rpm')
  [ "$(printf '%s\n' "$rpm" | wc -l)" = 1 ] && [ -n "$rpm" ] || die "rpmbuild made '$rpm', not one package"
  mv "$rpm" "$OUT/"
  RPM=$(basename "$rpm")
}

tools
build
metadata
WORK="$OUT/.work"
rm -rf "$WORK"
mkdir -p "$WORK"
GLIBC=$(glibc_needed)
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH

log "staging $PKG_NAME $PKG_VERSION (needs glibc $GLIBC)"
stage "$WORK/common"
stamp "$WORK/common"
rm -f "$OUT"/*.deb "$OUT"/*.rpm "$OUT"/*.tar.gz "$OUT/SHA256SUMS"
make_tar "$WORK/common"
make_rpm "$WORK/common"
cp -a "$WORK/common" "$WORK/deb"
make_deb "$WORK/deb" "$GLIBC"
(cd "$OUT" && sha256sum "$DEB" "$RPM" "$TARBALL" >SHA256SUMS)
rm -rf "$WORK"

log "done:"
(cd "$OUT" && ls -l "$DEB" "$RPM" "$TARBALL" SHA256SUMS) >&2
printf '%s\n' "$OUT/$DEB" "$OUT/$RPM" "$OUT/$TARBALL" "$OUT/SHA256SUMS"
