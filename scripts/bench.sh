#!/usr/bin/env bash
# Runs every benchmark of issue 8 (scale) and prints its figures:
#   1. collection: 5,000 accounts against the local AWS endpoint (50 ms per
#      call, reports COMPLETE after 2 s, throttling), concurrency 64;
#   2. end to end: 5,000 accounts × 200 users (first run, then the steady
#      state that compares with a previous run);
#   3. evaluation and parsing alone, and the per-cell and per-finding
#      benchmarks of the workbook, findings.json and the findings store.
#
#   scripts/bench.sh           full size: about 10 minutes and 4 GB of disk
#   scripts/bench.sh --short   small sizes, seconds (CI runs this)
#
# Run it alone on the machine: CPU figures taken beside other work mean
# little. The end-to-end runs keep the generated organization in
# ${BENCH_DIR:-a temporary folder}.
set -euo pipefail
cd "$(dirname "$0")/.."

short=false
case "${1:-}" in
  --short) short=true ;;
  "") ;;
  *) echo "usage: scripts/bench.sh [--short]" >&2; exit 2 ;;
esac

dir=${BENCH_DIR:-$(mktemp -d)}
bin=$(mktemp -d)
trap 'rm -rf "$bin"; [ -n "${BENCH_DIR:-}" ] || rm -rf "$dir"' EXIT
go build -o "$bin/scale" ./internal/bench/scale
go build -o "$bin/collect" ./internal/bench/collect

if $short; then
  echo "== 1. collection (short)"
  "$bin/collect" -short
  echo "== 2. end to end (short)"
  "$bin/scale" -accounts 20 -users 50 -dir "$dir"
  "$bin/scale" -accounts 20 -users 50 -dir "$dir" -reuse -previous
  echo "== 3. evaluation, parsing and renderers (one iteration each)"
  go test -run '^$' -bench . -benchtime 1x ./audit ./collect/... ./report/... ./internal/findingstore
else
  echo "== 1. collection: 5,000 accounts, concurrency 64"
  "$bin/collect" -accounts 5000 -concurrency 64
  echo "== 2. end to end: 5,000 accounts × 200 users, first run"
  "$bin/scale" -accounts 5000 -users 200 -dir "$dir"
  echo "== 2. end to end: steady state"
  rm -rf "$dir/out"
  "$bin/scale" -accounts 5000 -users 200 -dir "$dir" -reuse -previous
  echo "== 3. evaluation and parsing alone (1,000,000 rows per operation)"
  go test -run '^$' -bench . -benchmem ./audit
  echo "== 3. renderers and the findings store"
  go test -run '^$' -bench . -benchmem ./internal/findingstore
  go test -run '^$' -bench 'StreamCell/string-realistic$|FindingJSON|PreviousNext|Workbook' -benchmem ./report/...
fi
