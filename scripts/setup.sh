#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build and test Linkwell. Idempotent: it
# only calls apt-get when a package is missing. Nothing here downloads a browser or binary
# from anywhere but Debian's, crates.io's and npm's registries.
set -euo pipefail

packages=(
  build-essential pkg-config libssl-dev   # SQLCipher (rusqlite bundled-sqlcipher) links OpenSSL
  qpdf poppler-utils                      # reading printed PDFs back in tests
  openssl                                 # an organisation CA and server certificate for the TLS test
  libwebkit2gtk-4.1-dev librsvg2-dev libayatana-appindicator3-dev libxdo-dev  # Tauri on Linux
  xvfb webkit2gtk-driver                  # the real desktop window under test
  chromium                                # browser end-to-end tests (Debian's; never downloaded)
  postgresql                              # the server's PostgreSQL tests: throw-away clusters (initdb, pg_ctl)
)
# Node.js and npm build the UI and run the browser tests. The machine image ships them (not as
# Debian's packages); fall back to Debian's only where they are missing.
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v cargo >/dev/null || { echo "setup: cargo is missing (install Rust with rustup)" >&2; exit 1; }
command -v tauri-driver >/dev/null || cargo install tauri-driver --locked --quiet
