#!/usr/bin/env bash
# Runs Linkwell on the embedded default: a local database in the user's data folder, with
# demo data offered on first run. Until the desktop window lands this is the command line:
# it shows the worker's day and leaves the database ready for `linkwell` commands.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --locked -p linkwell-cli
bin="${CARGO_TARGET_DIR:-target}/release/linkwell"
data="${XDG_DATA_HOME:-$HOME/.local/share}/linkwell"
mkdir -p "$data"
export LINKWELL_DB="${LINKWELL_DB:-$data/demo.db}"
if [ ! -f "$LINKWELL_DB" ]; then
  echo "First run: creating $LINKWELL_DB with synthetic demo data (no real people)."
  "$bin" demo --people 250 --sessions 2500
fi
"$bin" today
echo
echo "Database: $LINKWELL_DB — try: $bin search walking group | $bin caseload | $bin export --person ID"
