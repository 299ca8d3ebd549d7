#!/usr/bin/env bash
# Builds HTML reports from a real small lake and opens them in headless Chromium: takes the
# screenshot docs/report-screenshot.png of the noisy run's report, and fails when the page logs a
# console error or draws fewer charts than it embeds. See docs/report.md.
#
# Usage: bench/report-screenshot.sh [LAKE]
#   LAKE  a lake made by jobs/quickstart (default /tmp/sgdlens-report-lake; created with
#         jobs/quickstart when it has no runs, about 3-6 minutes on 2 cores)
# Needs Debian's chromium (installed with apt-get when missing and running as root).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
LAKE="${1:-/tmp/sgdlens-report-lake}"
OUT="$(mktemp -d)"
SHOT="$ROOT/docs/report-screenshot.png"

if ! command -v chromium >/dev/null 2>&1; then
  if [[ "$(id -u)" == 0 ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  else
    echo "report-screenshot: chromium is missing: sudo apt-get install -y chromium" >&2
    exit 1
  fi
fi

if [[ ! -d "$LAKE/runs" ]]; then
  echo "report-screenshot: making a lake at $LAKE with jobs/quickstart"
  jobs/quickstart --lake "$LAKE"
fi

# The quickstart's noisy run (order parameters, phases, separation, cleaning) and its
# variance-flatness run; the sweep report covers every run of the lake.
noisy="$(basename "$(ls -d "$LAKE"/runs/run_id=quickstart-noisy-* | grep -v -e -cleaned -e -true-clean | head -1)")"
noisy="${noisy#run_id=}"
flat="$(basename "$(ls -d "$LAKE"/runs/run_id=quickstart-flatness-* | head -1)")"
flat="${flat#run_id=}"
jobs/report --lake "$LAKE" --run "$noisy" --out "$OUT"
jobs/report --lake "$LAKE" --run "$flat" --out "$OUT"
jobs/report --lake "$LAKE" --all --out "$OUT"

chrome() {
  local profile
  profile="$(mktemp -d)"
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" "$@"
  rm -rf "$profile"
}

status=0
for html in "$OUT"/*.html; do
  # Console messages (a script error, a bad SVG attribute) go to stderr with --enable-logging.
  console="$(chrome --enable-logging=stderr --v=0 --window-size=1280,2400 --dump-dom \
    "file://$html" 2>&1 >"$OUT/dom.html" | grep 'CONSOLE' || true)"
  body="$(grep -o '<body[^>]*>' "$OUT/dom.html" | head -1)"
  embedded="$(sed -n 's/.*data-charts="\([0-9]*\)".*/\1/p' <<<"$body")"
  rendered="$(sed -n 's/.*data-charts-rendered="\([0-9]*\)".*/\1/p' <<<"$body")"
  errors="$(sed -n 's/.*data-chart-errors="\([0-9]*\)".*/\1/p' <<<"$body")"
  svgs="$(grep -o '<svg' "$OUT/dom.html" | wc -l)"
  echo "$(basename "$html"): $(($(stat -c %s "$html") / 1024)) KiB, charts embedded $embedded," \
    "rendered ${rendered:-none}, chart errors ${errors:-none}, svg elements $svgs"
  if [[ -n "$console" ]]; then
    echo "  console output:" >&2
    echo "$console" >&2
    status=1
  fi
  if [[ -z "$rendered" || "$rendered" != "$embedded" || "$errors" != 0 || "$svgs" -lt "$embedded" ]]; then
    echo "  FAILED: not every chart was drawn" >&2
    status=1
  fi
done

chrome --screenshot="$SHOT" --window-size=1280,2400 "file://$OUT/run-$noisy.html" 2>/dev/null
echo "screenshot: $SHOT ($(($(stat -c %s "$SHOT") / 1024)) KiB); reports in $OUT"
exit $status
