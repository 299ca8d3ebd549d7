# shellcheck shell=bash
# Shared by every launcher in jobs/: finds the project, builds what is missing or stale, and runs a
# job either through spark-submit (a Spark distribution on PATH or in $SPARK_HOME) or through the
# same entry point, org.apache.spark.deploy.SparkSubmit, on the Maven classpath. See docs/running.md.
#
# Environment knobs (all optional):
#   SGDLENS_JAR          use this application jar; skip building it
#   SGDLENS_CLASSPATH    use this local classpath (Spark + dependencies); skip resolving it
#   SGDLENS_CONF_DIR     folder with spark-defaults.conf and log4j2.properties (default <project>/conf)
#   SGDLENS_SPARK_SUBMIT path of a spark-submit to use; "embedded" forces the Maven-classpath path
#   SGDLENS_SHIP_DJL     0 = do not ship DJL/PyTorch jars to a cluster (pure-Spark jobs, saves 112 MB)
#   SGDLENS_JAVA_OPTS    extra JVM options for the driver (or the plain-Java train job), e.g. -Xmx8g
#   MVN, JAVA_HOME       Maven and Java to use

set -euo pipefail

SGDLENS_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=blas.sh
source "$SGDLENS_HOME/jobs/lib/blas.sh"
SGDLENS_CONF_DIR="${SGDLENS_CONF_DIR:-$SGDLENS_HOME/conf}"
SGDLENS_TARGET="$SGDLENS_HOME/target"
SGDLENS_DEFAULT_MASTER="local[2]"

