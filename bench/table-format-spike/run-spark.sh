#!/bin/sh
# usage: ./run-spark.sh <classpath-file> <main-class> [args]   compiles src/spark/java against that classpath, runs with Spark's JVM options
cd "$(dirname "$0")"
CPF=$1; MAIN=$2; shift 2
OUT=target/spark-classes-$(basename "$CPF" .txt)
mkdir -p "$OUT" && nice javac -nowarn -d "$OUT" -cp "$(cat "$CPF")" src/spark/java/$(echo "$MAIN" | tr . /).java || exit 1
OPENS=""
for p in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util java.util.concurrent java.util.concurrent.atomic jdk.internal.ref sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar; do
  OPENS="$OPENS --add-opens=java.base/$p=ALL-UNNAMED"
done
export SPARK_LOCAL_IP=127.0.0.1
exec nice -n 10 java -Xmx1500m -XX:+IgnoreUnrecognizedVMOptions --add-modules=jdk.incubator.vector $OPENS -Dio.netty.tryReflectionSetAccessible=true \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$OUT:$(cat "$CPF")" "$MAIN" "$@"
