#!/usr/bin/env bash
# Runs the standalone-cluster tests (1 Master + 2 Workers on 127.0.0.1): a query submitted through
# jobs/sql --master spark://..., and the whole pipeline (jobs/sweep: DJL training as Spark tasks, then
# every analysis) compared table by table with local mode. mvn test excludes them (tags slow,
# cluster); about 6 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
exec mvn -B test -Dtest.groups.excluded= -Dgroups=cluster -Dtest=StandaloneClusterTest \
  -Dsurefire.failIfNoSpecifiedTests=false "$@"
