#!/usr/bin/env bash
# Runs every Linkwell check and test, as CI does. Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

step() { printf '\n== %s\n' "$*"; }

step "format"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "the core knows nothing of Tauri or HTTP"
for forbidden in tauri axum hyper reqwest ureq; do
  if cargo tree -p linkwell-core -e normal -i "$forbidden" --locked >/dev/null 2>&1; then
    echo "linkwell-core depends on $forbidden: the core must not know about Tauri or HTTP" >&2
    exit 1
  fi
done
echo "ok: linkwell-core has no tauri, axum, hyper, reqwest or ureq dependency"

step "build binaries (end-to-end tests run them as real processes)"
cargo build --workspace --bins --locked

step "tests"
cargo test --workspace --locked --no-fail-fast

step "benchmark smoke run (figures only, small data; the full run is \`linkwell bench\`)"
"${CARGO_TARGET_DIR:-target}/debug/linkwell" bench --people 500 --sessions 5000 --runs 20
