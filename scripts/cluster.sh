#!/usr/bin/env bash
# A three-node MariaDB Galera cluster on loopback and one creditgraph instance per node (issue 17).
#
#   bash scripts/cluster.sh          # the whole story: up, load with kill-node, readscale, down
#   bash scripts/cluster.sh nodes    # only the three MariaDB nodes (for the Galera tests)
#   bash scripts/cluster.sh up       # fresh cluster, ENTITIES generated entities, three instances
#   bash scripts/cluster.sh status   # each node's cluster view, each instance's /readyz
#   bash scripts/cluster.sh load     # clerks write and supervisors read through all instances
#                                    # for LOAD_SECONDS (120); node KILL (2) is killed -9 a quarter
#                                    # of the way in and restarted at half; then the report,
#                                    # every acknowledged write on every node, checksums per table
#   bash scripts/cluster.sh kill-node [i]   # kill -9 node i's MariaDB (default KILL)
#   bash scripts/cluster.sh start-node [i]  # start it again; it rejoins by IST or SST
#   bash scripts/cluster.sh readscale       # supervisors' reads through one instance, then three
#   bash scripts/cluster.sh down     # stops everything and removes DIR: nothing is left running
#
# Nodes: MariaDB on 127.0.0.1:13311-13313 (Galera group ports 4577/4587/4597, IST +1, rsync SST
# +2), data in DIR/node<i> (default DIR /var/tmp/creditgraph-cluster), run as the mysql user (the
# rsync SST daemon cannot write a root-owned data directory). Instances: http://127.0.0.1:18081-
# 18083, instance i on node i, all with the same data key (DIR/key); a credit-office token for
# them is in DIR/token. Every wait is bounded; a step that fails stops the script with the log
# to read. Installs galera-4 and rsync from Debian when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${DIR:-/var/tmp/creditgraph-cluster}
ENTITIES=${ENTITIES:-2000}
NODES=(1 2 3)

mysql_port() { echo $((13310 + $1)); }
group_port() { echo $((4567 + 10 * $1)); }
http_port() { echo $((18080 + $1)); }
sock() { echo "$DIR/node$1/sock"; }
q() { mariadb --socket="$(sock "$1")" -uroot -N -e "$2"; }
wsrep() { q "$1" "SHOW STATUS LIKE '$2'" 2>/dev/null | cut -f2; }
# wsrep_sync_wait=1: a read waits until its node has applied every write the cluster committed
# before it (causal reads), so what one instance wrote or revoked is what every instance reads
# (SYNC_WAIT=0 turns it off, to measure what it costs).
dsn() { echo "mysql://root@127.0.0.1:$(mysql_port "$1")/creditgraph?wsrep_sync_wait=${SYNC_WAIT:-1}"; }
KILL=${KILL:-2}
LOAD_SECONDS=${LOAD_SECONDS:-120}
now_ms() { date +%s%3N; }

need() {
  if [ ! -f /usr/lib/galera/libgalera_smm.so ] || ! command -v rsync >/dev/null; then
    timeout 600 bash -c "apt-get install -y --no-install-recommends galera-4 rsync || (apt-get update && apt-get install -y --no-install-recommends galera-4 rsync)" >"/tmp/creditgraph-cluster-apt.log" 2>&1 ||
      { echo "could not install galera-4 and rsync (see /tmp/creditgraph-cluster-apt.log)" >&2; exit 1; }
  fi
}

