#!/usr/bin/env bash
# Runs every Linkwell check and test, as CI does. Usage: bash scripts/test.sh
# The long cargo-fuzz run has a command of its own (`bash fuzz/run.sh SECONDS`); this script
# runs it only when its instrumented build is already cached.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

step() { printf '\n== %s (%s)\n' "$*" "$(date +%T)"; }

step "build the web UI (the desktop shell embeds ui/dist at compile time)"
(cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)

step "format and lint (rustfmt; Biome for ui/)"
cargo fmt --all -- --check
bash scripts/lint-ui.sh

source scripts/dependency-checks.sh

# One build serves clippy, the binaries and every test: clippy-driver compiles the workspace's
# own crates (linting them as `cargo clippy` would) while each dependency is built once, with
# the features `cargo test` resolves. A separate `cargo clippy` builds every dependency again
# in check mode, and `cargo build -p X` resolves other features: each cost a cold CI run
# 15-30 minutes. The scripts below inherit these variables, so their builds are no-ops.
export RUSTC_WORKSPACE_WRAPPER="$(command -v clippy-driver)"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"

step "build every target, with clippy -D warnings (end-to-end tests run the binaries)"
cargo build --workspace --all-targets --locked

step "benchmark smoke run (figures only, small data; the full run is \`linkwell bench\`)"
"${CARGO_TARGET_DIR:-target}/debug/linkwell" bench --people 500 --sessions 5000 --runs 20
"${CARGO_TARGET_DIR:-target}/debug/linkwell" bench print --runs 5

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0

step "Rust tests (unit, integration, end-to-end across processes)"
# ts-rs's export tests write ui/src/generated/ afresh from the Rust types (a type that is
# gone leaves no file behind), so the check below sees any drift from what is checked in.
rm -rf ui/src/generated
cargo test --workspace --locked --no-fail-fast 2>&1 | tee -a "$log" || status=1

step "the UI's generated TypeScript types match the Rust types"
if [ -n "$(git status --porcelain -- ui/src/generated)" ]; then
  git status --short -- ui/src/generated | head -20
  echo "ui/src/generated is out of date: run \`cargo test --workspace\` and commit ui/src/generated" | tee -a "$log"
  echo "generated types: 0 passed, 1 failed" | tee -a "$log"
  status=1
else
  echo "generated types: 1 passed, 0 failed" | tee -a "$log"
fi

step "browser end-to-end (Debian chromium, playwright-core, axe-core)"
bash tests/browser/run.sh 2>&1 | tee -a "$log" || status=1

step "the real desktop window (Xvfb, tauri-driver, WebKitWebDriver)"
bash tests/desktop/run.sh 2>&1 | tee -a "$log" || status=1

step "fuzz the server's batch decoding and validation (cargo-fuzz: libFuzzer, AddressSanitizer)"
# The instrumented build shares nothing with the one above and takes over 20 minutes cold, so
# it runs here only once `bash fuzz/run.sh` has built it in its own kept target directory. The
# stable proptest fuzz of the same entry point runs in every `cargo test` above.
fuzz_dir="${FUZZ_TARGET_DIR:-/var/tmp/linkwell-fuzz-target}"
if compgen -G "$fuzz_dir/*/release/push_batch" >/dev/null; then
  if (unset RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS; CARGO_TARGET_DIR="$fuzz_dir" CARGO_BUILD_JOBS=2 \
      bash fuzz/run.sh "${FUZZ_SECONDS:-30}") 2>&1 | tee -a "$log"; then
    echo "fuzz: 1 passed, 0 failed" | tee -a "$log"
  else
    echo "fuzz: 0 passed, 1 failed" | tee -a "$log"
    status=1
  fi
else
  echo "fuzz: skipped, its instrumented build is not cached here (bash fuzz/run.sh builds and runs it)"
fi

# Counting must not stop the script when a pattern has no match (pipefail + set -e).
count() { { grep -oE "$1" "$log" || true; } | { grep -oE "[0-9]+ $2" || true; } | awk '{s+=$1} END {print s+0}'; }
passed=$(( $(count 'test result: [a-zA-Z]+\. [0-9]+ passed' passed) + $(count '^(browser|desktop|fuzz|generated types): [0-9]+ passed' passed) ))
failed=$(( $(count 'test result: [a-zA-Z]+\. [0-9]+ passed; [0-9]+ failed' failed) + $(count '^(browser|desktop|fuzz|generated types): [0-9]+ passed, [0-9]+ failed' failed) ))
echo
echo "$passed passed, $failed failed"
exit "$status"
