#!/usr/bin/env bash
# A three-node MariaDB Galera cluster on loopback and one creditgraph instance per node (issue 17).
#
#   bash scripts/cluster.sh up       # fresh cluster, ENTITIES generated entities, three instances
#   bash scripts/cluster.sh status   # each node's cluster view, each instance's /readyz
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
dsn() { echo "mysql://root@127.0.0.1:$(mysql_port "$1")/creditgraph"; }

need() {
  if [ ! -f /usr/lib/galera/libgalera_smm.so ] || ! command -v rsync >/dev/null; then
    timeout 600 bash -c "apt-get install -y --no-install-recommends galera-4 rsync || (apt-get update && apt-get install -y --no-install-recommends galera-4 rsync)" >"/tmp/creditgraph-cluster-apt.log" 2>&1 ||
      { echo "could not install galera-4 and rsync (see /tmp/creditgraph-cluster-apt.log)" >&2; exit 1; }
  fi
}

start_node() { # i [bootstrap]
  local i=$1 d="$DIR/node$1" g
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
  CREDITGRAPH_DATA_KEY=$(cat "$DIR/key") nohup "$DIR/cg" serve --db "$(dsn "$i")" --addr "127.0.0.1:$(http_port "$i")" \
    >"$DIR/instance$i.log" 2>&1 &
  echo $! >"$DIR/instance$i.pid"
  for _ in $(seq 1 150); do
    curl -sf -o /dev/null "http://127.0.0.1:$(http_port "$i")/readyz" && return 0
    sleep 0.2
  done
  echo "instance $i did not become ready in 30 s; see $DIR/instance$i.log" >&2
  exit 1
}

up() {
  need
  if [ -d "$DIR" ]; then down; fi
  mkdir -p "$DIR"
  start_node 1 bootstrap
  start_node 2
  start_node 3
  echo "nodes: $(wsrep 1 wsrep_cluster_size) in the cluster"
  q 1 "CREATE DATABASE creditgraph CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
  go build -o "$DIR/cg" ./cmd/creditgraph
  head -c 32 /dev/urandom | base64 >"$DIR/key"
  chmod 600 "$DIR/key"
  CREDITGRAPH_DATA_KEY=$(cat "$DIR/key") "$DIR/cg" seed --db "$(dsn 1)" --entities "$ENTITIES" >"$DIR/seed.log" 2>&1 ||
    { echo "seeding failed; see $DIR/seed.log" >&2; exit 1; }
  CREDITGRAPH_DATA_KEY=$(cat "$DIR/key") "$DIR/cg" token issue --db "$(dsn 1)" --name cluster-credit-office \
    --department credit_office --role credit_office >"$DIR/token" 2>/dev/null
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

case "${1:-}" in
up) up ;;
status) status ;;
down) down ;;
*)
  echo "usage: $0 up|status|down" >&2
  exit 2
  ;;
esac
