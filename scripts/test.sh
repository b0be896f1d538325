#!/usr/bin/env bash
# Runs every Linkwell check and test, as CI does. Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

step() { printf '\n== %s\n' "$*"; }

step "build the web UI (the desktop shell embeds ui/dist at compile time)"
(cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)

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

step "benchmark smoke run (figures only, small data; the full run is \`linkwell bench\`)"
"${CARGO_TARGET_DIR:-target}/debug/linkwell" bench --people 500 --sessions 5000 --runs 20
"${CARGO_TARGET_DIR:-target}/debug/linkwell" bench print --runs 5

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0

step "Rust tests (unit, integration, end-to-end across processes)"
cargo test --workspace --locked --no-fail-fast 2>&1 | tee -a "$log" || status=1

step "browser end-to-end (Debian chromium, playwright-core, axe-core)"
bash tests/browser/run.sh 2>&1 | tee -a "$log" || status=1

step "the real desktop window (Xvfb, tauri-driver, WebKitWebDriver)"
bash tests/desktop/run.sh 2>&1 | tee -a "$log" || status=1

step "fuzz the server's batch decoding and validation (cargo-fuzz: libFuzzer, AddressSanitizer)"
# Its own target directory: the instrumented build shares nothing with the one above.
if CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-/var/tmp/linkwell-fuzz-target}" CARGO_BUILD_JOBS=2 \
    bash fuzz/run.sh "${FUZZ_SECONDS:-30}" 2>&1 | tee -a "$log"; then
  echo "fuzz: 1 passed, 0 failed" | tee -a "$log"
else
  echo "fuzz: 0 passed, 1 failed" | tee -a "$log"
  status=1
fi

# Counting must not stop the script when a pattern has no match (pipefail + set -e).
count() { { grep -oE "$1" "$log" || true; } | { grep -oE "[0-9]+ $2" || true; } | awk '{s+=$1} END {print s+0}'; }
passed=$(( $(count 'test result: [a-zA-Z]+\. [0-9]+ passed' passed) + $(count '^(browser|desktop|fuzz): [0-9]+ passed' passed) ))
failed=$(( $(count 'test result: [a-zA-Z]+\. [0-9]+ passed; [0-9]+ failed' failed) + $(count '^(browser|desktop|fuzz): [0-9]+ passed, [0-9]+ failed' failed) ))
echo
echo "$passed passed, $failed failed"
exit "$status"
