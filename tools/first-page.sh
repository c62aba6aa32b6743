#!/bin/sh
# Render reports/example/report.html as it prints (headless Chromium) and keep the first page
# as reports/example/report-first-page.png. Needs Debian's `chromium` and `poppler-utils`.
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer \
  --print-to-pdf="$tmp/report.pdf" "file://$PWD/reports/example/report.html" 2>/dev/null
pdftoppm -png -r 100 -f 1 -l 1 -singlefile "$tmp/report.pdf" "$tmp/page"
cp "$tmp/page.png" reports/example/report-first-page.png
echo "wrote reports/example/report-first-page.png ($(pdfinfo "$tmp/report.pdf" | awk '/^Pages/ {print $2}') pages in all)"
