#!/usr/bin/env bash
# Checks the web UI's formatting and lint (Biome, configured in ui/biome.jsonc) without
# writing anything; exits non-zero on any problem. `cd ui && npm run format` fixes formatting.
# Usage: bash scripts/lint-ui.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run lint
