#!/usr/bin/env bash
# Build EPICS base 7.0.3.1 from Debian's source package, once, into a cache
# directory outside the repository, and print the install directory.
#
#   scripts/epics-base.sh            # build if missing, print install dir
#
# Environment:
#   MLAYER_CACHE_DIR     cache root (default: $HOME/.cache/mlayer)
#   EPICS_BUILD_JOBS     make parallelism (default 2, the shared machine has 2 cores)
#
# The build is idempotent: a completed build leaves a stamp file and is reused.
# Concurrent callers serialise on a lock file. Everything but the final
# install directory is printed on stderr, so `dir=$(scripts/epics-base.sh)` works.
set -euo pipefail

VERSION=7.0.3.1
CACHE_ROOT="${MLAYER_CACHE_DIR:-$HOME/.cache/mlayer}"
TOP="$CACHE_ROOT/epics-base-$VERSION"
STAMP="$TOP/.mlayer-build-complete"
JOBS="${EPICS_BUILD_JOBS:-2}"

log() { echo "[epics-base] $*" >&2; }

host_arch() {
  case "$(uname -m)" in
    x86_64) echo linux-x86_64 ;;
    aarch64 | arm*) echo linux-arm ;;
    i?86) echo linux-x86 ;;
    *) log "unsupported machine $(uname -m)"; exit 1 ;;
  esac
}
ARCH="$(host_arch)"

is_complete() {
  [[ -f "$STAMP" && -x "$TOP/bin/$ARCH/softIoc" && -x "$TOP/bin/$ARCH/softIocPVA" && -x "$TOP/bin/$ARCH/caget" ]]
}

if is_complete; then
  echo "$TOP"
  exit 0
fi

mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.epics-base-$VERSION.lock"
log "waiting for build lock $CACHE_ROOT/.epics-base-$VERSION.lock"
flock 9
if is_complete; then
  echo "$TOP"
  exit 0
fi

as_root() {
  if [[ "$(id -u)" == 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; exit 1
  fi
}

# Tools `make` needs (a subset of the package's build-deps: debhelper is only for .deb packaging).
need=()
for pkg in build-essential libreadline-dev perl dpkg-dev; do
  status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
  [[ "$status" == "install ok installed" ]] || need+=("$pkg")
done
if ((${#need[@]})); then
  log "installing ${need[*]}"
  as_root apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${need[@]}" >&2
fi

# Enable deb-src for the configured suites (deb822 sources), so `apt-get source` works.
if ! apt-cache showsrc epics-base 2>/dev/null | grep -q "^Version: $VERSION"; then
  shopt -s nullglob
  for f in /etc/apt/sources.list.d/*.sources; do
    if grep -q '^Types: deb$' "$f"; then
      log "enabling deb-src in $f"
      as_root sed -i 's/^Types: deb$/Types: deb deb-src/' "$f"
    fi
  done
  as_root apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
fi

WORK="$(mktemp -d "$CACHE_ROOT/.epics-src.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
log "fetching source package epics-base into $WORK"
(cd "$WORK" && apt-get source -qq epics-base >&2 2>&1)
SRC="$(find "$WORK" -maxdepth 1 -type d -name "epics-base-$VERSION*" | head -n1)"
[[ -n "$SRC" && -f "$SRC/configure/CONFIG" ]] || { log "source tree not found in $WORK"; exit 1; }

# EPICS installs in place (INSTALL_LOCATION = TOP), so the tree is built where it will live.
rm -rf "$TOP"
mv "$SRC" "$TOP"

# Only the modules the adapter and its tests need: skip pvaClient, pvDatabase and examples.
cat >"$TOP/modules/Makefile.local" <<'EOF'
SUBMODULES = pvData pvAccess normativeTypes pva2pva
EOF

log "building in $TOP with make -j$JOBS (about 10 minutes)"
(cd "$TOP" && make -j"$JOBS" >"$CACHE_ROOT/epics-base-$VERSION.build.log" 2>&1) || {
  log "make failed; last lines of $CACHE_ROOT/epics-base-$VERSION.build.log:"
  tail -n 40 "$CACHE_ROOT/epics-base-$VERSION.build.log" >&2
  exit 1
}

for exe in softIoc softIocPVA caget caput camonitor pvget pvput; do
  [[ -x "$TOP/bin/$ARCH/$exe" ]] || { log "build finished but $TOP/bin/$ARCH/$exe is missing"; exit 1; }
done
date -u +%FT%TZ >"$STAMP"
log "done"
echo "$TOP"
