#!/usr/bin/env bash
# Runs Linkwell on the embedded default: the desktop app over a local database in the
# platform's app-data folder (first run offers demo data). `--cli` shows the worker's day in
# the terminal instead, from an encrypted demo database.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ "${1:-}" != "--cli" ]; then
  (cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
  exec cargo run --locked -p linkwell-desktop
fi
cargo build --release --locked -p linkwell-cli
bin="${CARGO_TARGET_DIR:-target}/release/linkwell"
data="${XDG_DATA_HOME:-$HOME/.local/share}/linkwell"
mkdir -p "$data"
export LINKWELL_DB="${LINKWELL_DB:-$data/demo.db}"
if [ ! -f "$LINKWELL_DB" ]; then
  echo "First run: creating $LINKWELL_DB with synthetic demo data (no real people)."
  if [ -z "${LINKWELL_PASSPHRASE:-}" ] && [ ! -t 0 ]; then
    export LINKWELL_PASSPHRASE="demo passphrase (synthetic data)"
    echo "No terminal to ask for a passphrase: using \"$LINKWELL_PASSPHRASE\" for this demo database."
  fi
  "$bin" demo --people 250 --sessions 2500
fi
"$bin" today
echo
echo "Database: $LINKWELL_DB — try: $bin search walking group | $bin caseload | $bin export --person ID"
