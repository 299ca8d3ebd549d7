# Shared by the bench/ scripts: builds the test classpath once and runs a class with Spark's
# JVM options (jobs/lib/jvm-options, the list the launchers and Surefire read).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ ! -f target/test-classpath.txt ] || [ pom.xml -nt target/test-classpath.txt ]; then
  mvn -q -B dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test >/dev/null
fi
mvn -q -B -DskipTests test-compile >/dev/null
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}" OPENBLAS_NUM_THREADS=1
run_java() {
  java @"$ROOT/jobs/lib/jvm-options" -Xmx8g -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 \
    -cp "target/test-classes:target/classes:$(cat target/test-classpath.txt)" "$@"
}