# JVM options Spark's own launcher uses on Java 17, from jobs/lib/jvm-options: the project's one
# list (the pom's Surefire argLine and the tests' forked JVMs read the same file). A java @argfile:
# one option per line, '#' starts a comment.
SGDLENS_JVM_OPTIONS_FILE="$SGDLENS_HOME/jobs/lib/jvm-options"
mapfile -t SGDLENS_JVM_OPENS < <(sed -e 's/#.*//' -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' \
  "$SGDLENS_JVM_OPTIONS_FILE" | grep -v '^$')
if [[ ${#SGDLENS_JVM_OPENS[@]} == 0 ]]; then
  echo "sgdlens: no JVM options read from $SGDLENS_JVM_OPTIONS_FILE (restore it from git)" >&2
  exit 1
fi

# The options for a JVM that only prints --help: no incubator module, so no "WARNING: Using
# incubator modules" line (the Vector API only speeds up BLAS, which --help never calls).
sgdlens_help_jvm_opens() {
  local opt
  for opt in "${SGDLENS_JVM_OPENS[@]}"; do
    [[ "$opt" == --add-modules=jdk.incubator.vector ]] || echo "$opt"
  done
}

# spark-submit options that take a value, and those that do not. Everything else goes to the job.
SGDLENS_SPARK_VALUED=(--master --deploy-mode --conf --driver-memory --driver-cores
  --driver-java-options --driver-library-path --driver-class-path --executor-memory
  --executor-cores --num-executors --total-executor-cores --jars --packages --exclude-packages
  --repositories --files --archives --py-files --name --properties-file --queue --principal
  --keytab --proxy-user)
SGDLENS_SPARK_FLAGS=(--verbose --supervise --load-spark-defaults)

# True when $1 is one of the remaining arguments.
sgdlens_in() {
  local needle="$1" item
  shift
  for item in "$@"; do
    [[ "$item" == "$needle" ]] && return 0
  done
  return 1
}

sgdlens_die() {
  echo "sgdlens: $*" >&2
  exit 1
}

sgdlens_java() {
  if [[ -n "${JAVA_HOME:-}" ]]; then echo "$JAVA_HOME/bin/java"; else echo java; fi
}

# Environment every run gets: loopback for Spark (the only interface here that is sure to work),
# one BLAS thread per Spark task, DJL natives cached inside the project and never downloaded.
sgdlens_env() {
  export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
  export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
  export DJL_CACHE_DIR="${DJL_CACHE_DIR:-$SGDLENS_HOME/.djl-cache}"
  # libtorch's C++ warnings (DJL calls a deprecated inference-mode guard: "AutoNonVariableTypeMode
  # is deprecated") say nothing a user can act on; errors still print.
  export TORCH_CPP_LOG_LEVEL="${TORCH_CPP_LOG_LEVEL:-ERROR}"
}

# Driver JVM system properties (not Spark options, so they go on the java command line).
sgdlens_driver_props() {
  # DJL never downloads (the CPU native comes from Maven); a GPU node that should fetch the CUDA
  # native sets SGDLENS_DJL_OFFLINE=false (docs/gpu.md).
  local opts=("-Dai.djl.offline=${SGDLENS_DJL_OFFLINE:-true}")
  if [[ -f "$SGDLENS_CONF_DIR/log4j2.properties" ]]; then
    opts+=("-Dlog4j2.configurationFile=$SGDLENS_CONF_DIR/log4j2.properties")
  fi
  printf '%s\n' "${opts[@]}"
}

# True when a file is missing or older than any of the given paths (files or folders).
sgdlens_stale() {
  local artifact="$1"
  shift
  [[ -f "$artifact" ]] || return 0
  local p
  for p in "$@"; do
    [[ -e "$p" ]] || continue
    if [[ -n "$(find "$p" -newer "$artifact" -print -quit 2>/dev/null)" ]]; then
      return 0
    fi
  done
  return 1
}

sgdlens_mvn() {
  local rc=0 log pid start=$SECONDS tick="${SGDLENS_BUILD_TICK:-15}" next
  log="$(mktemp)"
  (cd "$SGDLENS_HOME" && exec "${MVN:-mvn}" -q -B "$@") >"$log" 2>&1 &
  pid=$!
  # A first build downloads for minutes and Maven is quiet (-q): say it is still at work.
  next=$((start + tick))
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if ((SECONDS >= next)) && kill -0 "$pid" 2>/dev/null; then
      echo "sgdlens: still building ($((SECONDS - start)) s; mvn ${!#})" >&2
      next=$((SECONDS + tick))
    fi
  done
  wait "$pid" || rc=$?
  # Maven 3.8 prints ANSI resets even in quiet batch mode; keep only real lines.
  sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -v '^[[:space:]]*$' >&2 || true
  rm -f "$log"
  [[ $rc == 0 ]] || sgdlens_die "Maven failed: mvn $* (run it in $SGDLENS_HOME to see why)"
}

# Serialises builds of concurrent launchers (flock is in util-linux; without it, builds just race).
sgdlens_locked() {
  mkdir -p "$SGDLENS_TARGET"
  if command -v flock >/dev/null 2>&1; then
    (flock 9 && "$@") 9>"$SGDLENS_TARGET/.launcher.lock"
  else
    "$@"
  fi
}

# The build writes the application jar and the launchers' two jar sets (pom.xml, the
# maven-dependency-plugin executions ship-jars and spark-jars), ':'-separated:
#   target/ship-jars.txt   compile + runtime scope: sgdlens's jars a cluster lacks (--jars)
#   target/spark-jars.txt  provided scope: what a Spark distribution's jars/ holds
# The local classpath is both. Every build rewrites them, so one older than pom.xml is stale.
SGDLENS_SHIP_JARS="$SGDLENS_TARGET/ship-jars.txt"
SGDLENS_SPARK_JARS="$SGDLENS_TARGET/spark-jars.txt"

sgdlens_jar_stale() {
  sgdlens_stale "$SGDLENS_TARGET/sgdlens.jar" "$SGDLENS_HOME/pom.xml" "$SGDLENS_HOME/src/main" \
    "$SGDLENS_HOME/schemas"
}

sgdlens_classpaths_stale() {
  sgdlens_stale "$SGDLENS_SHIP_JARS" "$SGDLENS_HOME/pom.xml" ||
    sgdlens_stale "$SGDLENS_SPARK_JARS" "$SGDLENS_HOME/pom.xml"
}

# Builds the jar and the jar sets (checked again under the lock: another launcher may have just
# built them). Tests are neither compiled nor run: mvn verify is the place for them.
sgdlens_build() {
  sgdlens_jar_stale || sgdlens_classpaths_stale || return 0
  local jar="$SGDLENS_TARGET/sgdlens.jar"
  local when="20-60 s"
  [[ -d "$HOME/.m2/repository/org/apache/spark" ]] ||
    when="several minutes: Maven downloads about 350 MB of dependencies once"
  echo "sgdlens: building $jar and its classpath first (mvn package, $when)" >&2
  local start=$SECONDS
  sgdlens_mvn -Dmaven.test.skip=true -DskipTests package
  echo "sgdlens: built in $((SECONDS - start)) s" >&2
}

# Writes the jar sets alone (mvn generate-resources, no compiling): for SGDLENS_JAR runs.
sgdlens_classpaths() {
  sgdlens_classpaths_stale || return 0
  echo "sgdlens: resolving the classpath (mvn generate-resources)" >&2
  sgdlens_mvn generate-resources
}

sgdlens_app_jar() {
  if [[ -n "${SGDLENS_JAR:-}" ]]; then
    [[ -f "$SGDLENS_JAR" ]] || sgdlens_die "SGDLENS_JAR=$SGDLENS_JAR does not exist; unset it to build"
    echo "$SGDLENS_JAR"
    return
  fi
  if sgdlens_jar_stale || sgdlens_classpaths_stale; then
    sgdlens_locked sgdlens_build
  fi
  echo "$SGDLENS_TARGET/sgdlens.jar"
}

# A jar-set file as one path per line.
sgdlens_jar_list() {
  if sgdlens_classpaths_stale; then sgdlens_locked sgdlens_classpaths; fi
  tr ':' '\n' <"$1" | grep -v '^[[:space:]]*$' || true
}

sgdlens_local_classpath() {
  if [[ -n "${SGDLENS_CLASSPATH:-}" ]]; then
    echo "$SGDLENS_CLASSPATH"
  else
    { sgdlens_jar_list "$SGDLENS_SHIP_JARS"; sgdlens_jar_list "$SGDLENS_SPARK_JARS"; } | paste -sd: -
  fi
}

# Comma-separated jars to ship with --jars (empty when SGDLENS_SHIP_DJL=0 removes all of them).
sgdlens_ship_jars() {
  local jars
  jars="$(sgdlens_jar_list "$SGDLENS_SHIP_JARS")"
  if [[ "${SGDLENS_SHIP_DJL:-1}" == 0 ]]; then
    jars="$(grep -vE '/(ai/djl|net/java/dev/jna)/' <<<"$jars" || true)"
  fi
  paste -sd, - <<<"$jars" | sed 's/^,*//; s/,*$//'
}

# Finds a user's spark-submit: SGDLENS_SPARK_SUBMIT, then $SPARK_HOME/bin, then PATH.
sgdlens_spark_submit() {
  if [[ -n "${SGDLENS_SPARK_SUBMIT:-}" ]]; then
    [[ "$SGDLENS_SPARK_SUBMIT" == embedded ]] || echo "$SGDLENS_SPARK_SUBMIT"
    return
  fi
  if [[ -n "${SPARK_HOME:-}" && -x "$SPARK_HOME/bin/spark-submit" ]]; then
    echo "$SPARK_HOME/bin/spark-submit"
  elif command -v spark-submit >/dev/null 2>&1; then
    command -v spark-submit
  fi
}

# Value of a key in a Java properties file (spark-defaults.conf syntax: "key value" or "key=value").
sgdlens_property() {
  local file="$1" key="$2"
  [[ -f "$file" ]] || return 0
  awk -v k="$key" '
    /^[ \t]*#/ { next }
    { line = $0; sub(/^[ \t]+/, "", line)
      n = match(line, /[ \t=]/)
      if (n == 0) next
      if (substr(line, 1, n - 1) == k) { v = substr(line, n + 1); sub(/^[ \t=]+/, "", v); sub(/[ \t]+$/, "", v); val = v } }
    END { if (val != "") print val }' "$file"
}

# A driver setting the way spark-submit resolves it: the option (--driver-java-options and the
# like; the last one given), else --conf <key>=, else the properties file.
sgdlens_driver_conf() {
  local props="$1" option="$2" key="$3" opt="" conf="" i
  for ((i = 0; i < ${#SGDLENS_SPARK_ARGS[@]}; i++)); do
    case "${SGDLENS_SPARK_ARGS[i]}" in
      "$option") opt="${SGDLENS_SPARK_ARGS[i + 1]}" ;;
      --conf) [[ "${SGDLENS_SPARK_ARGS[i + 1]}" == "$key"=* ]] &&
        conf="${SGDLENS_SPARK_ARGS[i + 1]#*=}" ;;
    esac
  done
  [[ -z "$opt" ]] && opt="$conf"
  [[ -z "$opt" && -n "$props" ]] && opt="$(sgdlens_property "$props" "$key")"
  printf '%s' "$opt"
}

# The driver memory a launch asks for, as a JVM -Xmx value: --driver-memory, else --conf
# spark.driver.memory=, else the properties file (spark-submit's order). Spark's units: k, m, g,
# t with an optional b; a bare number is MiB.
sgdlens_driver_heap() {
  local mem
  mem="$(sgdlens_driver_conf "$1" --driver-memory spark.driver.memory)"
  [[ -z "$mem" ]] && return 0
  local given="$mem"
  mem="${mem,,}"
  mem="${mem%b}"
  if [[ "$mem" =~ ^[0-9]+$ ]]; then
    mem="${mem}m"
  elif [[ ! "$mem" =~ ^[0-9]+[kmgt]$ ]]; then
    sgdlens_die "driver memory '$given' is not a size; give e.g. --driver-memory 4g or 512m"
  fi
  echo "$mem"
}

# The driver's extra JVM options (--driver-java-options, else spark.driver.extraJavaOptions), one
# per line, split as a shell splits words (quotes group). Spark refuses -Xmx there; so does this.
sgdlens_driver_java_options() {
  local value
  value="$(sgdlens_driver_conf "$1" --driver-java-options spark.driver.extraJavaOptions)"
  [[ -z "$value" ]] && return 0
  local words
  words="$(xargs -r printf '%s\n' <<<"$value" 2>&1)" ||
    sgdlens_die "driver java options '$value' do not split into words ($words); balance the quotes"
  if grep -q -e '^-Xmx' <<<"$words"; then
    sgdlens_die "driver java options '$value' set the heap; use --driver-memory instead (as spark-submit requires)"
  fi
  printf '%s\n' "$words"
}

# Splits "$@" into Spark options (SGDLENS_SPARK_ARGS) and job arguments (SGDLENS_JOB_ARGS), and
# records --master, --properties-file, --jars, --driver-class-path and --help.
sgdlens_split_args() {
  SGDLENS_SPARK_ARGS=()
  SGDLENS_JOB_ARGS=()
  SGDLENS_MASTER=""
  SGDLENS_PROPS=""
  SGDLENS_USER_JARS=""
  SGDLENS_USER_DRIVER_CP=""
  SGDLENS_HELP=0
  local arg name value
  while [[ $# -gt 0 ]]; do
    arg="$1"
    shift
    name="${arg%%=*}"
    if sgdlens_in "$name" "${SGDLENS_SPARK_VALUED[@]}"; then
      if [[ "$arg" == *=* ]]; then
        value="${arg#*=}"
      else
        [[ $# -gt 0 ]] || sgdlens_die "Spark option $name needs a value, e.g. $name local[2]"
        value="$1"
        shift
      fi
      case "$name" in
        --master) SGDLENS_MASTER="$value" ;;
        --properties-file) SGDLENS_PROPS="$value" ;;
        --jars) SGDLENS_USER_JARS="$value" ;;
        --driver-class-path) SGDLENS_USER_DRIVER_CP="$value" ;;
        --conf)
          [[ "$value" == *=* ]] || sgdlens_die "--conf needs key=value, got '$value'"
          [[ "${value%%=*}" == spark.master ]] && SGDLENS_MASTER="${value#*=}"
          SGDLENS_SPARK_ARGS+=(--conf "$value")
          ;;
        *) SGDLENS_SPARK_ARGS+=("$name" "$value") ;;
      esac
    elif sgdlens_in "$arg" "${SGDLENS_SPARK_FLAGS[@]}"; then
      SGDLENS_SPARK_ARGS+=("$arg")
    else
      [[ "$arg" == --help || "$arg" == -h ]] && SGDLENS_HELP=1
      SGDLENS_JOB_ARGS+=("$arg")
    fi
  done
  return 0
}

sgdlens_spark_options_help() {
  echo
  echo "jobs/$1 takes spark-submit's options too:"
  cat <<'EOF'
Spark options (--master, --deploy-mode, --conf k=v, --driver-memory, --executor-memory,
--executor-cores, --num-executors, --jars, --packages, --name, --properties-file, --verbose, ...)
go to spark-submit; every other argument goes to the job. Default: --master local[2] with
conf/spark-defaults.conf. Precedence: --conf > properties file > code default (docs/running.md).
EOF
}

# Runs a Spark job class: sgdlens_run_spark <job-name> <class> [args...]
sgdlens_run_spark() {
  local job="$1" cls="$2"
  shift 2
  sgdlens_env
  sgdlens_split_args "$@"
  if [[ $SGDLENS_HELP == 1 ]]; then
    sgdlens_job_help "$job" "$cls"
    return
  fi

  # Native BLAS/LAPACK when the machine has or can get it; then the Vector API fallback (and
  # the JVM's "Using incubator modules" warning) is not needed.
  sgdlens_ensure_blas
  if sgdlens_has_native_blas; then
    mapfile -t SGDLENS_JVM_OPENS < <(sgdlens_help_jvm_opens)
  fi

  local submit
  submit="$(sgdlens_spark_submit)"

  # Which properties file, and is this run local? The project's spark-defaults.conf holds local
  # defaults (loopback driver, no UI), so it is used only for local runs; for a cluster master,
  # spark-submit reads its own SPARK_CONF_DIR as usual unless --properties-file is given.
  local user_conf_dir="${SPARK_CONF_DIR:-${SPARK_HOME:+$SPARK_HOME/conf}}"
  local props="$SGDLENS_PROPS" master="$SGDLENS_MASTER"
  if [[ -z "$props" ]]; then
    if [[ -z "$master" && -n "$submit" && -n "$user_conf_dir" ]] &&
      [[ -n "$(sgdlens_property "$user_conf_dir/spark-defaults.conf" spark.master)" ]]; then
      master="$(sgdlens_property "$user_conf_dir/spark-defaults.conf" spark.master)"
    elif [[ -z "$master" || "$master" == local* ]]; then
      props="$SGDLENS_CONF_DIR/spark-defaults.conf"
      [[ -f "$props" ]] || props=""
    fi
  fi
  if [[ -z "$master" && -n "$props" ]]; then
    master="$(sgdlens_property "$props" spark.master)"
  fi
  local spark_args=("${SGDLENS_SPARK_ARGS[@]}")
  [[ -n "$props" ]] && spark_args+=(--properties-file "$props")
  if [[ -n "$SGDLENS_MASTER" ]]; then
    spark_args+=(--master "$SGDLENS_MASTER")
  elif [[ -z "$master" ]]; then
    master="$SGDLENS_DEFAULT_MASTER"
    spark_args+=(--master "$master")
  fi
  local is_local=0
  [[ "$master" == local* ]] && is_local=1

  local app_jar
  app_jar="$(sgdlens_app_jar)"
  local driver_props=()
  mapfile -t driver_props < <(sgdlens_driver_props)
  # shellcheck disable=SC2206
  local java_opts=(${SGDLENS_JAVA_OPTS:-})

  local cmd=()
  if [[ -n "$submit" ]]; then
    # A Spark distribution has Spark; sgdlens's own dependencies travel with the job.
    local ship
    ship="$(sgdlens_ship_jars)"
    if [[ $is_local == 1 ]]; then
      local dcp
      dcp="$(tr ',' ':' <<<"$ship")"
      dcp="${SGDLENS_USER_DRIVER_CP:+$SGDLENS_USER_DRIVER_CP:}$dcp"
      [[ -n "$dcp" ]] && spark_args+=(--driver-class-path "$dcp")
      [[ -n "$SGDLENS_USER_JARS" ]] && spark_args+=(--jars "$SGDLENS_USER_JARS")
    else
      local jars="${SGDLENS_USER_JARS:+$SGDLENS_USER_JARS,}$ship"
      [[ -n "$jars" ]] && spark_args+=(--jars "${jars%,}")
      [[ -n "$SGDLENS_USER_DRIVER_CP" ]] && spark_args+=(--driver-class-path "$SGDLENS_USER_DRIVER_CP")
    fi
    export SPARK_SUBMIT_OPTS="${SPARK_SUBMIT_OPTS:+$SPARK_SUBMIT_OPTS }${driver_props[*]} ${java_opts[*]}"
    cmd=("$submit" "${spark_args[@]}" --class "$cls" "$app_jar" "${SGDLENS_JOB_ARGS[@]}")
  else
    # No distribution: the same entry point spark-submit runs, on the Maven classpath. Locally
    # every jar is on -cp already; a cluster's executors get sgdlens's own jars with --jars.
    local cp
    cp="$(sgdlens_local_classpath)"
    [[ -n "$SGDLENS_USER_DRIVER_CP" ]] && cp="$SGDLENS_USER_DRIVER_CP:$cp"
    # SparkSubmit runs inside this JVM here, so it cannot size the driver's heap: the launcher
    # turns the driver memory into -Xmx (SGDLENS_JAVA_OPTS, later on the line, still wins).
    # Likewise it cannot apply the driver's extra java options, class path and library path, which
    # spark-submit puts on the driver JVM's command line: the launcher does.
    local heap words extra_opts=() extra_cp lib_path env_cmd=()
    heap="$(sgdlens_driver_heap "$props")"
    words="$(sgdlens_driver_java_options "$props")"
    [[ -n "$words" ]] && mapfile -t extra_opts <<<"$words"
    java_opts=("${extra_opts[@]}" "${java_opts[@]}")
    [[ -n "$heap" ]] && java_opts=("-Xmx$heap" "${java_opts[@]}")
    if [[ -z "$SGDLENS_USER_DRIVER_CP" ]]; then
      extra_cp="$(sgdlens_driver_conf "$props" --driver-class-path spark.driver.extraClassPath)"
      [[ -n "$extra_cp" ]] && cp="$extra_cp:$cp"
    fi
    lib_path="$(sgdlens_driver_conf "$props" --driver-library-path spark.driver.extraLibraryPath)"
    if [[ -n "$lib_path" ]]; then
      env_cmd=(env "LD_LIBRARY_PATH=$lib_path${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
      java_opts=("-Djava.library.path=$lib_path" "${java_opts[@]}")
    fi
    if [[ $is_local == 1 ]]; then
      [[ -n "$SGDLENS_USER_JARS" ]] && spark_args+=(--jars "$SGDLENS_USER_JARS")
    else
      local ship jars
      ship="$(sgdlens_ship_jars)"
      jars="${SGDLENS_USER_JARS:+$SGDLENS_USER_JARS,}$ship"
      [[ -n "$jars" ]] && spark_args+=(--jars "${jars%,}")
    fi
    cmd=("${env_cmd[@]}" "$(sgdlens_java)" "${SGDLENS_JVM_OPENS[@]}" "${driver_props[@]}" "${java_opts[@]}"
      -cp "$app_jar:$cp" org.apache.spark.deploy.SparkSubmit
      "${spark_args[@]}" --class "$cls" "$app_jar" "${SGDLENS_JOB_ARGS[@]}")
  fi

  if [[ -n "${SGDLENS_DRY_RUN:-}" ]]; then
    printf '%q ' "${cmd[@]}"
    echo
    return 0
  fi
  local rc=0
  "${cmd[@]}" 2> >(sgdlens_stderr_filter) || rc=$?
  wait $! 2>/dev/null || true # the filter has written its last line
  return $rc
}

# Drops the native libraries' known noise from stderr, line by line, and passes every other line
# on at once: libtorch's "AutoNonVariableTypeMode is deprecated" warning (DJL calls the deprecated
# guard; libtorch writes it to fd 2 itself, TORCH_CPP_LOG_LEVEL does not reach it). The filter
# ignores Ctrl-C and SIGTERM so the job's own last words still get through.
sgdlens_stderr_filter() {
  trap '' INT TERM HUP
  exec grep --line-buffered -v -F -e 'Warning: AutoNonVariableTypeMode is deprecated' >&2
}

# --help of a Spark job: it only prints, so the job class runs straight on the local classpath,
# without SparkSubmit (0.3 s instead of 1.5 s) and without the incubator module (no JVM
# warning), whether or not a Spark distribution is installed.
sgdlens_job_help() {
  local job="$1" cls="$2"
  local app_jar cp
  app_jar="$(sgdlens_app_jar)"
  cp="$(sgdlens_local_classpath)"
  local opens=() driver_props=()
  mapfile -t opens < <(sgdlens_help_jvm_opens)
  mapfile -t driver_props < <(sgdlens_driver_props)
  local cmd=("$(sgdlens_java)" "${opens[@]}" "${driver_props[@]}" -cp "$app_jar:$cp" "$cls"
    "${SGDLENS_JOB_ARGS[@]}")
  if [[ -n "${SGDLENS_DRY_RUN:-}" ]]; then
    printf '%q ' "${cmd[@]}"
    echo
    return 0
  fi
  local rc=0
  "${cmd[@]}" || rc=$?
  [[ $rc != 0 ]] || sgdlens_spark_options_help "$job"
  return $rc
}

# Runs a plain-Java job class (no Spark session): sgdlens_run_java <job-name> <class> [args...]
sgdlens_run_java() {
  local cls="$2"
  shift 2
  sgdlens_env
  local app_jar cp
  app_jar="$(sgdlens_app_jar)"
  cp="$(sgdlens_local_classpath)"
  local driver_props=()
  mapfile -t driver_props < <(sgdlens_driver_props)
  # shellcheck disable=SC2206
  local java_opts=(${SGDLENS_JAVA_OPTS:-})
  local opens=("${SGDLENS_JVM_OPENS[@]}")
  # The Vector API module serves only netlib's Java BLAS: not needed for --help, nor when the
  # machine has a native BLAS.
  if sgdlens_in --help "$@" || sgdlens_in -h "$@" || sgdlens_has_native_blas; then
    mapfile -t opens < <(sgdlens_help_jvm_opens)
  fi
  local cmd=("$(sgdlens_java)" "${opens[@]}" "${driver_props[@]}" "${java_opts[@]}"
    -cp "$app_jar:$cp" "$cls" "$@")
  if [[ -n "${SGDLENS_DRY_RUN:-}" ]]; then
    printf '%q ' "${cmd[@]}"
    echo
    return 0
  fi
  exec "${cmd[@]}" 2> >(sgdlens_stderr_filter)
}
