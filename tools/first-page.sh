#!/bin/sh
# Render an HTML report as it prints (headless Chromium) and keep its first page as a PNG:
# by default reports/example/report.html as reports/example/report-first-page.png;
# `tools/first-page.sh reports/board/board.html reports/board/board-first-page.png` for the board.
# Needs Debian's `chromium` and `poppler-utils`.
set -eu
cd "$(dirname "$0")/.."
html=${1:-reports/example/report.html}
png=${2:-reports/example/report-first-page.png}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer \
  --print-to-pdf="$tmp/report.pdf" "file://$PWD/$html" 2>/dev/null
pdftoppm -png -r 100 -f 1 -l 1 -singlefile "$tmp/report.pdf" "$tmp/page"
cp "$tmp/page.png" "$png"
echo "wrote $png ($(pdfinfo "$tmp/report.pdf" | awk '/^Pages/ {print $2}') pages in all)"
