package org.sgdlens.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sgdlens.analysis.LakeTables;
import org.sgdlens.analysis.LossSeparation;
import org.sgdlens.analysis.SparkTestBase;
import org.sgdlens.lake.Tables;

/**
 * The README's main command on its tiny scale, twice on one lake: the second time the training
 * runs are already committed and are reused (not retrained, not duplicated), the analyses run
 * again over the same data, and the summary reports the same headline numbers.
 */
class QuickstartJobTest extends SparkTestBase {
  private static final Path DATA = Path.of("/usr/share/datasets/fashion-mnist");

  @Test
  void aSecondQuickstartOnTheSameLakeReusesItsRunsAndReportsTheSameNumbers() {
    assumeTrue(Files.isDirectory(DATA), "apt-get install dataset-fashion-mnist");
    spark.sparkContext().setLogLevel("WARN");
    String lake = tempDir.resolve("quickstart").toString();

    QuickstartJob.Summary first = QuickstartJob.run(spark, lake, DATA.toString(), "tiny", true);
    Map<String, Long> rowsAfterFirst = rowCounts(lake);
    QuickstartJob.Summary second = QuickstartJob.run(spark, lake, DATA.toString(), "tiny", true);
    String text = second.text();
    System.out.print(text);

    assertThat(first.noisy().skipped()).isFalse();
    assertThat(first.cleaned()).as("the tiny run flags samples to retrain without").isNotNull();
    assertThat(second.noisy().skipped()).as("the noisy run is reused").isTrue();
    assertThat(second.trueClean().skipped()).isTrue();
    assertThat(second.flat().skipped()).isTrue();
    assertThat(text).contains("trained earlier (already in the lake)");
    for (String kind : new String[] {"noisy", "trueClean", "flat"}) {
      var a = outcome(first, kind);
      var b = outcome(second, kind);
      assertThat(b.steps()).as(kind).isEqualTo(a.steps()).isPositive();
      assertThat(b.trainSize()).as(kind).isEqualTo(a.trainSize());
      assertThat(b.mislabeled()).as(kind).isEqualTo(a.mislabeled());
      assertThat(b.numParams()).as(kind).isEqualTo(a.numParams());
      assertThat(b.diverged()).as(kind).isEqualTo(a.diverged());
      assertThat(b.finalTrainLoss()).as(kind).isNotNull().isEqualTo(a.finalTrainLoss());
      assertThat(b.finalTestAccuracy()).as(kind).isNotNull().isEqualTo(a.finalTestAccuracy());
    }
    assertThat(second.cleaned().finalTestAccuracy())
        .as("the cleaned run is retrained (its exclusion list may change) to the same weights")
        .isEqualTo(first.cleaned().finalTestAccuracy());
    String id = first.noisy().runId();
    assertThat(second.separation().summary(id, LossSeparation.LOSS).toString())
        .isEqualTo(first.separation().summary(id, LossSeparation.LOSS).toString());
    assertThat(rowCounts(lake)).as("no table gained rows").isEqualTo(rowsAfterFirst);
  }

  private static org.sgdlens.record.TrainRun.Outcome outcome(QuickstartJob.Summary s, String kind) {
    return switch (kind) {
      case "noisy" -> s.noisy();
      case "trueClean" -> s.trueClean();
      default -> s.flat();
    };
  }

  private static Map<String, Long> rowCounts(String lake) {
    Map<String, Long> counts = new LinkedHashMap<>();
    for (String table : new String[] {
      Tables.RUNS, Tables.METRICS, Tables.SAMPLE_LOSSES, Tables.GRADIENTS, Tables.WEIGHTS,
      Tables.ORDER_PARAMS, Tables.PHASES, Tables.LOSS_SEPARATION, Tables.CLEANING,
      Tables.VARIANCE_FLATNESS
    }) {
      counts.put(table, LakeTables.read(spark, Path.of(lake).toUri().toString(), table).count());
    }
    return counts;
  }
}
