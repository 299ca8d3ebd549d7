#!/usr/bin/env bash
# Builds HTML reports from real small lakes and opens them in headless Chromium: the quickstart's
# run report (its noisy and variance-flatness runs on one page, so every analysis is there) and the
# sweep report of conf/sweeps/report-tiny.yaml. Fails when a page logs a console message, draws
# fewer charts than it embeds, shows a log-axis label as a long decimal (.000000001), or cannot
# export every chart as a PNG through its "save PNG" exporter. Writes docs/report-screenshot.png and
# docs/report-sweep-screenshot.png (whole pages, 1280 px wide). See docs/report.md.
#
# Usage: bench/report-screenshot.sh [LAKE [SWEEP_LAKE]]
#   LAKE        a lake made by jobs/quickstart (default /tmp/sgdlens-report-lake; made with
#               jobs/quickstart when it has no runs, about 2 minutes on 2 cores)
#   SWEEP_LAKE  a lake with the report-tiny sweep (default /tmp/sgdlens-report-sweep-lake; made with
#               jobs/sweep when it has no runs, about 1.5 minutes)
# Needs Debian's chromium (installed with apt-get when missing and running as root).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
LAKE="${1:-/tmp/sgdlens-report-lake}"
SWEEP_LAKE="${2:-/tmp/sgdlens-report-sweep-lake}"
SWEEP=report-tiny
OUT="$(mktemp -d)"
RUN_SHOT="$ROOT/docs/report-screenshot.png"
SWEEP_SHOT="$ROOT/docs/report-sweep-screenshot.png"

if ! command -v chromium >/dev/null 2>&1; then
  if [[ "$(id -u)" == 0 ]]; then
    echo "report-screenshot: installing Debian's chromium (apt-get install -y chromium)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "report-screenshot: chromium is missing and this is not root:" \
      "sudo apt-get install -y chromium, then run me again" >&2
    exit 1
  fi
fi

if [[ ! -d "$LAKE/runs" ]]; then
  echo "report-screenshot: making a lake at $LAKE with jobs/quickstart"
  jobs/quickstart --lake "$LAKE"
fi
if [[ ! -d "$SWEEP_LAKE/runs" ]]; then
  echo "report-screenshot: making a lake at $SWEEP_LAKE with jobs/sweep --sweep $SWEEP"
  jobs/sweep --sweep "conf/sweeps/$SWEEP.yaml" --lake "$SWEEP_LAKE"
fi

# The quickstart's noisy run (order parameters, phases, separation, cleaning) and its
# variance-flatness run (trajectory PCA, landscape, variance-flatness), on one page.
noisy="$(basename "$(ls -d "$LAKE"/runs/run_id=quickstart-noisy-* | grep -v -e -cleaned -e -true-clean | head -1)")"
noisy="${noisy#run_id=}"
flat="$(basename "$(ls -d "$LAKE"/runs/run_id=quickstart-flatness-* | head -1)")"
flat="${flat#run_id=}"
jobs/report --lake "$LAKE" --run "$noisy,$flat" --out "$OUT"
jobs/report --lake "$SWEEP_LAKE" --sweep "$SWEEP" --out "$OUT"
run_html="$OUT/run-$noisy+$flat.html"
sweep_html="$OUT/sweep-$SWEEP.html"

chrome() {
  local profile
  profile="$(mktemp -d)"
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" "$@"
  rm -rf "$profile"
}

attr() { sed -n "s/.* $1=\"\\([0-9]*\\)\".*/\\1/p" <<<"$2"; }

status=0
declare -A height
for html in "$run_html" "$sweep_html"; do
  name="$(basename "$html")"
  dom="$OUT/${name%.html}.dom.html"
  # Console messages (a script error, a bad SVG attribute) go to stderr with --enable-logging.
  # ?sgdlens-check-png makes the page export every chart as PNG once drawn (Page.PNG_CHECK).
  console="$(chrome --enable-logging=stderr --v=0 --window-size=1280,2400 --dump-dom \
    "file://$html?sgdlens-check-png" 2>&1 >"$dom" | grep 'CONSOLE' || true)"
  body="$(grep -o '<body[^>]*>' "$dom" | head -1)"
  embedded="$(attr data-charts "$body")"
  rendered="$(attr data-charts-rendered "$body")"
  errors="$(attr data-chart-errors "$body")"
  pngs="$(attr data-png-exports "$body")"
  height[$html]="$(attr data-page-height "$body")"
  svgs="$(grep -o '<svg' "$dom" | wc -l)"
  # Axis labels are SVG <text> elements; a log axis without the formatter prints 1e-9 as
  # .000000001 (or 0.000000001).
  decimals="$(grep -oE '<text[^>]*>[^<]*</text>' "$dom" | sed -E 's/<[^>]*>//g' |
    grep -E '^-?0?\.0000' | sort -u | paste -sd' ' - || true)"
  # The first chart's PNG export, as the "save PNG" button saves it.
  sample="$OUT/${name%.html}.first-chart.png"
  sed -n 's/.*<textarea id="png-check"[^>]*>data:image\/png;base64,\([^<]*\)<\/textarea>.*/\1/p' \
    "$dom" | base64 -d >"$sample" 2>/dev/null || true
  echo "$name: $(($(stat -c %s "$html") / 1024)) KiB, charts embedded $embedded," \
    "rendered ${rendered:-none}, chart errors ${errors:-none}, svg elements $svgs," \
    "PNG exports ${pngs:-none} (first: $(file -b "$sample" | cut -d, -f1-2))"
  if [[ -n "$console" ]]; then
    echo "  FAILED: console output:" >&2
    echo "$console" >&2
    status=1
  fi
  if [[ -z "$rendered" || "$rendered" != "$embedded" || "$errors" != 0 || "$svgs" -lt "$embedded" ]]; then
    echo "  FAILED: not every chart was drawn" >&2
    status=1
  fi
  if [[ "$pngs" != "$embedded" ]] || [[ "$(head -c 8 "$sample" | od -An -tx1 | tr -d ' \n')" != 89504e470d0a1a0a ]]; then
    echo "  FAILED: not every chart exported a PNG" >&2
    status=1
  fi
  if [[ -n "$decimals" ]]; then
    echo "  FAILED: axis labels as long decimals: $decimals" >&2
    status=1
  fi
done

chrome --screenshot="$RUN_SHOT" --window-size="1280,${height[$run_html]:-6000}" \
  "file://$run_html" 2>/dev/null
chrome --screenshot="$SWEEP_SHOT" --window-size="1280,${height[$sweep_html]:-4000}" \
  "file://$sweep_html" 2>/dev/null
echo "screenshots: $RUN_SHOT ($(($(stat -c %s "$RUN_SHOT") / 1024)) KiB)," \
  "$SWEEP_SHOT ($(($(stat -c %s "$SWEEP_SHOT") / 1024)) KiB); reports and PNG exports in $OUT"
exit $status
