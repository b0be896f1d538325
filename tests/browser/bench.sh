#!/usr/bin/env bash
# The UI's speed figures (issue 13): a release build of the bridge, the built UI, real
# Chromium. Usage: bash tests/browser/bench.sh [RUNS] [--debug]  (--debug times the debug
# bridge instead, without a release build). Prints medians and p95s; a benchmark, not a test.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
target="${CARGO_TARGET_DIR:-$root/target}"
runs="${1:-30}"
(cd "$root/ui" && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
if [ "${2:-}" = "--debug" ]; then
  export LINKWELL_BRIDGE="$target/debug/linkwell-bridge"
else
  (cd "$root" && cargo build --release --locked --quiet --bin linkwell-bridge)
  export LINKWELL_BRIDGE="$target/release/linkwell-bridge"
fi
cd "$here" && node bench.mjs "$runs"
