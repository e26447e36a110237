#!/usr/bin/env bash
# Issue 6 at provincial scale, on the private MariaDB of scripts/scale-db.sh (BENCHMARKS.md).
#
#   bash scripts/scale.sh seed [N]   # N entities (default 1,000,000) and a year of audit log;
#                                    #   about 2.5 minutes for 1 M here; re-running resumes or extends
#   bash scripts/scale.sh reset      # removes what bench wrote (f's penalties, its tokens) and
#                                    #   recomputes every evaluation, so the next bench starts alike
#   bash scripts/scale.sh bench      # the benchmark table a–f, raw SQL floors, server memory and
#                                    #   EXPLAIN of every statement (BENCHMARKS-EXPLAIN.md); about 8 minutes
#
# Both are bounded by timeout and print progress on stderr. DBNAME, DURATION, CONCURRENCY,
# INGEST_CONCURRENCY, BATCHES and ONLY (which of 0, a–i) override the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${DIR:-/var/tmp/creditgraph-scale} PORT=${PORT:-13307} DBNAME=${DBNAME:-cg1m} ADDR=${ADDR:-127.0.0.1:18090}
export DIR PORT
bash scripts/scale-db.sh start
M="mariadb --socket=$DIR/sock -uroot"
DB="mysql://root@127.0.0.1:$PORT/$DBNAME?interpolateParams=true"
# The personal-data key of this database lives beside it.
[ -f "$DIR/data.key" ] || head -c 32 /dev/urandom | base64 >"$DIR/data.key"
CREDITGRAPH_DATA_KEY=$(cat "$DIR/data.key")
export CREDITGRAPH_DATA_KEY
go build -o "$DIR/creditgraph" ./cmd/creditgraph
go build -o "$DIR/loadbench" ./cmd/loadbench

case "${1:-}" in
seed)
  N=${2:-1000000}
  $M -e "CREATE DATABASE IF NOT EXISTS \`$DBNAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
  timeout 300 "$DIR/creditgraph" migrate --db "$DB" 2>/dev/null
  timeout 3600 "$DIR/creditgraph" seed --db "$DB" --entities "$N"
  # A year of audit log for query e: 1 M rows, one every 30 s, spread over departments, roles
  # and kinds, as the server writes them (MariaDB's SEQUENCE engine draws the rows).
  have=$($M -N "$DBNAME" -e "SELECT COUNT(*) FROM audit_logs")
  if [ "$have" -lt 1000000 ]; then
    echo "seed: audit log, 1,000,000 rows" >&2
    timeout 600 $M "$DBNAME" -e "INSERT INTO audit_logs (at, token_name, role, department, kind, operation, variables_digest, purpose, outcome, duration_ms)
      SELECT NOW(6) - INTERVAL (seq * 30) SECOND, CONCAT('token-', seq % 97),
        ELT(1 + seq % 4, 'clerk', 'supervisor', 'auditor', 'credit_office'),
        ELT(1 + seq % 5, 'market', 'labour', 'environment', 'transport', 'credit_office'),
        ELT(1 + seq % 3, 'MUTATION', 'AUDITOR_READ', 'PERSONAL_DATA_READ'),
        ELT(1 + seq % 3, 'createAdministrativePenalty', 'entityDossier', 'personDetail'),
        SHA2(seq, 256), IF(seq % 3 = 2, 'INSPECTION', NULL), 'OK', seq % 40
      FROM seq_1_to_1000000"
  fi
  $M -N "$DBNAME" -e "ANALYZE TABLE market_entities, natural_persons, entity_roles, sector_ratings, administrative_licenses,
    administrative_penalties, list_entries, audit_logs" >/dev/null
  ;;
reset)
  $M "$DBNAME" -e "DELETE FROM administrative_penalties WHERE source_system = 'loadbench'; DELETE FROM api_tokens WHERE name LIKE 'bench-%'"
  timeout 1800 "$DIR/creditgraph" recompute --db "$DB" 2>&1 | awk 'NR % 100 == 0' >&2
  ;;
bench)
  name=bench-$(date +%s)
  issue() { "$DIR/creditgraph" token issue --db "$DB" --name "$name-$1" --department market --role "$1" ${2:+--scope "$2"} 2>/dev/null; }
  SUP=$(issue supervisor) CLERK=$(issue clerk) AUD=$(issue auditor market)
  "$DIR/creditgraph" serve --db "$DB" --addr "$ADDR" --rate-limit 0 --debug-addr "${DEBUG_ADDR:-127.0.0.1:16060}" >"$DIR/server.log" 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do curl -fs "http://$ADDR/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  echo "bench: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(mariadb --version | grep -o 'Distrib [^,]*'); server pid $server" >&2
  timeout 1800 "$DIR/loadbench" -url "http://$ADDR" -db "$DB" -supervisor "$SUP" -auditor "$AUD" -clerk "$CLERK" -pid "$server" \
    -duration "${DURATION:-20s}" -concurrency "${CONCURRENCY:-1,16}" -ingest-concurrency "${INGEST_CONCURRENCY:-1,2,16}" -batches "${BATCHES:-20}" -only "${ONLY:-0abcdefghi}" -explain "${EXPLAIN:-BENCHMARKS-EXPLAIN.md}"
  ;;
*)
  echo "usage: $0 seed [N] | reset | bench" >&2; exit 2 ;;
esac