start_node() { # i [bootstrap]
  local i=$1 d="$DIR/node$1" g
  rm -f "$d/data/mysql.sock" 2>/dev/null || true
  g=$(group_port "$i")
  mkdir -p "$d" && chown mysql:mysql "$DIR" "$d"
  if [ ! -d "$d/data/mysql" ]; then
    mariadb-install-db --no-defaults --datadir="$d/data" --user=mysql --auth-root-authentication-method=normal >"$d/install.log" 2>&1
  fi
  local peers="gcomm://127.0.0.1:$(group_port 1),127.0.0.1:$(group_port 2),127.0.0.1:$(group_port 3)"
  [ "${2:-}" = bootstrap ] && peers="gcomm://"
  /usr/sbin/mariadbd --no-defaults --datadir="$d/data" --port="$(mysql_port "$i")" --bind-address=127.0.0.1 --socket="$(sock "$i")" \
    --user=mysql --log-error="$d/mariadb.log" --pid-file="$d/mariadb.pid" \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci --innodb-buffer-pool-size=256M \
    --binlog-format=ROW --innodb-autoinc-lock-mode=2 --max-connections=200 \
    --wsrep-auto-increment-control=OFF --auto-increment-increment=1 --auto-increment-offset=1 \
    --wsrep-on=ON --wsrep-provider=/usr/lib/galera/libgalera_smm.so --wsrep-cluster-name=creditgraph \
    --wsrep-cluster-address="$peers" --wsrep-node-name="node$i" --wsrep-node-address="127.0.0.1:$g" \
    --wsrep-provider-options="gmcast.listen_addr=tcp://127.0.0.1:$g;ist.recv_addr=127.0.0.1:$((g + 1));base_port=$g" \
    --wsrep-sst-method=rsync --wsrep-sst-receive-address="127.0.0.1:$((g + 2))" >/dev/null 2>&1 &
  for _ in $(seq 1 300); do
    [ "$(wsrep "$i" wsrep_local_state_comment)" = Synced ] && return 0
    sleep 0.2
  done
  echo "node $i did not reach Synced in 60 s; see $d/mariadb.log" >&2
  exit 1
}

