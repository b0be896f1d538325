#!/usr/bin/env bash
# Browser end-to-end: installs the pinned npm packages (no browser download: Debian's
# chromium is used), builds the UI and the bridge, runs the flow, ends with "N passed, N failed".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "chromium is missing: apt-get install -y chromium" >&2
  exit 1
fi
(cd "$root/ui" && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
(cd "$root" && cargo build --workspace --all-targets --locked --quiet)

cd "$here"
set +e
node --test --test-force-exit --test-concurrency=1 --test-reporter=spec flow.test.mjs 2>&1 | tee "$here/last-run.log"
status=${PIPESTATUS[0]}
set -e
passed=$(grep -cE '^✔ ' "$here/last-run.log" || true)
# The spec reporter repeats failures under a "failing tests:" heading; count each test once.
failed=$(awk '/^✖ / && !/^✖ failing tests:/' "$here/last-run.log" | sort -u | wc -l)
echo "browser: $passed passed, $failed failed"
exit "$status"
