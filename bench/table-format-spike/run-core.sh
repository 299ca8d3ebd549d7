#!/bin/sh
# usage: ./run-core.sh <mode> <dir> [args]   (mode: mapping | bench | growth | lifecycle | duckdb-ext | make)
cd "$(dirname "$0")"
exec nice -n 10 java -Xmx1g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp target/classes:$(cat cp-core.txt) spike.IcebergSpike "$@"
