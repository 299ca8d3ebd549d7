# Shared by the bench/ scripts: builds the test classpath once and runs a class with Spark's
# JVM options (the same list as the launchers and Surefire).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ ! -f target/test-classpath.txt ] || [ pom.xml -nt target/test-classpath.txt ]; then
  mvn -q -B dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test >/dev/null
fi
mvn -q -B -DskipTests test-compile >/dev/null
SPARK_OPENS="$(sed -n 's:.*<spark.jvm.opens>\(.*\)</spark.jvm.opens>.*:\1:p' pom.xml)"
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}" OPENBLAS_NUM_THREADS=1
run_java() {
  # shellcheck disable=SC2086
  java $SPARK_OPENS -Xmx8g -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 \
    -cp "target/test-classes:target/classes:$(cat target/test-classpath.txt)" "$@"
}
