#!/usr/bin/env bash
# Bounded soak on loopback: builds the server, starts it on a fresh SQLite demo database with
# rate limiting off, drives a supervisor's query with wrk (Debian's package) at fixed
# concurrency for DURATION, samples the server's resident memory every 10 s, and prints latency
# percentiles, errors and memory growth. It stops by itself.
#
#   bash scripts/soak.sh            # 5 minutes, 8 connections
#   DURATION=60s CONNECTIONS=16 bash scripts/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-300s} CONNECTIONS=${CONNECTIONS:-8} ADDR=${ADDR:-127.0.0.1:18080}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }
dir=$(mktemp -d); trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
go build -o "$dir/creditgraph" ./cmd/creditgraph
(cd "$dir" && exec ./creditgraph --addr "$ADDR" --rate-limit 0 >"$dir/server.log" 2>&1) & pid=$!
for _ in $(seq 1 100); do curl -fs "http://$ADDR/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
SOAK_TOKEN=$(python3 -c "import json,sys;print([t['token'] for t in json.load(open(sys.argv[1])) if t['name']=='demo-market-supervisor'][0])" "$dir/creditgraph-demo-tokens.json")
export SOAK_TOKEN
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
# Warm up for 20 s, then measure memory from a steady state.
wrk -t2 -c"$CONNECTIONS" -d20s -s scripts/soak.lua "http://$ADDR/query" >/dev/null
start_rss=$(rss)
( while kill -0 "$pid" 2>/dev/null; do echo "$(date +%s) $(rss)"; sleep 10; done ) >"$dir/rss.log" & sampler=$!
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s scripts/soak.lua "http://$ADDR/query" | tee "$dir/wrk.log"
kill "$sampler" 2>/dev/null || true
end_rss=$(rss)
max_rss=$(awk 'BEGIN{m=0} {if ($2>m) m=$2} END{print m}' "$dir/rss.log")
echo "server RSS: ${start_rss} kB after warm-up, ${end_rss} kB at the end, ${max_rss} kB peak ($(( (end_rss - start_rss) * 100 / start_rss ))% growth)"
