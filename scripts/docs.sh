#!/usr/bin/env bash
# The API documentation, with every rustdoc warning (a broken intra-doc link, a bare URL) an
# error. Its own command rather than a step of scripts/test.sh: on a fresh machine it builds every
# dependency once more in check mode (minutes), which the 30-minute test budget cannot carry.
# The desktop shell is left out (its Tauri dependencies would double that); it holds no API.
# Usage: bash scripts/docs.sh   (HTML in target/doc)
set -euo pipefail
cd "$(dirname "$0")/.."
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --exclude linkwell-desktop
echo "docs: clean"