start_instance() { # i
  local i=$1
  CREDITGRAPH_DATA_KEY=$(cat "$DIR/key") CREDITGRAPH_SHARED_EVENTS=true CREDITGRAPH_INSTANCES=${#NODES[@]} CREDITGRAPH_RATE_LIMIT=30000 \
    nohup "$DIR/cg" serve --db "$(dsn "$i")" --addr "127.0.0.1:$(http_port "$i")" \
    >"$DIR/instance$i.log" 2>&1 &
  echo $! >"$DIR/instance$i.pid"
  for _ in $(seq 1 150); do
    curl -sf -o /dev/null "http://127.0.0.1:$(http_port "$i")/readyz" && return 0
    sleep 0.2
  done
  echo "instance $i did not become ready in 30 s; see $DIR/instance$i.log" >&2
  exit 1
}

nodes() {
  need
  if [ -d "$DIR" ]; then down; fi
  mkdir -p "$DIR"
  start_node 1 bootstrap
  start_node 2
  start_node 3
  echo "nodes: $(wsrep 1 wsrep_cluster_size) in the cluster"
  # The tests' databases are theirs to create (storagetest.GaleraNodes).
  local i u=()
  for i in "${NODES[@]}"; do u+=("mysql://root@127.0.0.1:$(mysql_port "$i")/"); done
  (IFS=,; echo "CREDITGRAPH_TEST_GALERA_DSNS=${u[*]}")
}

up() {
  nodes
  q 1 "CREATE DATABASE creditgraph CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
  go build -o "$DIR/cg" ./cmd/creditgraph
  head -c 32 /dev/urandom | base64 >"$DIR/key"
  chmod 600 "$DIR/key"
  CREDITGRAPH_DATA_KEY=$(cat "$DIR/key") "$DIR/cg" seed --db "$(dsn 1)" --entities "$ENTITIES" >"$DIR/seed.log" 2>&1 ||
    { echo "seeding failed; see $DIR/seed.log" >&2; exit 1; }
  CREDITGRAPH_DATA_KEY=$(cat "$DIR/key") "$DIR/cg" token issue --db "$(dsn 1)" --name cluster-credit-office \
    --department credit_office --role credit_office >"$DIR/token" 2>/dev/null
  CREDITGRAPH_DATA_KEY=$(cat "$DIR/key") "$DIR/cg" token issue --db "$(dsn 1)" --name cluster-clerk \
    --department market --role clerk >"$DIR/token.clerk" 2>/dev/null
  CREDITGRAPH_DATA_KEY=$(cat "$DIR/key") "$DIR/cg" token issue --db "$(dsn 1)" --name cluster-supervisor \
    --department market --role supervisor >"$DIR/token.supervisor" 2>/dev/null
  go build -o "$DIR/clusterload" ./cmd/clusterload
  # Galera applies a writeset on the other nodes after it commits on the first: wait until
  # every node holds the seed before its instance starts.
  local want
  want=$(q 1 "SELECT COUNT(*) FROM creditgraph.market_entities")
  for i in "${NODES[@]}"; do
    for _ in $(seq 1 150); do
      [ "$(q "$i" "SELECT COUNT(*) FROM creditgraph.market_entities")" = "$want" ] && break
      sleep 0.2
    done
  done
  for i in "${NODES[@]}"; do start_instance "$i"; done
  status
}

status() {
  for i in "${NODES[@]}"; do
    if mariadb-admin --socket="$(sock "$i")" -uroot ping >/dev/null 2>&1; then
      echo "node $i: $(wsrep "$i" wsrep_local_state_comment), cluster size $(wsrep "$i" wsrep_cluster_size), mysql://root@127.0.0.1:$(mysql_port "$i"), $(q "$i" "SELECT COUNT(*) FROM creditgraph.market_entities" 2>/dev/null || echo '?') entities"
    else
      echo "node $i: down"
    fi
  done
  for i in "${NODES[@]}"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(http_port "$i")/readyz" || true)
    echo "instance $i: http://127.0.0.1:$(http_port "$i") /readyz $code"
  done
  [ -f "$DIR/token" ] && echo "token (credit office): $DIR/token"
  return 0
}

down() {
  for i in "${NODES[@]}"; do
    if [ -f "$DIR/instance$i.pid" ]; then kill "$(cat "$DIR/instance$i.pid")" 2>/dev/null || true; fi
  done
  for i in "${NODES[@]}"; do mariadb-admin --socket="$(sock "$i")" -uroot shutdown 2>/dev/null || true; done
  for _ in $(seq 1 100); do
    pgrep -f "$DIR/" >/dev/null || break
    sleep 0.2
  done
  pkill -9 -f "$DIR/" 2>/dev/null || true
  rm -rf "$DIR"
  echo "cluster down; $DIR removed"
}

kill_node() { # i
  local i=${1:-$KILL}
  kill -9 "$(cat "$DIR/node$i/mariadb.pid")"
  echo "node $i killed (kill -9) at $(now_ms)"
}

start_node_again() { # i: rejoins the running cluster (IST when the gap is in the donor's cache)
  local i=${1:-$KILL} t0
  t0=$(now_ms)
  start_node "$i"
  echo "node $i Synced again after $(( $(now_ms) - t0 )) ms"
}

urls() { local u=() i; for i in "$@"; do u+=("http://127.0.0.1:$(http_port "$i")"); done; (IFS=,; echo "${u[*]}"); }

load() {
  [ -f "$DIR/clusterload" ] || { echo "no cluster in $DIR: run up first" >&2; exit 1; }
  local log="$DIR/load.csv" quarter=$((LOAD_SECONDS / 4)) killed rejoin_start synced
  "$DIR/clusterload" run --urls "$(urls "${NODES[@]}")" --clerk "$(cat "$DIR/token.clerk")" --supervisor "$(cat "$DIR/token.supervisor")" \
    --writers 3 --readers 6 --duration "${LOAD_SECONDS}s" --log "$log" &
  local pid=$!
  sleep "$quarter"
  killed=$(now_ms)
  kill_node "$KILL"
  sleep 3
  echo "instance $KILL /readyz while its node is down: $(curl -s "http://127.0.0.1:$(http_port "$KILL")/readyz")"
  sleep $((quarter - 3))
  rejoin_start=$(now_ms)
  start_node "$KILL"
  synced=$(now_ms)
  echo "node $KILL rejoined: Synced $((synced - rejoin_start)) ms after it was started ($((synced - killed)) ms after it was killed)"
  for _ in $(seq 1 50); do
    curl -sf -o /dev/null "http://127.0.0.1:$(http_port "$KILL")/readyz" && break
    sleep 0.1
  done
  echo "instance $KILL ready again $(($(now_ms) - synced)) ms after its node was Synced: $(curl -s "http://127.0.0.1:$(http_port "$KILL")/readyz")"
  wait "$pid"
  "$DIR/clusterload" report --log "$log" --mark "killed=$killed" --mark "rejoined=$synced"
  # Quiesce: stop the instances (their compactors write), let every node apply what it received.
  for i in "${NODES[@]}"; do kill "$(cat "$DIR/instance$i.pid")" 2>/dev/null || true; done
  sleep 2
  for i in "${NODES[@]}"; do
    for _ in $(seq 1 100); do
      [ "$(wsrep "$i" wsrep_local_recv_queue)" = 0 ] && break
      sleep 0.1
    done
  done
  local args=()
  for i in "${NODES[@]}"; do args+=(--dsn "$(dsn "$i")"); done
  "$DIR/clusterload" verify --log "$log" "${args[@]}"
  checksums
  for i in "${NODES[@]}"; do start_instance "$i"; done
}

# checksums compares every table's row count and CHECKSUM TABLE across the nodes.
checksums() {
  local tables t i ref differ=0
  tables=$(q 1 "SELECT table_name FROM information_schema.tables WHERE table_schema = 'creditgraph' ORDER BY table_name")
  for t in $tables; do
    ref=""
    for i in "${NODES[@]}"; do
      local v
      v="$(q "$i" "SELECT COUNT(*) FROM creditgraph.\`$t\`") $(q "$i" "CHECKSUM TABLE creditgraph.\`$t\`" | cut -f2)"
      if [ -z "$ref" ]; then ref=$v; elif [ "$v" != "$ref" ]; then
        echo "table $t differs: node 1 has $ref, node $i has $v" >&2
        differ=1
      fi
    done
  done
  if [ "$differ" = 0 ]; then
    echo "all $(echo "$tables" | wc -w) tables: same row count and checksum on every node"
  else
    return 1
  fi
}

# readscale: the supervisors' reads through one instance, then spread over all three.
readscale() {
  local secs=${READ_SECONDS:-20} readers=${READERS:-12}
  for set in "1" "${NODES[*]}"; do
    # shellcheck disable=SC2086
    "$DIR/clusterload" run --urls "$(urls $set)" --clerk "$(cat "$DIR/token.clerk")" --supervisor "$(cat "$DIR/token.supervisor")" \
      --writers 0 --readers "$readers" --duration "${secs}s" --log "$DIR/read-$(echo "$set" | tr -d ' ').csv"
    echo "reads through instance(s) $set, $readers readers:"
    "$DIR/clusterload" report --log "$DIR/read-$(echo "$set" | tr -d ' ').csv" | grep -v "^| phase\|^|---" |
      awk -F'|' '{n+=$6; ok+=$8; s=$3; if ($9 ~ /[A-Z]/) e = e $9} END {printf "  %d requests in %s s: %.0f OK per second (%d OK; errors:%s)\n", n, s, ok/s, ok, e}'
  done
}

story() {
  local start
  start=$(date +%s)
  up
  load
  readscale
  down
  echo "the whole story took $(( $(date +%s) - start )) s"
}

case "${1:-}" in
"") story ;;
nodes) nodes ;;
up) up ;;
status) status ;;
load) load ;;
kill-node) kill_node "${2:-$KILL}" ;;
start-node) start_node_again "${2:-$KILL}" ;;
readscale) readscale ;;
down) down ;;
*)
  echo "usage: $0 [nodes|up|status|load|kill-node [i]|start-node [i]|readscale|down]" >&2
  exit 2
  ;;
esac
