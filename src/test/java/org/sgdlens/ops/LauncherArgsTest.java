package org.sgdlens.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * How the launchers split arguments and assemble the command, checked without starting a JVM
 * (SGDLENS_DRY_RUN prints the command): Spark options to SparkSubmit in both spellings, everything
 * else to the job after the application jar, the local conf file and default master only when
 * nothing else names them, plain java for the train job.
 */
class LauncherArgsTest {
  @Test
  void sparkOptionsGoToSparkSubmitAndTheRestToTheJob() {
    List<String> cmd =
        dryRun(
            "sql",
            "--lake",
            "L",
            "--conf=spark.x=1",
            "-e",
            "SELECT 1",
            "--verbose",
            "--driver-memory=2g",
            "--name",
            "mine");
    int submit = cmd.indexOf("org.apache.spark.deploy.SparkSubmit");
    int cls = cmd.indexOf("--class");
    assertThat(submit).as("embedded SparkSubmit entry point in %s", cmd).isPositive();
    List<String> spark = cmd.subList(submit + 1, cls);
    assertThat(spark)
        .as("Spark options, both --opt value and --opt=value")
        .containsSubsequence("--conf", "spark.x=1")
        .containsSubsequence("--driver-memory", "2g")
        .containsSubsequence("--name", "mine")
        .contains("--verbose")
        .containsSubsequence(
            "--properties-file",
            Launchers.projectDir().resolve("conf/spark-defaults.conf").toString())
        .containsSubsequence("--master", "local[2]");
    assertThat(cmd.subList(cls, cmd.size()))
        .as("class, application jar, then the job's own arguments in order")
        .containsExactly(
            "--class",
            "org.sgdlens.cli.SqlJob",
            Launchers.appJar().toString(),
            "--lake",
            "L",
            "-e",
            "SELECT 1");
    assertThat(cmd)
        .as("driver JVM properties")
        .contains("-Dai.djl.offline=true", "--add-opens=java.base/java.nio=ALL-UNNAMED")
        .anyMatch(
            a -> a.startsWith("-Dlog4j2.configurationFile=") && a.endsWith("log4j2.properties"));
  }

  @Test
  void aGivenMasterReplacesTheDefault() {
    List<String> cmd = dryRun("phases", "--master", "local[3]", "--lake", "L");
    assertThat(cmd).as("one --master, the user's").containsSubsequence("--master", "local[3]");
    assertThat(cmd.stream().filter("--master"::equals).count()).as("--master count").isEqualTo(1);
    assertThat(cmd).as("job class").contains("org.sgdlens.cli.PhasesJob");
  }

  @Test
  void helpRunsTheJobClassAloneWithoutTheIncubatorModule() {
    // --help only prints: no SparkSubmit (ten times faster) and no Vector API module, whose
    // "WARNING: Using incubator modules" line would be the first thing a new user sees.
    List<String> cmd = dryRun("order-params", "--help", "--master", "local[3]");
    assertThat(cmd.subList(cmd.size() - 2, cmd.size()))
        .as("the job class and its --help, last")
        .containsExactly("org.sgdlens.cli.OrderParamsJob", "--help");
    assertThat(cmd)
        .as("plain java with Spark's opens, but no SparkSubmit, no incubator module")
        .contains("--add-opens=java.base/java.nio=ALL-UNNAMED")
        .doesNotContain(
            "org.apache.spark.deploy.SparkSubmit",
            "--add-modules=jdk.incubator.vector",
            "--master");
    List<String> train = dryRun("train", "--help");
    assertThat(train).as("train --help").doesNotContain("--add-modules=jdk.incubator.vector");
    if (Launchers.nativeBlas()) {
      assertThat(dryRun("train", "--lake", "L"))
          .as("with a native BLAS nothing needs netlib's VectorBLAS, so no module")
          .doesNotContain("--add-modules=jdk.incubator.vector");
    } else {
      assertThat(dryRun("train", "--lake", "L"))
          .as("without a native BLAS a real run keeps the module (netlib's VectorBLAS)")
          .contains("--add-modules=jdk.incubator.vector");
    }
  }

  @Test
  void driverMemoryBecomesTheHeapOfTheEmbeddedDriver() {
    // SparkSubmit runs inside the launcher's JVM here, so only -Xmx can honour --driver-memory.
    assertThat(dryRun("phases", "--driver-memory", "3g", "--lake", "L"))
        .as("--driver-memory 3g")
        .contains("-Xmx3g")
        .doesNotContain("-Xmx6g");
    assertThat(dryRun("phases", "--conf", "spark.driver.memory=2048", "--lake", "L"))
        .as("a bare number is MiB, as in Spark")
        .contains("-Xmx2048m");
    assertThat(dryRun("phases", "--lake", "L"))
        .as("conf/spark-defaults.conf's spark.driver.memory")
        .contains("-Xmx6g");
    assertThat(dryRun("phases", "--driver-memory=1GB", "--conf", "spark.driver.memory=5g"))
        .as("--driver-memory beats --conf, as in spark-submit")
        .contains("-Xmx1g")
        .doesNotContain("-Xmx5g");
  }

