#!/usr/bin/env bash
# Fault test against a private MariaDB (its own data directory and port, so nothing else is
# disturbed): a writer sends penalties one after another while MariaDB is stopped for OUTAGE
# seconds and started again. It checks that during the outage requests fail fast with 503 /
# UNAVAILABLE and /readyz is red, that the server recovers without a restart, and that every
# acknowledged write is stored exactly once. Bounded: about a minute. Run as root.
#
#   bash scripts/fault.sh
set -euo pipefail
cd "$(dirname "$0")/.."
OUTAGE=${OUTAGE:-10} PORT=${PORT:-13306} ADDR=${ADDR:-127.0.0.1:18081}
dir=$(mktemp -d)
cleanup() { kill "$server" 2>/dev/null || true; mariadb-admin --socket="$dir/sock" -uroot shutdown 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
db_start() {
  /usr/sbin/mariadbd --no-defaults --datadir="$dir/data" --port="$PORT" --bind-address=127.0.0.1 --socket="$dir/sock" \
    --user=root --skip-grant-tables --log-error="$dir/mariadb.log" --pid-file="$dir/mariadb.pid" &
  for _ in $(seq 1 100); do mariadb-admin --socket="$dir/sock" -uroot ping >/dev/null 2>&1 && return; sleep 0.2; done
  echo "MariaDB did not start" >&2; exit 1
}
mariadb-install-db --no-defaults --datadir="$dir/data" --user=root --auth-root-authentication-method=normal >"$dir/install.log" 2>&1
db_start
mariadb --socket="$dir/sock" -uroot -e "CREATE DATABASE fault CHARACTER SET utf8mb4"
DB="mysql://root@127.0.0.1:$PORT/fault"
export CREDITGRAPH_DATA_KEY=$(head -c 32 /dev/urandom | base64)
go build -o "$dir/creditgraph" ./cmd/creditgraph
"$dir/creditgraph" seed --db "$DB" --entities 50 2>/dev/null
TOKEN=$("$dir/creditgraph" token issue --db "$DB" --name fault-clerk --department market --role clerk 2>/dev/null)
"$dir/creditgraph" serve --db "$DB" --addr "$ADDR" --rate-limit 0 >"$dir/server.log" 2>&1 & server=$!
for _ in $(seq 1 100); do curl -fs "http://$ADDR/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
read -r DEP ENTITY USCC < <(mariadb --socket="$dir/sock" -uroot -N fault -e \
  "SELECT d.id, e.id, e.uscc FROM departments d, market_entities e WHERE d.code = 'market-320000' ORDER BY e.id LIMIT 1")
AUTH=$(mariadb --socket="$dir/sock" -uroot -N fault -e "SELECT uscc FROM departments WHERE code = 'market-320000'")

write() { # $1: sequence number; prints the HTTP status and whether the write was acknowledged
  local body
  body=$(printf '{"query":"mutation($in: CreateAdministrativePenaltyInput!) { createAdministrativePenalty(input: $in) { id } }","variables":{"in":{"departmentID":"%s","entityID":"%s","sourceSystem":"fault","sourceRecordID":"F-%d","severity":"GENERAL","counterpartyName":"x","counterpartyCategory":"LEGAL_PERSON","counterpartyUscc":"%s","decisionNo":"F-%d","violationType":"v","violationFacts":"f","legalBasis":"b","penaltyCategories":["WARNING"],"penaltyContent":"c","decisionDate":"2026-05-01","authorityName":"a","authorityUscc":"%s","dataSourceUnit":"a","dataSourceUnitUscc":"%s"}}}' \
    "$DEP" "$ENTITY" "$1" "$USCC" "$1" "$AUTH" "$AUTH")
  curl -s -o "$dir/resp" -w '%{http_code} %{time_total}\n' --max-time 30 -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $TOKEN" -d "$body" "http://$ADDR/query" || echo "000 30"
}
acked=0 failed=0 slowest=0 i=0
phase() { # $1: seconds; writes until then, recording acknowledged ones
  local until=$(( $(date +%s) + $1 ))
  while [ "$(date +%s)" -lt "$until" ]; do
    i=$((i + 1))
    read -r code took < <(write "$i")
    if [ "$code" = 200 ] && grep -q '"createAdministrativePenalty":{"id"' "$dir/resp"; then
      acked=$((acked + 1)); echo "F-$i" >>"$dir/acked"
    else
      failed=$((failed + 1)); slowest=$(awk -v a="$slowest" -v b="$took" 'BEGIN{print (b>a)?b:a}')
      if [ -n "${SHOW:-}" ] && [ "$failed" -le 2 ]; then echo "refused: HTTP $code in ${took}s: $(head -c 200 "$dir/resp")"; fi
    fi
  done
  return 0
}
phase 10
before=$acked
mariadb-admin --socket="$dir/sock" -uroot shutdown
ready_down=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://$ADDR/readyz" || true)
SHOW=1 phase "$OUTAGE"
during_failed=$failed
db_start
for _ in $(seq 1 100); do curl -fs "http://$ADDR/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
ready_up=$(curl -s -o /dev/null -w '%{http_code}' "http://$ADDR/readyz")
phase 10
stored=$(mariadb --socket="$dir/sock" -uroot -N fault -e "SELECT COUNT(*) FROM administrative_penalties WHERE source_system = 'fault'")
dups=$(mariadb --socket="$dir/sock" -uroot -N fault -e "SELECT COUNT(*) FROM (SELECT source_record_id FROM administrative_penalties WHERE source_system = 'fault' GROUP BY source_record_id HAVING COUNT(*) > 1) d")
missing=0
while read -r id; do
  n=$(mariadb --socket="$dir/sock" -uroot -N fault -e "SELECT COUNT(*) FROM administrative_penalties WHERE source_record_id = '$id'")
  [ "$n" = 1 ] || missing=$((missing + 1))
done <"$dir/acked"
echo "acknowledged $acked writes ($before before the outage), $failed refused (slowest refusal ${slowest}s);"
echo "readyz during the outage: $ready_down, after: $ready_up; stored $stored, duplicates $dups, acknowledged but missing $missing"
[ "$ready_down" = 503 ] && [ "$ready_up" = 200 ] && [ "$dups" = 0 ] && [ "$missing" = 0 ] && [ "$acked" -gt "$before" ] \
  && awk -v s="$slowest" 'BEGIN{exit !(s < 30)}' && echo "fault test: PASS" || { echo "fault test: FAIL"; exit 1; }
