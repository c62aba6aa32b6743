#!/usr/bin/env bash
# Benchmark: `s1557 run` on the example protocol at 1,000,000 and 10,000,000 rows of CSV (and the
# 1M rows as Parquet), with a release build. Prints wall time and peak resident memory per run,
# for two forms of the protocol: `counts` (the decision's confusion counts only: the example
# without its [scores] table and score triggers) and `scores` (the example as shipped, which also
# keeps every row's score for discrimination, calibration and operating points).
#
#   bash bench/run.sh            # 1M and 10M rows
#   ROWS="1000000" bash bench/run.sh
#
# Data is generated into bench/data/ (git-ignored) by `s1557 generate`, deterministic for the seed.
# Needs GNU time (/usr/bin/time; Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-"1000000 10000000"}
REPEAT=${REPEAT:-3}
cargo build --release --quiet
bin=target/release/s1557
mkdir -p bench/data
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# The counts-only form: drop the [scores] paragraph and the triggers on score metrics.
awk -v RS= -v ORS='\n\n' '!/\[scores\]/ && !/metric = "(auroc|oe_ratio|need_at_equal_score)"/' \
  protocols/example.toml > "$out/counts.toml"
printf '%-28s %-8s %10s %12s\n' "input" "protocol" "wall (s)" "peak RSS (MB)"
for n in $ROWS; do
  for ext in csv parquet; do
    if [ "$ext" = parquet ] && [ "$n" -gt 1000000 ]; then continue; fi
    data=bench/data/example-$n.$ext
    [ -f "$data" ] || "$bin" generate --rows "$n" --seed 1557 --out "$data" >/dev/null
    for form in counts scores; do
      protocol=protocols/example.toml
      [ "$form" = counts ] && protocol=$out/counts.toml
      for _ in $(seq "$REPEAT"); do
        # Exit 1 means findings to remediate (the example has them); anything above is a failure.
        rc=0
        /usr/bin/time -f "%e %M" -o "$out/time" "$bin" run "$protocol" --data "$data" --out "$out/report" --as-of 2026-09-30 >/dev/null || rc=$?
        [ "$rc" -le 1 ] || { echo "run failed on $data (exit $rc)" >&2; exit 1; }
        read -r wall kb < <(tail -n 1 "$out/time")
        printf '%-28s %-8s %10s %12d\n' "$(basename "$data")" "$form" "$wall" "$((kb / 1024))"
      done
    done
  done
done
