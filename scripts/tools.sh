#!/usr/bin/env bash
# Installs what building and testing Terminal Fleet needs, skipping whatever is already present.
# Sourced by scripts/run and scripts/test. Versions that build on Rust 1.95: ../shared/TOOLCHAIN.md
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
export PATH="$HOME/.cargo/bin:$TOOLS/node_modules/.bin:$PATH"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root to run: $*" >&2; return 1; fi
}

apt_install() {
  log "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# cargo install with the tool's own release profile relaxed: its fat LTO in one codegen unit and
# full optimisation spend minutes of a 2-core machine on build tools whose speed we never feel.
quick_install() {
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_PROFILE_RELEASE_OPT_LEVEL=1 cargo install "$@"
}

ensure_wasm_target() {
  if ! rustup target list --installed | grep -q wasm32-unknown-unknown; then
    log "adding the wasm32 target"
    rustup target add wasm32-unknown-unknown
  fi
}

# cargo-leptos and the wasm-bindgen CLI it drives: only the release build needs them.
ensure_build_tools() {
  if ! cargo leptos --version 2>/dev/null | grep -q '0.3.9'; then
    log "installing cargo-leptos 0.3.9 (about 8 minutes on 2 cores)"
    quick_install cargo-leptos@0.3.9 --locked
  fi
  # wasm-bindgen's CLI must match the library version in Cargo.lock exactly.
  local want
  want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' "$ROOT/Cargo.lock")
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $want\$"; then
    log "installing wasm-bindgen-cli $want"
    quick_install "wasm-bindgen-cli@$want"
  fi
}

# wasm-opt for release builds, from npm: Debian's binaryen is too old and breaks hydration.
ensure_binaryen() {
  if [ ! -x "$TOOLS/node_modules/.bin/wasm-opt" ]; then
    log "installing binaryen (wasm-opt) from npm"
    mkdir -p "$TOOLS"
    (cd "$TOOLS" && npm install --silent --no-audit --no-fund binaryen@132.0.0 >/dev/null)
  fi
}

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then apt_install chromium; fi
}

ensure_playwright() {
  if [ ! -d "$ROOT/end2end/node_modules/@playwright/test" ]; then
    log "installing Playwright (without its browser download)"
    (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --silent --no-audit --no-fund)
  fi
}

PG_URL_DEFAULT="postgres://postgres:postgres@127.0.0.1:5432/postgres"

pg_answers() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(1)
try:
    s.connect(("127.0.0.1", 5432)); print("yes")
except OSError:
    print("no")
PY
}

# A PostgreSQL server on 127.0.0.1:5432 for the PostgreSQL test run; installed where none answers.
ensure_postgres() {
  if [ "$(pg_answers x)" = yes ]; then return; fi
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then apt_install postgresql; fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  log "starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || as_root pg_ctlcluster "$version" main start
  for _ in $(seq 1 30); do [ "$(pg_answers x)" = yes ] && break; sleep 1; done
  # Tests connect over TCP as postgres with a password; Debian's default is scram over TCP.
  as_root su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
}

SCHEMATHESIS_VERSION="4.32.5"
SCHEMATHESIS_VENV="$TOOLS/schemathesis"

# Schemathesis (PyPI) in its own venv, for the API fuzz stage (scripts/api-fuzz).
ensure_schemathesis() {
  if [ ! -x "$SCHEMATHESIS_VENV/bin/python" ]; then
    log "creating a venv for schemathesis"
    # Debian's own python3 ships venv apart (python3-venv); other Pythons carry it.
    python3 -m venv "$SCHEMATHESIS_VENV" 2>/dev/null || {
      rm -rf "$SCHEMATHESIS_VENV"
      apt_install python3-venv
      python3 -m venv "$SCHEMATHESIS_VENV"
    }
  fi
  if [ "$("$SCHEMATHESIS_VENV/bin/python" -c 'from importlib.metadata import version; print(version("schemathesis"))' 2>/dev/null || true)" != "$SCHEMATHESIS_VERSION" ]; then
    log "installing schemathesis $SCHEMATHESIS_VERSION"
    "$SCHEMATHESIS_VENV/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
  fi
}
