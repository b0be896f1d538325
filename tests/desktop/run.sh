#!/usr/bin/env bash
# The real window: builds the UI and the debug desktop app, starts Xvfb, drives the app with
# tauri-driver + WebKitWebDriver (Debian's webkit2gtk-driver) and webdriverio, saves
# screenshots to tests/desktop/screenshots/, ends with "N passed, N failed".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
command -v WebKitWebDriver >/dev/null || { echo "apt-get install -y webkit2gtk-driver" >&2; exit 1; }
command -v Xvfb >/dev/null || { echo "apt-get install -y xvfb" >&2; exit 1; }
command -v tauri-driver >/dev/null || cargo install tauri-driver --locked
(cd "$root/ui" && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
(cd "$root" && cargo build --workspace --all-targets --locked --quiet)

fbdir="$(mktemp -d)"
xvfb_pid=
trap 'if [ -n "$xvfb_pid" ]; then kill "$xvfb_pid" 2>/dev/null || true; fi; rm -rf "$fbdir"' EXIT
. "$here/xvfb.sh"
start_xvfb -fbdir "$fbdir"
export XVFB_FBDIR="$fbdir"
export WEBKIT_DISABLE_COMPOSITING_MODE=1

cd "$here"
set +e
node --test --test-force-exit --test-concurrency=1 --test-reporter=spec window.test.mjs 2>&1 | tee "$here/last-run.log"
status=${PIPESTATUS[0]}
set -e
passed=$(grep -cE '^✔ ' "$here/last-run.log" || true)
failed=$(awk '/^✖ / && !/^✖ failing tests:/' "$here/last-run.log" | sort -u | wc -l)
echo "desktop: $passed passed, $failed failed"
exit "$status"
