#!/usr/bin/env bash
# The clients that need a live server (issue 14, points 4 and 6): the GraphQL-over-HTTP audit of
# npm graphql-http (scripts/graphql-http-audit) and the TypeScript frontend example
# (examples/frontend: graphql-codegen, graphql-request, graphql-ws). It builds creditgraph,
# serves it on a fresh SQLite database with the demo data, runs both against it and stops it.
# .ci/run calls it; by hand: bash scripts/live-clients.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

if ! command -v npm >/dev/null 2>&1; then
  echo "installing Node.js and npm from Debian"
  timeout 600 bash -c 'apt-get install -y --no-install-recommends nodejs npm || (apt-get update && apt-get install -y --no-install-recommends nodejs npm)'
fi

work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/creditgraph" ./cmd/creditgraph
port=${CREDITGRAPH_LIVE_PORT:-18480}
base=http://127.0.0.1:$port
"$work/creditgraph" serve --db "$work/live.db" --addr "127.0.0.1:$port" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && [ -s "$work/live-demo-tokens.json" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/server.log" >&2; echo "the server stopped" >&2; exit 1; }
  sleep 0.5
done
curl -fsS "$base/readyz" >/dev/null || { cat "$work/server.log" >&2; echo "the server did not get ready in 60 s" >&2; exit 1; }
token() { node -e 'const [f, n] = process.argv.slice(1); console.log(require(f).find((t) => t.name === n).token)' "$work/live-demo-tokens.json" "$1"; }

echo "-- GraphQL over HTTP audit (npm graphql-http)"
(cd scripts/graphql-http-audit && npm ci --no-audit --no-fund --loglevel=error &&
  CREDITGRAPH_AUDIT_TOKEN=$(token demo-market-clerk) node audit.mjs "$base/query")

echo "-- examples/frontend (graphql-codegen, graphql-request, graphql-ws)"
(cd examples/frontend && npm ci --no-audit --no-fund --loglevel=error &&
  CREDITGRAPH_URL="$base/query" CREDITGRAPH_DEMO_TOKENS="$work/live-demo-tokens.json" npm run --silent ci)
echo "live clients: ok"
