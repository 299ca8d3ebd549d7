#!/usr/bin/env bash
# Analyses at scale beside their peers and limits, in one run (docs/benchmarks.md).
# Builds, once, a lake of Fashion-MNIST runs with per-sample losses of all 60,000 samples
# recorded every 100 steps (the issue-13 scale: ~1M, 6M and 30M sample_losses rows), then prints
# loss-separation's time beside DuckDB's (same AUROCs, statistics and d' in one SQL statement)
# and a plain Spark scan of the same rows, with the ratios and the largest value difference.
# The trajectory-pca part trains, once, a run recording the 50x50 fc2.weight (2,500 weights) at
# each of 2,000 steps (the variance-flatness protocol's layer), then prints trajectory-pca's time
# (Gram and MLlib methods, all components and the leading COMPONENTS) beside numpy on the same
# window (bench/analysis-scale/numpy_pca.py, Debian's python3-numpy; skipped with a message when
# absent) and a Spark scan of the same rows, the ratios, where the job's time goes, and the largest
# difference between the job's variances and numpy's.
# The order-params part is bench/analysis-scale/order-params.sh (cold page cache, ~16 GB of
# gradients): PARTS="... order-params" runs it after the others.
#   bench/analysis-scale/run.sh              # PARTS="loss-separation trajectory-pca" SIZES="1m 6m 30m"
#   SIZES="6m" REPEATS=1 bench/analysis-scale/run.sh
#   PARTS=trajectory-pca bench/analysis-scale/run.sh
set -euo pipefail
source "$(dirname "$0")/../common.sh"
OUT=${OUT:-bench/out/analysis-scale}
LAKE="$OUT/lake"
PARTS=${PARTS:-"loss-separation trajectory-pca"}
SIZES=${SIZES:-"1m 6m 30m"}
COMPONENTS=${COMPONENTS:-200}
REPEATS=${REPEATS:-2}
ROUNDS=${ROUNDS:-2}
WARMUP=${WARMUP:-1}
mkdir -p "$OUT"
declare -A STEPS=([1m]=1600 [6m]=10000 [30m]=49900)
if [[ " $PARTS " == *" loss-separation "* ]]; then
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
fi
if [[ " $PARTS " == *" trajectory-pca "* ]]; then
  PCA_RUN=pca-2000x2500
  if [ ! -f "$OUT/$PCA_RUN.committed" ]; then
    # Steps 0..1999 recorded: 2,000 snapshots of the 50x50 hidden-to-hidden matrix.
    echo "== training $PCA_RUN: MLP 784-50-50-10, fc2.weight recorded at every one of 2,000 steps"
    jobs/train --lake "$LAKE" --run-id "$PCA_RUN" --quiet --per-class 100 --hidden 50,50 --no-bias \
      --lr 0.1 --batch-size 50 --steps 1999 --set record.weights.every=1 \
      --set 'record.layers=[fc2.weight]' --set record.metrics.every=500 --set checkpoint_every=0
    touch "$OUT/$PCA_RUN.committed"
  fi
  echo "== trajectory-pca vs numpy vs a Spark scan (best of $REPEATS after a warm-up, best of $ROUNDS rounds, page cache warm)"
  run_java org.sgdlens.bench.TrajectoryPcaScaleBench --lake "$LAKE" --run "$PCA_RUN" \
    --components "$COMPONENTS" --repeats "$REPEATS" --warmup "$WARMUP" --rounds "$ROUNDS" --out "$OUT"
fi
if [[ " $PARTS " == *" order-params "* ]]; then
  OUT="$OUT" "$(dirname "$0")/order-params.sh"
fi
