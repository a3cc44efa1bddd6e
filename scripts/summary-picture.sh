#!/usr/bin/env bash
# Renders the Summary sheet of the sample organization's workbook to
# docs/images/summary.png, the picture at the top of README.md:
#   1. reporter run --source sample three times, as of 2026-03-01,
#      2026-07-01 and the sample's own date (2026-11-01), into one folder,
#      so that the last run has a previous run to compare with (the Change,
#      New and Resolved columns) and a trend of three points;
#   2. LibreOffice converts the last run's audit.xlsx to PDF (the Summary's
#      first look is the first page: landscape, one page wide);
#   3. pdftoppm (poppler-utils) renders that page at 110 dpi, cropped to
#      the first look and its charts.
#
#   scripts/summary-picture.sh
#
# Needs soffice (LibreOffice) and pdftoppm on PATH. The crop box fits the
# sample's Summary on an A4 landscape page; when the Summary's layout
# changes, look at the picture and adjust CROP.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in soffice pdftoppm; do
  command -v "$tool" >/dev/null || { echo "summary-picture: $tool not found (apt-get install libreoffice-calc poppler-utils)" >&2; exit 1; }
done

# x, y, width, height in pixels at 110 dpi.
CROP=(-x 30 -y 30 -W 1200 -H 700)
out=docs/images/summary.png

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/reporter" ./cmd/reporter
for asof in 2026-03-01 2026-07-01; do
  "$work/reporter" run --source sample --as-of "$asof" --out "$work/reports" --log-level warn >/dev/null
done
"$work/reporter" run --source sample --out "$work/reports" --log-level warn >/dev/null
xlsx=$(find "$work/reports" -path '*2026/11/*' -name audit.xlsx | head -n 1)
[ -n "$xlsx" ] || { echo "summary-picture: the sample run wrote no audit.xlsx" >&2; exit 1; }

# A profile of its own, so a LibreOffice already open does not take the job.
if ! soffice -env:UserInstallation="file://$work/lo-profile" --headless \
  --convert-to pdf --outdir "$work" "$xlsx" >"$work/soffice.log" 2>&1 || [ ! -s "$work/audit.pdf" ]; then
  cat "$work/soffice.log" >&2
  echo "summary-picture: LibreOffice did not convert $xlsx" >&2
  exit 1
fi
pdftoppm -png -r 110 -f 1 -l 1 "${CROP[@]}" -singlefile "$work/audit.pdf" "$work/summary"

mkdir -p "$(dirname "$out")"
cp "$work/summary.png" "$out"
echo "wrote $out ($(wc -c <"$out") bytes)"
