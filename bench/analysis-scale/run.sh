#!/usr/bin/env bash
# Analyses at scale beside their peers and limits, in one run (docs/benchmarks.md).
# Builds, once, a lake of Fashion-MNIST runs with per-sample losses of all 60,000 samples
# recorded every 100 steps (the issue-13 scale: ~1M, 6M and 30M sample_losses rows), then prints
# loss-separation's time beside DuckDB's (same AUROCs, statistics and d' in one SQL statement)
# and a plain Spark scan of the same rows, with the ratios and the largest value difference.
#   bench/analysis-scale/run.sh              # SIZES="1m 6m 30m"
#   SIZES="6m" REPEATS=1 bench/analysis-scale/run.sh
set -euo pipefail
source "$(dirname "$0")/../common.sh"
OUT=${OUT:-bench/out/analysis-scale}
LAKE="$OUT/lake"
SIZES=${SIZES:-"1m 6m 30m"}
REPEATS=${REPEATS:-2}
WARMUP=${WARMUP:-1}
mkdir -p "$OUT"
declare -A STEPS=([1m]=1600 [6m]=10000 [30m]=49900)
for s in $SIZES; do
  if [ ! -f "$OUT/ls-$s.committed" ]; then
    echo "== training ls-$s: ${STEPS[$s]} steps, sample_losses of 60,000 samples every 100 steps"
    jobs/train --lake "$LAKE" --run-id "ls-$s" --quiet --noise 0.2 --steps "${STEPS[$s]}" \
      --set record.sample_losses.every=100 --set record.metrics.every=500 \
      --set checkpoint_every=0
    touch "$OUT/ls-$s.committed"
  fi
done
RUNS=""
for s in $SIZES; do RUNS="$RUNS ls-$s"; done
echo "== loss-separation vs DuckDB vs a Spark scan (best of $REPEATS after a warm-up, page cache warm)"
run_java org.sgdlens.bench.LossSeparationScaleBench --lake "$LAKE" --repeats "$REPEATS" --warmup "$WARMUP" $RUNS
