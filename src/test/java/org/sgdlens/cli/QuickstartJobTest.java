package org.sgdlens.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.sgdlens.analysis.LakeTables;
import org.sgdlens.analysis.LossSeparation;
import org.sgdlens.analysis.SparkTestBase;
import org.sgdlens.lake.Tables;
import org.sgdlens.ops.ForeignReaders;
import org.sgdlens.record.TrainRun;
import org.sgdlens.report.Report;

/**
 * The README's main command on its tiny scale, twice on one lake: the second time the training runs
 * are already committed and are reused (not retrained, not duplicated), the analyses run again over
 * the same data, and the summary reports the same headline numbers. DuckDB then reads every table
 * of the lake as Spark does.
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
    Map<String, Function<QuickstartJob.Summary, TrainRun.Outcome>> reused =
        Map.of(
            "noisy",
            QuickstartJob.Summary::noisy,
            "trueClean",
            QuickstartJob.Summary::trueClean,
            "flat",
            QuickstartJob.Summary::flat);
    for (var run : reused.entrySet()) {
      String kind = run.getKey();
      TrainRun.Outcome a = run.getValue().apply(first);
      TrainRun.Outcome b = run.getValue().apply(second);
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
    Row was = first.separation().summary(id, LossSeparation.LOSS);
    Row now = second.separation().summary(id, LossSeparation.LOSS);
    for (int i = 0; i < was.size(); i++) {
      // Spark adds partial results in the order tasks finish: doubles may differ in the last bits.
      if (was.get(i) instanceof Double d) {
        assertThat(now.getDouble(i))
            .as(was.schema().fields()[i].name())
            .isCloseTo(d, within(1e-12));
      } else {
        assertThat(now.get(i)).as(was.schema().fields()[i].name()).isEqualTo(was.get(i));
      }
    }
    assertThat(rowCounts(lake)).as("no table gained rows").isEqualTo(rowsAfterFirst);

    Report.Result report =
        Report.run(
            spark,
            new Report.Options(
                Path.of(lake).toUri().toString(),
                second.reportRuns(),
                null,
                false,
                List.of(),
                tempDir.resolve("reports").toString()),
            line -> {});
    // The curvature and duality jobs are not part of the quickstart (docs/curvature.md has their
    // own runs).
    List<String> notInQuickstart =
        List.of(Report.CURVATURE_SECTION, Report.NOISE_CURVATURE_SECTION, Report.DUALITY_SECTION);
    assertThat(report.omitted())
        .as(
            "the quickstart's report (%s) leaves out no analysis the quickstart runs",
            second.reportRuns())
        .containsExactlyElementsOf(notInQuickstart);
    assertThat(report.rendered())
        .containsExactlyElementsOf(
            Report.RUN_SECTIONS.stream().filter(s -> !notInQuickstart.contains(s)).toList());

    List<String> checked = ForeignReaders.assertDuckDbReadsLikeSpark(spark, Path.of(lake));
    System.out.println("DuckDB read every table as Spark does: " + checked);
    assertThat(checked)
        .contains(
            Tables.RUNS,
            Tables.WEIGHTS,
            Tables.GRADIENTS,
            Tables.SAMPLE_LOSSES,
            Tables.METRICS,
            Tables.ORDER_PARAMS,
            Tables.PHASES,
            Tables.LOSS_SEPARATION,
            Tables.CLEANING,
            Tables.VARIANCE_FLATNESS);
  }

  private static Map<String, Long> rowCounts(String lake) {
    Map<String, Long> counts = new LinkedHashMap<>();
    for (String table :
        new String[] {
          Tables.RUNS,
          Tables.METRICS,
          Tables.SAMPLE_LOSSES,
          Tables.GRADIENTS,
          Tables.WEIGHTS,
          Tables.ORDER_PARAMS,
          Tables.PHASES,
          Tables.LOSS_SEPARATION,
          Tables.CLEANING,
          Tables.VARIANCE_FLATNESS
        }) {
      counts.put(table, LakeTables.read(spark, Path.of(lake).toUri().toString(), table).count());
    }
    return counts;
  }
}
