#!/usr/bin/env bash
# Scale check of trajectory-pca's Gram path: writes a synthetic trajectory of T snapshots of P
# float32 weights to a lake, runs the Gram PCA on local[2] in a JVM whose heap is far below the
# data size, prints wall time and peak memory (JVM pools, /proc VmHWM, /usr/bin/time), then
# deletes the data (KEEP=1 keeps it).
#   P=10000000 T=200 HEAP=2g bench/pca-scale/run.sh
#   P=2500 T=12000 METHOD=mllib K=200 bench/pca-scale/run.sh   (the PCA-SGD protocol's size)
set -euo pipefail
cd "$(dirname "$0")/../.."
P=${P:-10000000}
T=${T:-200}
HEAP=${HEAP:-2g}
K=${K:-5}
METHOD=${METHOD:-gram}
OUT=${OUT:-bench/out/pca-scale}
mkdir -p "$OUT"
mvn -q -B -o test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.cp \
  -Dmdep.includeScope=test >/dev/null
CP="target/classes:target/test-classes:$(cat target/bench.cp)"
# Spark's launcher options for Java 17: the project's one list, a java @argfile.
OPENS="@jobs/lib/jvm-options"
export SPARK_LOCAL_IP=127.0.0.1 OPENBLAS_NUM_THREADS=1
rm -rf "$OUT/lake" "$OUT/spark-local" "$OUT"/gc.log*
cleanup() {
  kill "${SAMPLER:-}" 2>/dev/null || true
  if [ "${KEEP:-0}" != 1 ]; then rm -rf "$OUT/lake" "$OUT/spark-local"; echo "data deleted"; fi
}
trap cleanup EXIT
echo "== write T=$T P=$P"
java -Xmx"$HEAP" $OPENS -cp "$CP" org.sgdlens.bench.PcaScaleBench write --lake "$OUT/lake" \
  --params "$P" --snapshots "$T"
du -sh "$OUT/lake"
echo "== $METHOD PCA, heap $HEAP, local[2]"
# Peak disk of the lake plus Spark's shuffle files, sampled every 2 s.
( peak=0; while sleep 2; do
    d=$(du -sk "$OUT" 2>/dev/null | cut -f1); [ "${d:-0}" -gt "$peak" ] && peak=$d
    echo "$peak" > "$OUT/disk-peak-kb"; done ) &
SAMPLER=$!
/usr/bin/time -v -o "$OUT/time.txt" java -Xmx"$HEAP" -Xlog:gc:file="$OUT/gc.log"::filecount=0 $OPENS \
  -cp "$CP" org.sgdlens.bench.PcaScaleBench pca --lake "$OUT/lake" --directions "$K" \
  --method "$METHOD" --local-dir "$OUT/spark-local" 2> "$OUT/pca.stderr"
kill "$SAMPLER" 2>/dev/null || true
grep -E "Maximum resident|Elapsed \(wall" "$OUT/time.txt"
# Heap left after each young/full collection: its maximum bounds the live data from above.
echo "largest heap occupancy after a young/full GC: $(grep -E 'Pause (Young|Full)' "$OUT/gc.log" | grep -oE -- '->[0-9]+M' | tr -d '>M-' | sort -n | tail -1) MB"
echo "GC pauses: $(grep -cE 'Pause (Young|Full)' "$OUT/gc.log") ($(grep -c 'Pause Full' "$OUT/gc.log") full)"
echo "peak disk (lake + shuffle): $(( $(cat "$OUT/disk-peak-kb" 2>/dev/null || echo 0) / 1024 )) MB"
echo "spark local dir (shuffle) at the end: $(du -sh "$OUT/spark-local" 2>/dev/null | cut -f1)"
