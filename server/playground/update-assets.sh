#!/usr/bin/env bash
# Refreshes the GraphiQL assets served by the playground from the npm registry. The built files
# are committed, so `go run` and `go test` never need npm; run this only to change versions.
set -euo pipefail
cd "$(dirname "$0")/assets"
GRAPHIQL=3.8.3 REACT=18.3.1 GRAPHQL_WS=6.4.2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" "graphql-ws@$GRAPHQL_WS" >/dev/null)
tar -xzf "$tmp/graphiql-$GRAPHIQL.tgz" -O package/graphiql.min.js > graphiql.min.js
tar -xzf "$tmp/graphiql-$GRAPHIQL.tgz" -O package/graphiql.min.css > graphiql.min.css
tar -xzf "$tmp/react-$REACT.tgz" -O package/umd/react.production.min.js > react.production.min.js
tar -xzf "$tmp/react-dom-$REACT.tgz" -O package/umd/react-dom.production.min.js > react-dom.production.min.js
tar -xzf "$tmp/graphql-ws-$GRAPHQL_WS.tgz" -O package/umd/graphql-ws.min.js > graphql-ws.min.js
printf 'graphiql %s, react %s, react-dom %s, graphql-ws %s (npm); favicon.svg is ours\n' "$GRAPHIQL" "$REACT" "$REACT" "$GRAPHQL_WS" > VERSIONS