  @Test
  void driverJavaOptionsClassPathAndLibraryPathReachTheEmbeddedDriver() {
    // spark-submit puts these on the driver JVM's command line; SparkSubmit inside the launcher's
    // JVM cannot, so the launcher must, in spark-submit's order (option, then --conf, then file).
    List<String> cmd =
        dryRun(
            "phases",
            "--driver-java-options",
            "-Dfoo=1 -Dbar='a b'",
            "--conf",
            "spark.driver.extraJavaOptions=-Dignored=1",
            "--lake",
            "L");
    List<String> jvm = cmd.subList(0, cmd.indexOf("org.apache.spark.deploy.SparkSubmit"));
    assertThat(jvm)
        .as("--driver-java-options split into words, quotes grouping, and beating --conf")
        .contains("-Dfoo=1", "-Dbar=a b")
        .doesNotContain("-Dignored=1");
    assertThat(dryRun("phases", "--conf", "spark.driver.extraJavaOptions=-Dx=2"))
        .as("spark.driver.extraJavaOptions")
        .contains("-Dx=2");
    List<String> lib = dryRun("phases", "--driver-library-path", "/opt/native", "--lake", "L");
    assertThat(lib.get(0)).as("the library path goes into the environment").isEqualTo("env");
    assertThat(lib)
        .as("library path for the JVM and for dlopen")
        .anyMatch(a -> a.startsWith("LD_LIBRARY_PATH=/opt/native"))
        .contains("-Djava.library.path=/opt/native");
    List<String> cp = dryRun("phases", "--conf", "spark.driver.extraClassPath=/x/extra.jar");
    assertThat(cp.get(cp.indexOf("-cp") + 1))
        .as("spark.driver.extraClassPath on the driver's class path")
        .contains(":/x/extra.jar:");
  }

  @Test
  void aHeapInTheDriverJavaOptionsIsRefusedWithTheFix() {
    assertThat(dryRunFailure("phases", "--driver-java-options", "-Xmx4g -Dx=1"))
        .as("Spark refuses -Xmx in java options; so does the launcher, naming the fix")
        .contains("-Xmx4g")
        .contains("--driver-memory");
    assertThat(dryRunFailure("phases", "--driver-java-options", "-Dx=\"unbalanced"))
        .as("unbalanced quotes")
        .contains("-Dx=\"unbalanced")
        .contains("quotes");
  }

  @Test
  void trainRunsAsPlainJava() {
    List<String> cmd = dryRun("train", "--lake", "L", "--master", "x");
    assertThat(cmd)
        .as("no SparkSubmit for train")
        .doesNotContain("org.apache.spark.deploy.SparkSubmit");
    assertThat(cmd.subList(cmd.indexOf("org.sgdlens.cli.TrainJob"), cmd.size()))
        .as("every argument goes to TrainJob")
        .containsExactly("org.sgdlens.cli.TrainJob", "--lake", "L", "--master", "x");
  }

  /** The error a launcher prints when it refuses its arguments (it must exit non-zero). */
  private static String dryRunFailure(String job, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Launchers.projectDir().resolve("jobs").resolve(job).toString());
    command.addAll(List.of(args));
    Launched run = launch(command);
    assertThat(run.exitCode()).as("exit status of jobs/%s: %s", job, run.output()).isNotZero();
    return run.output();
  }

  /** The command a launcher would run, one element per argument. */
  private static List<String> dryRun(String job, String... args) {
    List<String> command =
        new ArrayList<>(
            List.of(
                "bash",
                "-c",
                "out=$(\"$@\") || exit 1; eval \"set -- $out\"; printf '%s\\n' \"$@\"",
                "dry-run",
                Launchers.projectDir().resolve("jobs").resolve(job).toString()));
    command.addAll(List.of(args));
    Launched run = launch(command);
    assertThat(run.exitCode()).as("dry run of jobs/%s: %s", job, run.output()).isZero();
    return run.output().lines().toList();
  }

  private record Launched(int exitCode, String output) {}

  /** Runs a launcher command in dry-run mode on the embedded path, stdout and stderr together. */
  private static Launched launch(List<String> command) {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("SGDLENS_DRY_RUN", "1");
    builder.environment().put("SGDLENS_SPARK_SUBMIT", "embedded");
    builder.environment().put("SGDLENS_JAR", Launchers.appJar().toString());
    builder.environment().put("SGDLENS_CLASSPATH", "/nonexistent/spark.jar");
    builder.environment().remove("SPARK_HOME");
    builder.environment().remove("SGDLENS_JAVA_OPTS");
    builder.environment().remove("LD_LIBRARY_PATH");
    try {
      Process p = builder.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("dry run finished").isTrue();
      return new Launched(p.exitValue(), out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
