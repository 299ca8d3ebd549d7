#!/usr/bin/env bash
# order-params at the disk's speed (issue 13 item 2), in one run, every timing from a cold page
# cache (root: the script drops the cache before each; without root it says so and measures warm):
#   1. cat of the run's gradient files            (the raw read throughput, the limit)
#   2. a Spark scan of the same rows              (sum of length(values): Parquet + Spark, no job)
#   3. jobs/order-params, shuffle-free            (grouped files: Gram pieces in the scan's tasks)
#   4. jobs/order-params --conf spark.sgdlens.orderParams.shuffleFree=false (the shuffle, as before)
# with wall time, throughput, ratio to cat and peak RSS (GNU time), and the largest difference
# between the two jobs' order_params values. Builds the lake once with the project's train job:
# MLP 784-2048-2048-10 (5.8M parameters), 20% label noise, ensembles of M = 32 minibatches with
# clean and mislabeled parts every 100 steps over 1,000 steps (11 ensembles, ~16 GB of gradients).
#   bench/analysis-scale/order-params.sh
#   HIDDEN=1024,1024 RUN=op-1m bench/analysis-scale/order-params.sh   # 1.9M parameters, ~5 GB
set -euo pipefail
source "$(dirname "$0")/../common.sh"
OUT=${OUT:-bench/out/analysis-scale}
LAKE="$OUT/lake"
HIDDEN=${HIDDEN:-2048,2048}
RUN=${RUN:-op-5m}
STEPS=${STEPS:-1000}
mkdir -p "$OUT"
if [ ! -f "$OUT/$RUN.committed" ]; then
  echo "== training $RUN: MLP 784-${HIDDEN//,/-}-10, M = 32, clean + wrong parts every 100 of $STEPS steps"
  /usr/bin/time -f "train: %e s wall, peak RSS %M KB" \
    jobs/train --lake "$LAKE" --run-id "$RUN" --quiet --noise 0.2 --hidden "$HIDDEN" \
      --steps "$STEPS" --set record.gradients.every=100 --set record.ensemble_size=32 \
      --set record.metrics.every=500 --set checkpoint_every=0
  touch "$OUT/$RUN.committed"
fi
DIR="$LAKE/gradients/run_id=$RUN"
BYTES=$(du -sb "$DIR" | cut -f1)
echo "== $RUN: $(find "$DIR" -name '*.parquet' | wc -l) gradient files, $((BYTES / 1000000)) MB"
drop() {
  sync
  if echo 3 2>/dev/null >/proc/sys/vm/drop_caches; then return 0; fi
  echo "   (cannot drop the page cache without root: this timing is warm)"
}
# Build first (the launcher's build must not be timed).
jobs/order-params --help >/dev/null
# run_java as a command /usr/bin/time can run.
JAVA_CMD=(java @"$ROOT/jobs/lib/jvm-options" -Xmx8g -cp "target/test-classes:target/classes:$(cat target/test-classpath.txt)")
declare -A SEC RSS
timed() { # name, command...
  local name=$1 log="$OUT/$1.time"
  shift
  drop
  /usr/bin/time -f "%e %M" -o "$log" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" || {
    echo "$name failed:"; tail -20 "$OUT/$name.err"; exit 1; }
  SEC[$name]=$(cut -d' ' -f1 "$log")
  RSS[$name]=$(cut -d' ' -f2 "$log")
  echo "   $name: ${SEC[$name]} s, peak RSS $((${RSS[$name]} / 1024)) MB"
}
echo "== cold runs (page cache dropped before each)"
timed cat sh -c "find '$DIR' -name '*.parquet' -print0 | xargs -0 cat >/dev/null"
timed scan "${JAVA_CMD[@]}" org.sgdlens.bench.OrderParamsScaleBench scan --lake "$LAKE" --run "$RUN"
timed shuffle-free jobs/order-params --lake "$LAKE" --run "$RUN"
rm -rf "$OUT/order_params.shuffle-free"
cp -r "$LAKE/order_params/run_id=$RUN" "$OUT/order_params.shuffle-free"
timed shuffled jobs/order-params --lake "$LAKE" --run "$RUN" \
  --conf spark.sgdlens.orderParams.shuffleFree=false
DIFF=$("${JAVA_CMD[@]}" org.sgdlens.bench.OrderParamsScaleBench compare \
  "$OUT/order_params.shuffle-free" "$LAKE/order_params/run_id=$RUN")
echo
echo "order-params, $RUN, $((BYTES / 1000000)) MB of gradients, $(date -u +%F), commit $(git rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| %-34s | %8s | %8s | %10s | %8s |\n' "read" "s" "MB/s" "cat / it" "peak RSS (GiB)"
printf '| %-34s | %8s | %8s | %10s | %8s |\n' "---" "---:" "---:" "---:" "---:"
for n in cat scan shuffle-free shuffled; do
  awk -v n="$n" -v s="${SEC[$n]}" -v c="${SEC[cat]}" -v b="$BYTES" -v r="${RSS[$n]}" \
    'BEGIN { printf "| %-34s | %8.1f | %8.0f | %9.0f%% | %5.2f |\n", n, s, b / 1e6 / s, 100 * c / s, r / 1048576 }'
done
echo "largest relative difference of order_params values, shuffle-free vs shuffled: $DIFF"
