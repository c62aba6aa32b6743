#!/usr/bin/env bash
# Benchmark: the counts submission made three ways from the same rows of the example protocol
# (with its [scores], so every row's score is binned): `s1557 counts` (release build), and the
# query of `s1557 sql` run by DuckDB and by Spark SQL in local mode (2 threads), each reading the
# CSV with every column as text. Then `s1557 run` on the counts file. Prints wall time per step;
# for the engines, the query alone (their start-up and the CSV write are left out) and the whole
# process. A benchmark, not a test.
#
#   bash bench/counts.sh                    # 1M rows
#   ROWS="1000000 10000000" bash bench/counts.sh
#
# Needs GNU time and the engines' Python environment (`bash .ci/install-engines`; Java 17).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
cargo build --release --quiet
bash .ci/install-engines
bin=target/release/s1557
py=target/engines-venv/bin/python
mkdir -p bench/data
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
protocol=protocols/example.toml
printf '%-24s %-22s %10s %12s\n' "input" "step" "wall (s)" "peak RSS (MB)"
row() { printf '%-24s %-22s %10s %12s\n' "$1" "$2" "$3" "$4"; }
timed() { # label data -- command…
  local label=$1 data=$2; shift 3
  /usr/bin/time -f "%e %M" -o "$out/time" "$@" >"$out/stdout" 2>"$out/stderr" || {
    cat "$out/stderr" >&2
    exit 1
  }
  read -r wall kb < <(tail -n 1 "$out/time")
  row "$(basename "$data")" "$label" "$wall" "$((kb / 1024))"
}
for n in $ROWS; do
  data=bench/data/example-$n.csv
  [ -f "$data" ] || "$bin" generate --rows "$n" --seed 1557 --out "$data" >/dev/null
  timed "s1557 counts" "$data" -- "$bin" counts "$protocol" --data "$data" --out "$out/s1557.csv"
  for engine in duckdb spark; do
    "$bin" sql "$protocol" --dialect "$engine" >"$out/$engine.sql"
    printf '[{"data": "%s", "sql": "%s", "out": "%s"}]' "$PWD/$data" "$out/$engine.sql" "$out/$engine.csv" >"$out/$engine.json"
    timed "$engine (process)" "$data" -- "$py" tests/engines/run_query.py "$engine" "$out/$engine.json"
    query=$(grep -Eo "$engine [^ ]+: [0-9.]+ s" "$out/stderr" | grep -Eo '[0-9.]+ s$' | grep -Eo '^[0-9.]+' || true)
    row "$(basename "$data")" "$engine (query)" "$query" ""
  done
  rc=0
  /usr/bin/time -f "%e %M" -o "$out/time" "$bin" run "$protocol" --data "$out/s1557.csv" --out "$out/report" >/dev/null || rc=$?
  [ "$rc" -le 1 ] || { echo "run on the counts failed (exit $rc)" >&2; exit 1; }
  read -r wall kb < <(tail -n 1 "$out/time")
  row "$(basename "$data")" "s1557 run (counts)" "$wall" "$((kb / 1024))"
done
