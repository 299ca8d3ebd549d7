package org.sgdlens.ops;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Spark standalone cluster on loopback for tests and benchmarks: one Master and N Workers, each
 * its own JVM, with a throwaway SPARK_HOME whose {@code jars/} links to the Maven Spark jars (what
 * a Worker needs to launch executors). Jobs are submitted through the real launchers ({@code
 * jobs/<job> --master spark://...}). {@link #close()} stops every process it started, by PID,
 * executors included.
 *
 * <pre>{@code
 * try (StandaloneCluster cluster = new StandaloneCluster(dir, 2, 1, "1g")) {
 *   cluster.start();
 *   Launchers.Run run = cluster.submit("sql", "--lake", lake, "-e", "SELECT ...");
 * }
 * }</pre>
 */
public final class StandaloneCluster implements AutoCloseable {
  private static final long START_TIMEOUT_SECONDS = 180;
  private static final Pattern REGISTERED = Pattern.compile("Registering worker ");

  private final Path workDir;
  private final int workers;
  private final int coresPerWorker;
  private final String workerMemory;
  private final List<Process> daemons = new ArrayList<>();
  private Path sparkHome;
  private int masterPort;
  private long startMillis = -1;

  /**
   * @param workDir folder for SPARK_HOME, logs and the workers' work dirs
   * @param workers number of Worker JVMs
   * @param coresPerWorker cores each Worker offers
   * @param workerMemory memory each Worker offers, e.g. "1g"
   */
  public StandaloneCluster(Path workDir, int workers, int coresPerWorker, String workerMemory) {
    this.workDir = workDir.toAbsolutePath();
    this.workers = workers;
    this.coresPerWorker = coresPerWorker;
    this.workerMemory = workerMemory;
  }

  /** Starts the Master and the Workers and waits until every Worker has registered. */
  public StandaloneCluster start() {
    long t0 = System.nanoTime();
    try {
      sparkHome = buildSparkHome();
      masterPort = freePort();
      Path masterLog = workDir.resolve("master.log");
      daemons.add(
          daemon(
              masterLog,
              "org.apache.spark.deploy.master.Master",
              "--host",
              "127.0.0.1",
              "--port",
              String.valueOf(masterPort),
              "--webui-port",
              String.valueOf(freePort())));
      waitFor("the Master to listen on port " + masterPort, masterLog, () -> listening(masterPort));
      for (int i = 0; i < workers; i++) {
        Path dir = Files.createDirectories(workDir.resolve("worker-" + i));
        daemons.add(
            daemon(
                workDir.resolve("worker-" + i + ".log"),
                "org.apache.spark.deploy.worker.Worker",
                masterUrl(),
                "--host",
                "127.0.0.1",
                "--cores",
                String.valueOf(coresPerWorker),
                "--memory",
                workerMemory,
                "--work-dir",
                dir.toString(),
                "--webui-port",
                String.valueOf(freePort())));
      }
      waitFor(
          workers + " Workers to register",
          masterLog,
          () -> count(REGISTERED, read(masterLog)) >= workers);
      startMillis = (System.nanoTime() - t0) / 1_000_000;
      return this;
    } catch (IOException e) {
      close();
      throw new UncheckedIOException("Cannot start the standalone cluster in " + workDir, e);
    } catch (RuntimeException | Error e) {
      close();
      throw e;
    }
  }

  /** spark://127.0.0.1:PORT */
  public String masterUrl() {
    return "spark://127.0.0.1:" + masterPort;
  }

  /** Milliseconds {@link #start()} took until every Worker had registered. */
  public long startMillis() {
    return startMillis;
  }

  /** Submits {@code jobs/<job>} to the cluster (client deploy mode) and waits for it. */
  public Launchers.Run submit(String job, Map<String, String> env, String... args) {
    if (masterPort == 0) {
      throw new IllegalStateException("start() the cluster before submitting");
    }
    List<String> all = new ArrayList<>(List.of("--master", masterUrl()));
    all.addAll(List.of(args));
    return Launchers.run(job, env, 600, all.toArray(String[]::new));
  }

  /** The Master's log so far (for assertions and failure messages). */
  public String masterLog() {
    return read(workDir.resolve("master.log"));
  }

  /** Stops the Workers (and their executors), then the Master, by PID. */
  @Override
  public void close() {
    for (int i = daemons.size() - 1; i >= 0; i--) {
      stop(daemons.get(i));
    }
    daemons.clear();
  }

  private static void stop(Process process) {
    // Executors are the Worker's children: collect them before the Worker goes away.
    List<ProcessHandle> children = process.descendants().toList();
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    for (ProcessHandle child : children) {
      if (child.isAlive()) {
        child.destroyForcibly();
      }
    }
  }

  private Process daemon(Path log, String mainClass, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of(jvmOpens()));
    command.add("-Xmx512m");
    command.add("-cp");
    command.add(sparkHome.resolve("jars") + "/*");
    command.add(mainClass);
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
    Map<String, String> env = builder.environment();
    env.put("SPARK_HOME", sparkHome.toString());
    env.put("SPARK_SCALA_VERSION", "2.13");
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    env.put("OPENBLAS_NUM_THREADS", "1");
    env.remove("SPARK_CONF_DIR");
    builder.redirectErrorStream(true).redirectOutput(log.toFile());
    return builder.start();
  }

  /**
   * A SPARK_HOME with jars/ linking to the Spark distribution's jars as the build lists them
   * (target/spark-jars.txt: the pom's provided scope).
   */
  private Path buildSparkHome() throws IOException {
    Path home = Files.createDirectories(workDir.resolve("spark-home"));
    Path jars = Files.createDirectories(home.resolve("jars"));
    for (String jar : sparkDistributionJars()) {
      Path source = Path.of(jar);
      Path link = jars.resolve(source.getFileName());
      if (!Files.exists(link)) {
        Files.createSymbolicLink(link, source);
      }
    }
    writeScripts(home.resolve("bin"));
    return home;
  }

  /**
   * bin/spark-class and bin/spark-submit as a Spark distribution has them (same logic, shortened):
   * org.apache.spark.launcher.Main builds the java command, the script runs it. They let tests take
   * the launchers' "user has a Spark distribution" path.
   */
  private static void writeScripts(Path bin) throws IOException {
    Files.createDirectories(bin);
    Path sparkClass = bin.resolve("spark-class");
    // Spark 4's launcher prints optional message lines, then a NUL line, then NUL-separated args.
    Files.writeString(
        sparkClass,
        """
        #!/usr/bin/env bash
        # Spark's bin/spark-class, shortened: the launcher library prints the command to run.
        RUNNER="${JAVA_HOME:+$JAVA_HOME/bin/}java"
        build_command() {
          "$RUNNER" -Xmx128m -cp "$SPARK_HOME/jars/*" org.apache.spark.launcher.Main "$@"
          printf '%d\\0' $?
        }
        CMD=()
        DELIM=$'\\n'
        STARTED=false
        while IFS= read -d "$DELIM" -r ARG; do
          if [ "$STARTED" = true ]; then CMD+=("$ARG")
          elif [ -z "$ARG" ]; then DELIM=''; STARTED=true
          else echo "$ARG"; fi
        done < <(build_command "$@")
        LAST=$((${#CMD[@]} - 1))
        [ "${CMD[$LAST]}" = 0 ] || exit "${CMD[$LAST]}"
        exec "${CMD[@]:0:$LAST}"
        """);
    Path sparkSubmit = bin.resolve("spark-submit");
    Files.writeString(
        sparkSubmit,
        String.join(
            "\n",
            "#!/usr/bin/env bash",
            "export SPARK_HOME=\"$(cd \"$(dirname \"$0\")/..\" && pwd)\"",
            "export SPARK_SCALA_VERSION=2.13",
            "exec \"$SPARK_HOME/bin/spark-class\" org.apache.spark.deploy.SparkSubmit \"$@\"",
            ""));
    for (Path script : List.of(sparkClass, sparkSubmit)) {
      script.toFile().setExecutable(true);
    }
  }

  /** The throwaway SPARK_HOME (jars/ and bin/spark-submit), once started. */
  public Path sparkHome() {
    return sparkHome;
  }

  /**
   * The jars of a Spark distribution: target/spark-jars.txt, which the build writes (the launcher
   * library's classpath step runs Maven only if it is missing or older than pom.xml).
   */
  static List<String> sparkDistributionJars() {
    Path project = Launchers.projectDir();
    try {
      Process p =
          new ProcessBuilder(
                  "bash", "-c", "source jobs/lib/common.sh && sgdlens_locked sgdlens_classpaths")
              .directory(project.toFile())
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("Resolving the Spark classpath failed:\n" + out);
      }
      String classpath =
          Files.readString(project.resolve("target/spark-jars.txt"), StandardCharsets.UTF_8);
      return List.of(classpath.strip().split(":"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private void waitFor(String what, Path log, java.util.function.BooleanSupplier ready) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_SECONDS);
    while (!ready.getAsBoolean()) {
      for (Process daemon : daemons) {
        if (!daemon.isAlive()) {
          throw new IllegalStateException(
              "A cluster process exited (code "
                  + daemon.exitValue()
                  + ") while waiting for "
                  + what
                  + "; log "
                  + log
                  + ":\n"
                  + tail(read(log)));
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "Timed out after "
                + START_TIMEOUT_SECONDS
                + " s waiting for "
                + what
                + "; log:\n"
                + tail(read(log)));
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  private static boolean listening(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int count(Pattern pattern, String text) {
    Matcher m = pattern.matcher(text);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "";
    }
  }

  private static String tail(String text) {
    return text.length() <= 4000 ? text : "..." + text.substring(text.length() - 4000);
  }

  /**
   * Spark's JVM options for Java 17 from jobs/lib/jvm-options, the list the launchers and Surefire
   * use (a java @argfile: one option per line, '#' starts a comment).
   */
  static String[] jvmOpens() {
    Path file = Launchers.projectDir().resolve("jobs/lib/jvm-options");
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8).stream()
          .map(line -> line.replaceFirst("#.*", "").strip())
          .filter(option -> !option.isEmpty())
          .toArray(String[]::new);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the JVM options in " + file, e);
    }
  }
}
