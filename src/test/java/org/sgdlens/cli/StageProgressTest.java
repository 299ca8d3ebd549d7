package org.sgdlens.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/**
 * Long Spark stages report progress on stderr in plain lines, short ones stay silent, and the
 * switch turns it off: a real local session with the listener registered as the launchers do.
 */
class StageProgressTest {
  @Test
  void aLongStageGetsProgressLinesAndADoneLineAShortOneNothing() {
    String err = runJobs(true);
    List<String> lines = err.lines().filter(l -> l.startsWith("[progress-test] stage ")).toList();
    assertThat(lines).as("progress lines in %s", err).isNotEmpty();
    assertThat(lines)
        .as("a line while the slow stage runs, then its done line")
        .anyMatch(
            l -> l.matches("\\[progress-test] stage \\d+ \\(.+\\): [0-2]/2 tasks, \\d+ s, .*"))
        .anyMatch(l -> l.matches("\\[progress-test] stage \\d+ \\(.+\\): 2/2 tasks, \\d+ s, done"));
    assertThat(lines.stream().map(l -> l.replaceAll(":.*", "")).distinct().count())
        .as("only the slow stage is reported (the quick one finished before 1.5 s): %s", lines)
        .isEqualTo(1);
    assertThat(err).as("no carriage returns").doesNotContain("\r");
  }

  @Test
  void theSwitchTurnsItOff() {
    assertThat(runJobs(false)).doesNotContain("[progress-test] stage");
  }

  @Test
  void aBadIntervalIsRefusedNamingTheKey() {
    SparkConf conf = new SparkConf().set("spark.sgdlens.progress.every", "soon");
    assertThatThrownBy(() -> new StageProgress(conf))
        .hasMessageContaining("spark.sgdlens.progress.every=soon")
        .hasMessageContaining("--conf spark.sgdlens.progress.every=5");
  }

  private static String runJobs(boolean enabled) {
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
    PrintStream saved = System.err;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    SparkSession spark =
        SparkSession.builder()
            .appName("sgdlens-progress-test")
            .master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.extraListeners", StageProgress.class.getName())
            .config("spark.sgdlens.progress", String.valueOf(enabled))
            .config("spark.sgdlens.progress.after", "1.5")
            .config("spark.sgdlens.progress.every", "0.5")
            .getOrCreate();
    try (PrintStream capture = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      System.setErr(capture);
      JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      sc.parallelize(List.of(1, 2), 2)
          .map(
              x -> {
                Thread.sleep(2000L * x);
                return x;
              })
          .count();
      // A warm JVM's trivial stage: well under the 1.5 s threshold even on a loaded machine.
      sc.parallelize(List.of(1, 2, 3, 4), 2).count();
    } finally {
      System.setErr(saved);
      spark.stop();
      SparkSession.clearActiveSession();
      SparkSession.clearDefaultSession();
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
