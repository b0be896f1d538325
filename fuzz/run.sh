#!/usr/bin/env bash
# Builds and runs the push_batch fuzz target on the *stable* toolchain. cargo-fuzz passes -Z
# flags (-Zsanitizer=address, ...) that only nightly rustc accepts; RUSTC_BOOTSTRAP=1 makes
# stable rustc accept them. Nothing is downloaded except cargo-fuzz itself from crates.io, and
# only if it is missing.
#
#   fuzz/run.sh [SECONDS] [LIBFUZZER_ARGS...]     (SECONDS defaults to 60)
#
# Environment (all optional):
#   CARGO_TARGET_DIR  build output        (default /var/tmp/linkwell-fuzz-target, ~3 GB)
#   CARGO_BUILD_JOBS  parallel rustc jobs (default 1)
#   SANITIZER         address|none|...    (default address)
#   CORPUS_DIR        where libFuzzer writes the inputs it finds (default
#                     /var/tmp/linkwell-fuzz-corpus/push_batch, outside the repository);
#                     fuzz/corpus/push_batch holds the committed seeds and is only read.
#
# Exits non-zero if the build fails or the fuzzer finds a crash; a crashing input is written
# to fuzz/artifacts/push_batch/ and can be replayed with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run push_batch fuzz/artifacts/push_batch/<file>
set -euo pipefail

secs="${1:-60}"
if [[ ! "$secs" =~ ^[0-9]+$ ]] || (( secs == 0 )); then
    echo "usage: $0 [seconds > 0] [libFuzzer args...]" >&2
    exit 2
fi
shift $(( $# > 0 ? 1 : 0 ))

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/linkwell-fuzz-target}"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"
sanitizer="${SANITIZER:-address}"
corpus="${CORPUS_DIR:-/var/tmp/linkwell-fuzz-corpus/push_batch}"
target=push_batch

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz not found; installing it from crates.io" >&2
    cargo install cargo-fuzz --locked
fi

# The fuzz workspace resolves the same versions as the project: its lock file starts as a copy
# of the root one each run (cargo adds only the fuzzing crates).
cp ../Cargo.lock Cargo.lock
cargo fuzz build --sanitizer "$sanitizer" "$target"

mkdir -p "$corpus"
status=0
cargo fuzz run --sanitizer "$sanitizer" "$target" "$corpus" "corpus/$target" -- \
    -max_total_time="$secs" -print_final_stats=1 "$@" || status=$?

if (( status != 0 )); then
    echo "fuzzing stopped with exit status $status (crash, leak, timeout or out-of-memory)." >&2
    if compgen -G "artifacts/$target/*" >/dev/null; then
        echo "inputs kept in $here/artifacts/$target/:" >&2
        ls -1t "artifacts/$target" >&2
    fi
    exit "$status"
fi
echo "no crash in ${secs}s; corpus: $corpus"
