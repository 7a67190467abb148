# Shared by the setup, run and test scripts: installs what a fresh Debian/Ubuntu
# machine lacks, and nothing it already has. Source it; do not run it.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

# Tauri's system libraries (see PLATFORM.md), the build tools, and Xvfb for
# headless runs of the real app.
SYSTEM_PACKAGES=(
  build-essential pkg-config curl file
  libwebkit2gtk-4.1-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev
)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# apt-get install only the packages that are missing; apt-get update at most once.
ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing system packages: ${missing[*]}"
    if [ -z "${FRONTDESK_APT_UPDATED:-}" ]; then
      as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
      export FRONTDESK_APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

ensure_rust() {
  if ! command -v cargo >/dev/null 2>&1; then
    [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
  fi
  if ! command -v cargo >/dev/null 2>&1; then
    say "installing the Rust toolchain (rustup)"
    ensure_packages curl ca-certificates
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
    . "$HOME/.cargo/env"
  fi
  if command -v rustup >/dev/null 2>&1; then
    rustup component list --installed 2>/dev/null | grep -q "^clippy" || rustup component add rustfmt clippy
  fi
}

ensure_node() {
  if ! command -v npm >/dev/null 2>&1; then
    ensure_packages nodejs npm
  fi
}

# npm ci only when the lock file changed since the last install.
ensure_ui_deps() {
  local stamp="$ROOT/ui/node_modules/.frontdesk-lock"
  if [ ! -f "$stamp" ] || ! cmp -s "$ROOT/ui/package-lock.json" "$stamp"; then
    say "installing the UI's npm packages"
    (cd "$ROOT/ui" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$ROOT/ui/package-lock.json" "$stamp"
  fi
}

# What the end-to-end tests of the real app need beyond the build (see tests/e2e/run.sh):
# a virtual display, WebKitGTK's WebDriver, ImageMagick for whole-screen pictures,
# tauri-driver (from crates.io, only when missing) and the suite's npm packages.
E2E_PACKAGES=(xvfb webkit2gtk-driver imagemagick)

ensure_tauri_driver() {
  if ! command -v tauri-driver >/dev/null 2>&1; then
    [ -x "$HOME/.cargo/bin/tauri-driver" ] && export PATH="$HOME/.cargo/bin:$PATH"
  fi
  if ! command -v tauri-driver >/dev/null 2>&1; then
    say "installing tauri-driver"
    cargo install tauri-driver --locked --version '^2' --quiet
  fi
}

ensure_e2e_deps() {
  ensure_packages "${E2E_PACKAGES[@]}"
  ensure_tauri_driver
  local stamp="$ROOT/tests/e2e/node_modules/.frontdesk-lock"
  if [ ! -f "$stamp" ] || ! cmp -s "$ROOT/tests/e2e/package-lock.json" "$stamp"; then
    say "installing the end-to-end tests' npm packages"
    (cd "$ROOT/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$ROOT/tests/e2e/package-lock.json" "$stamp"
  fi
}

build_ui() {
  say "building the UI"
  (cd "$ROOT/ui" && npm run --silent build)
}

setup_all() {
  ensure_packages "${SYSTEM_PACKAGES[@]}"
  ensure_rust
  ensure_node
  ensure_ui_deps
}
