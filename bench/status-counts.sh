#!/usr/bin/env bash
# The statuses the example protocol gives at 2,000, 10,000 and 30,000 patients a quarter, the
# mean over five seeds of the shipped generator (injected disparities as shipped): how often a
# small clinic's findings pass, call for monitoring or remediation, or are too few to judge.
# Not a timed benchmark: it measures the status rules' behaviour.
#
#   bash bench/status-counts.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
bin=target/debug/s1557
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%-10s %10s %10s %14s %8s\n' patients remediate monitor insufficient pass
for n in 2000 10000 30000; do
  for seed in 1 2 3 4 5; do
    "$bin" generate --rows "$n" --seed "$seed" --out "$tmp/d.csv" > /dev/null
    "$bin" run protocols/example.toml --data "$tmp/d.csv" --out "$tmp/out" > /dev/null || [ $? = 1 ]
    python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print(s["remediate"], s["monitor"], s["insufficient_data"], s["pass"])' "$tmp/out/artifact.json"
  done | awk -v n="$n" '{r+=$1; m+=$2; i+=$3; p+=$4} END {printf "%-10s %10.1f %10.1f %14.1f %8.1f\n", n, r/NR, m/NR, i/NR, p/NR}'
done
