#!/usr/bin/env bash
# Desktop benchmark: cold start to first screen under Xvfb, idle memory (RSS of the app and
# its WebKit processes) with a 250-person caseload open, and release binary size, next to a
# minimal Tauri app measured the same way in the same run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
runs="${RUNS:-5}"
(cd "$root/ui" && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
(cd "$root" && cargo build --release -p linkwell-desktop -p linkwell-cli --quiet)
# The minimal app shares the target folder so common dependencies build once.
cp "$root/Cargo.lock" "$here/minimal/Cargo.lock"
(cd "$here/minimal" && CARGO_TARGET_DIR="$target" cargo build --release --quiet)
app="$target/release/linkwell-desktop"
minimal="$target/release/minimal-tauri"

work="$(mktemp -d)"
xvfb_pid=
trap 'if [ -n "$xvfb_pid" ]; then kill "$xvfb_pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
. "$here/xvfb.sh"
start_xvfb
export WEBKIT_DISABLE_COMPOSITING_MODE=1 LINKWELL_BENCH=1

# A caseload of about 250 active people for this laptop's worker.
# Encrypted, as a worker's is; the app unlocks it at launch only because LINKWELL_BENCH is
# set, so the figure includes the unlock (Argon2id) a worker waits for.
export LINKWELL_PASSPHRASE="bench passphrase, not secret"
"$target/release/linkwell" --db "$work/bench.db" init --team "Bench team" --name "Priya Shah" >/dev/null
"$target/release/linkwell" --db "$work/bench.db" demo --people 760 --sessions 6000 | tail -1

rss_tree() { # total RSS in kB of a process and all its descendants
  local total=0 p
  for p in $1 $(pgrep -P "$1" 2>/dev/null) $(for c in $(pgrep -P "$1" 2>/dev/null); do pgrep -P "$c"; done); do
    total=$((total + $(awk '/VmRSS/{print $2}' "/proc/$p/status" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

measure() { # name binary [env...] -> "median_ms rss_mb"
  local name=$1 bin=$2 times=() rss=0 i
  shift 2
  for i in $(seq "$runs"); do
    local log="$work/$name-$i.log" t0 t1 pid
    t0=$(date +%s%N)
    env "$@" LINKWELL_DB="$work/bench.db" LINKWELL_START=caseload "$bin" 2>"$log" &
    pid=$!
    # Polled every 20 ms (the figure is only as fine as that) for at most 60 s.
    until grep -q 'first screen after' "$log"; do
      if ! kill -0 "$pid" 2>/dev/null || [ $(( ($(date +%s%N) - t0) / 1000000000 )) -ge 60 ]; then
        echo "$name run $i: no first screen (exited or over 60 s); its log:" >&2
        cat "$log" >&2
        exit 1
      fi
      sleep 0.02
    done
    t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000000 )))
    if [ "$i" = "$runs" ]; then sleep 5; rss=$(rss_tree "$pid"); fi
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$median $((rss / 1024))"
}

read -r l_ms l_mb < <(measure linkwell "$app")
# What a worker sees first at launch is the lock screen (no passphrase given).
read -r k_ms _ < <(measure locked "$app" -u LINKWELL_PASSPHRASE)
read -r m_ms m_mb < <(measure minimal "$minimal")
l_size=$(stat -c %s "$app"); m_size=$(stat -c %s "$minimal")
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "                        Linkwell   minimal Tauri   ratio   goal"
printf 'cold start to lock screen %5s ms   %6s ms      %5s   ≤ 1000 ms, ≤ 1.3×\n' "$k_ms" "$m_ms" "$(ratio "$k_ms" "$m_ms")"
printf 'start, unlock, caseload %6s ms   %6s ms      %5s   (median of %s; includes Argon2id)\n' "$l_ms" "$m_ms" "$(ratio "$l_ms" "$m_ms")" "$runs"
printf 'idle RSS, caseload open %5s MB   %6s MB      %5s   ≤ 150 MB, ≤ 1.3×\n' "$l_mb" "$m_mb" "$(ratio "$l_mb" "$m_mb")"
printf 'release binary          %5s MB   %6s MB      %5s   ≤ 20 MB, ≤ 1.3×\n' "$(mb "$l_size")" "$(mb "$m_size")" "$(ratio "$l_size" "$m_size")"
