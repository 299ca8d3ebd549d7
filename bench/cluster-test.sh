#!/usr/bin/env bash
# Runs the standalone-cluster test (1 Master + 2 Workers on 127.0.0.1, a job submitted through
# jobs/sql --master spark://...), which mvn test excludes (tags slow, cluster). About a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
exec mvn -B test -Dtest.groups.excluded= -Dgroups=cluster -Dtest=StandaloneClusterTest \
  -Dsurefire.failIfNoSpecifiedTests=false "$@"
