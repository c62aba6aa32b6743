#!/usr/bin/env bash
# Remake the board example: the two example tools' extracts and counts (synthetic), their runs
# with sign-offs and actions (reports/board/runs/), and the board itself (reports/board/).
# ReadmitWatch's two quarters are reports/example and reports/example-q2 (the README's commands).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
B=./target/debug/s1557
R=reports/board/runs
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

$B generate --rows 6000 --seed 31 --out datasets/care-enrolment-q3.csv
$B generate --rows 6000 --seed 32 --disparity 0.3 --out datasets/care-enrolment-q4.csv
# The vendor's rows stay with the vendor: only its counts are in the project.
$B generate --rows 20000 --seed 41 --disparity 0.5 --out "$T/h3.csv"
$B generate --rows 20000 --seed 42 --disparity 1.3 --out "$T/h4.csv"
$B counts protocols/homecare-referral.toml --data "$T/h3.csv" --out datasets/homecare-counts-q3.csv
$B counts protocols/homecare-referral.toml --data "$T/h4.csv" --out datasets/homecare-counts-q4.csv

rm -rf "$R"
Q4=(--period 2026-10-01..2026-12-31)
$B run protocols/care-enrolment.toml --out $R/care-enrolment/2026-q3 || [ $? = 1 ]
$B run protocols/care-enrolment.toml --data datasets/care-enrolment-q4.csv "${Q4[@]}" \
  --previous $R/care-enrolment/2026-q3/artifact.json --out $R/care-enrolment/2026-q4 || [ $? = 1 ]
$B run protocols/homecare-referral.toml --out $R/homecare-referral/2026-q3 || [ $? = 1 ]
$B run protocols/homecare-referral.toml --data datasets/homecare-counts-q4.csv "${Q4[@]}" \
  --previous $R/homecare-referral/2026-q3/artifact.json --out $R/homecare-referral/2026-q4 || [ $? = 1 ]

C=$R/care-enrolment
H=$R/homecare-referral
BLACK_TPR="race/Black or African American/tpr"
$B action $C/2026-q3/artifact.json --finding "$BLACK_TPR" --taken "Added a need-based criterion (two or more chronic conditions) alongside prior admissions" --owner "Care-Management Lead" --due 2026-11-30 --date 2026-10-20
$B action $C/2026-q3/artifact.json --finding "$BLACK_TPR" --status done --evidence "Criterion live since 2026-11-02; Q4 missed-case gap within the band" --date 2027-01-10
$B attest $C/2026-q3/artifact.json --reviewer "Dana Whitfield" --role "Compliance officer" --decision accept-with-actions --rationale "Black patients' missed cases beyond the band; the care-management lead adds a need-based criterion" --date 2026-10-20
$B attest $C/2026-q4/artifact.json --reviewer "Dana Whitfield" --role "Compliance officer" --decision accept --rationale "The need-based criterion closed the missed-case gap; nothing to remediate" --date 2027-01-12
$B action $H/2026-q3/artifact.json --finding "$BLACK_TPR" --taken "Asked HomeAssist for a recalibration plan; planners review unselected Black patients weekly meanwhile" --owner "Director of Post-Acute Care" --due 2026-12-15 --date 2026-10-22
$B action $H/2026-q3/artifact.json --finding "$BLACK_TPR" --status in-progress --evidence "Vendor plan received 2026-12-10; recalibrated version promised for 2027-03" --date 2026-12-12
$B attest $H/2026-q3/artifact.json --reviewer "Dana Whitfield" --role "Compliance officer" --decision accept-with-actions --rationale "Vendor to recalibrate; weekly planner review meanwhile" --date 2026-10-22
$B action $H/2026-q4/artifact.json --finding "age/75-89/tpr" --taken "Planners review all unselected patients aged 75 to 89 until the recalibrated version is live" --owner "Director of Post-Acute Care" --due 2027-02-28 --date 2027-01-14
$B attest $H/2026-q4/artifact.json --reviewer "Dana Whitfield" --role "Compliance officer" --decision accept-with-actions --rationale "Missed cases now also beyond the band for ages 75-89; the vendor's recalibration is due 2027-03" --date 2027-01-14
for d in $R/*/*; do $B report "$d/artifact.json" > /dev/null; done

$B board --inventory protocols/inventory.toml reports/example reports/example-q2 $R \
  --as-of 2027-01-20 --out reports/board
if command -v chromium > /dev/null; then
  tools/first-page.sh reports/board/board.html reports/board/board-first-page.png
fi
