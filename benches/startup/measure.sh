#!/usr/bin/env bash
# Startup time and idle memory of `loopback serve` on an application folder: the time from
# spawning the process to the first 200 answer of GET /api/books, and the resident set size
# (VmRSS) after that answer and 2 s idle. Runs N times (default 5) and prints the median,
# min and max, as tests/fixtures/bookstore/measure.js does for LoopBack 3 on the same folder.
#
#   cargo build --release --bin loopback
#   benches/startup/measure.sh [APP_DIR] [RUNS]
set -euo pipefail

APP="${1:-examples/bookstore}"
RUNS="${2:-5}"
BIN="${LOOPBACK_BIN:-target/release/loopback}"
PORT="${PORT_BASE:-3917}"

[ -x "$BIN" ] || { echo "build the binary first: cargo build --release --bin loopback" >&2; exit 2; }

now_ms() { date +%s%3N; }
starts=()
rss=()
for i in $(seq 1 "$RUNS"); do
  port=$((PORT + i))
  t0=$(now_ms)
  "$BIN" serve "$APP" --port "$port" --host 127.0.0.1 >/dev/null 2>&1 &
  pid=$!
  until curl -fs -o /dev/null "http://127.0.0.1:$port/api/books"; do
    kill -0 "$pid" 2>/dev/null || { echo "server exited" >&2; exit 1; }
    sleep 0.005
  done
  t1=$(now_ms)
  sleep 2
  r=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  starts+=($((t1 - t0)))
  rss+=("$r")
  echo "run $i: first answer after $((t1 - t0)) ms, idle RSS ${r} kB"
done

stats() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "median %s min %s max %s", a[int((NR+1)/2)], a[1], a[NR]}'; }
echo "startup to first answer (ms): $(stats "${starts[@]}")"
echo "idle RSS (kB):                $(stats "${rss[@]}")"
