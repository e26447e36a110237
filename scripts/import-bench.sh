#!/usr/bin/env bash
# Measures `creditgraph import`: N penalties in a GB18030 CSV in the national 双公示 layout,
# against a fresh database of ENTITIES generated entities, then the same file again (which must
# write nothing). SQLite by default; DB=mysql://user:pass@host:port/name for MariaDB (the
# database must exist and be empty). Prints the import's own summary and timings.
#
#   bash scripts/import-bench.sh                 # 20,000 rows on SQLite
#   N=50000 DB=mysql://root@127.0.0.1:3306/cg_import bash scripts/import-bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-20000}
ENTITIES=${ENTITIES:-20000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
db=${DB:-$dir/cg.db}
export CREDITGRAPH_DATA_KEY=${CREDITGRAPH_DATA_KEY:-$(head -c 32 /dev/urandom | base64)}
go build -o "$dir/cg" ./cmd/creditgraph
"$dir/cg" seed --db "$db" --entities "$ENTITIES" >/dev/null 2>&1
if [[ $db == mysql://* ]]; then
  rest=${db#mysql://}; creds=${rest%%@*}; hostdb=${rest#*@}; user=${creds%%:*}; pass=""
  [[ $creds == *:* ]] && pass=${creds#*:}
  host=${hostdb%%/*}; name=${hostdb#*/}
  mysql -h "${host%%:*}" -P "${host##*:}" -u "$user" ${pass:+-p"$pass"} -N -e "SELECT uscc, name FROM market_entities ORDER BY id" "$name" >"$dir/entities.tsv"
else
  python3 -c "import sqlite3,sys; [print(u+'\t'+n) for u,n in sqlite3.connect(sys.argv[1]).execute('SELECT uscc, name FROM market_entities ORDER BY id')]" "$db" >"$dir/entities.tsv"
fi
python3 - "$dir/entities.tsv" "$dir/penalties.csv" "$N" <<'PY'
import csv, sys
ents = [l.rstrip("\n").split("\t") for l in open(sys.argv[1], encoding="utf-8")]
auth = "11320000014000003C"
with open(sys.argv[2], "w", encoding="gb18030", newline="") as f:
    w = csv.writer(f)
    w.writerow(["行政相对人名称", "行政相对人类别", "统一社会信用代码", "行政处罚决定书文号", "违法行为类型", "违法事实", "处罚依据",
                "处罚类别", "处罚内容", "罚款金额（万元）", "处罚决定日期", "处罚机关", "处罚机关统一社会信用代码", "数据来源单位",
                "数据来源单位统一社会信用代码", "严重程度"])
    for i in range(int(sys.argv[3])):
        u, n = ents[i % len(ents)]
        w.writerow([n, "法人及非法人组织", u, f"苏市监罚〔2026〕B{i}号", "虚假宣传", "发布虚假广告", "《广告法》第五十五条",
                    "警告；罚款", "警告，罚款2万元", "2", "2026-03-01", "江苏省市场监督管理局", auth, "江苏省市场监督管理局", auth, "一般"])
PY
echo "== first import of $N rows ($(du -h "$dir/penalties.csv" | cut -f1) GB18030 CSV)"
/usr/bin/time -f "%e s elapsed, %U user %S sys, %M KB peak memory" "$dir/cg" import --db "$db" --department market-320000 "$dir/penalties.csv"
echo "== the same file again"
/usr/bin/time -f "%e s elapsed, %U user %S sys, %M KB peak memory" "$dir/cg" import --db "$db" --department market-320000 "$dir/penalties.csv"
