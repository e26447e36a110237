#!/usr/bin/env bash
# A private MariaDB for the provincial-scale seed and benchmarks (BENCHMARKS.md): its own data
# directory and port, so the shared server and CI are left alone, and server settings for a
# 1 M-entity data set on this 2-core machine — a 4 GiB buffer pool (the data set is ~3 GiB) and a
# 1 GiB redo log, group commit with flush once a second. Everything else is MariaDB's default.
#
#   bash scripts/scale-db.sh start|stop|status      (DIR, PORT to override)
set -euo pipefail
DIR=${DIR:-/var/tmp/creditgraph-scale} PORT=${PORT:-13307}
ping() { mariadb-admin --socket="$DIR/sock" -uroot ping >/dev/null 2>&1; }
case "${1:-start}" in
start)
  if ping; then exit 0; fi
  if [ ! -d "$DIR/data/mysql" ]; then
    mkdir -p "$DIR"
    mariadb-install-db --no-defaults --datadir="$DIR/data" --user=root --auth-root-authentication-method=normal >"$DIR/install.log" 2>&1
  fi
  /usr/sbin/mariadbd --no-defaults --datadir="$DIR/data" --port="$PORT" --bind-address=127.0.0.1 --socket="$DIR/sock" \
    --user=root --skip-grant-tables --log-error="$DIR/mariadb.log" --pid-file="$DIR/mariadb.pid" \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --innodb-buffer-pool-size=4G --innodb-log-file-size=1G --innodb-flush-log-at-trx-commit=2 \
    --innodb-io-capacity=2000 --max-connections=200 >/dev/null 2>&1 &
  for _ in $(seq 1 150); do ping && exit 0; sleep 0.2; done
  echo "MariaDB did not start; see $DIR/mariadb.log" >&2; exit 1 ;;
stop)
  mariadb-admin --socket="$DIR/sock" -uroot shutdown 2>/dev/null || true ;;
status)
  ping && echo "running: mysql://root@127.0.0.1:$PORT/<db>, data in $DIR" || { echo "not running"; exit 1; } ;;
*)
  echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
