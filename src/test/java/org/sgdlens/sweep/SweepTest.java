package org.sgdlens.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.sgdlens.analysis.LakeTables;
import org.sgdlens.analysis.SparkTestBase;
import org.sgdlens.lake.Tables;

/**
 * A two-run sweep on the tiny synthetic config, every analysis, run twice: the second run trains
 * nothing, analyses nothing and leaves every file of the lake as it was.
 */
class SweepTest extends SparkTestBase {
  static SweepSpec tiny(String extra) {
    try (var in = SweepTest.class.getResourceAsStream("/sweeps/tiny.yaml")) {
      return SweepSpec.parse(
          new String(in.readAllBytes(), StandardCharsets.UTF_8) + extra, "tiny.yaml");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every file and folder under the lake with its size and modification time. */
  static Map<String, String> listing(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
        out.put(
            root.relativize(p).toString(),
            (a.isDirectory() ? "dir " : a.size() + " bytes ") + a.lastModifiedTime().toMillis());
      }
    }
    return out;
  }

  /** The label-noise analyses (the flatness ones are in the slow test below). */
  @Test
  void secondRunOfASweepDoesNoWorkAndChangesNoTable() throws IOException {
    runTwice("fast", tiny("analyses: [order_params, phases, loss_separation, cleaning]\n"));
  }

  /** Every analysis, trajectory PCA, landscape (DJL in tasks) and variance-flatness included. */
  @Test
  @Tag("slow")
  void secondRunWithEveryAnalysisDoesNoWork() throws IOException {
    runTwice("full", tiny(""));
  }

  private void runTwice(String name, SweepSpec spec) throws IOException {
    Path lakeDir = tempDir.resolve(name);
    String lake = lakeDir.toString();
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
    List<SweepSpec.Planned> planned = spec.expand();

    Sweeps.Result first = Sweeps.run(spark, new Sweeps.Options(lake, spec, null, 1, true, out));
    String progress = log.toString(StandardCharsets.UTF_8);
    assertThat(first.failed()).as("failures: %s", first.text()).isZero();
    assertThat(first.analysisFailures()).as("analysis failures").isEmpty();
    assertThat(first.trained()).as("both runs trained").isEqualTo(2);
    assertThat(first.skipped()).isZero();
    assertThat(progress)
        .as("progress lines")
        .contains("sweep tiny: run 1/2 done (ok)")
        .contains("sweep tiny: run 2/2 done (ok)");
    for (Analysis a : spec.analyses()) {
      assertThat(first.analysed().get(a.id())).as("%s ran on both runs", a.id()).isEqualTo(2);
    }
    // Runs are committed under their planned ids.
    List<Row> runs = LakeTables.read(spark, lake, Tables.RUNS).collectAsList();
    assertThat(runs.stream().map(r -> r.<String>getAs("run_id")))
        .containsExactlyInAnyOrderElementsOf(
            planned.stream().map(SweepSpec.Planned::runId).toList());

    // sweep_runs: membership with the varied keys; sweep_summary: the runs' own numbers.
    List<Row> members = LakeTables.readRaw(spark, lake, Tables.SWEEP_RUNS).collectAsList();
    assertThat(members)
        .hasSize(2)
        .allSatisfy(
            r -> {
              assertThat(r.<String>getAs("sweep")).isEqualTo("tiny");
              assertThat(r.<String>getAs("status")).isEqualTo("COMMITTED");
              assertThat(r.<String>getAs("varied_json")).matches("\\{\"sgd.seed\":1[12]\\}");
              assertThat(r.<String>getAs("analyses"))
                  .as("every analysis recorded")
                  .isEqualTo(
                      String.join(
                          ",", spec.analyses().stream().map(Analysis::id).sorted().toList()));
            });
    Map<String, Row> summary = new TreeMap<>();
    LakeTables.readRaw(spark, lake, Tables.SWEEP_SUMMARY)
        .collectAsList()
        .forEach(r -> summary.put(r.getAs("run_id"), r));
    assertThat(summary).hasSize(2);
    for (Row run : runs) {
      Row s = summary.get(run.<String>getAs("run_id"));
      assertThat(s.<Double>getAs("final_test_accuracy"))
          .as("summary copies runs")
          .isEqualTo(run.<Double>getAs("final_test_accuracy"));
      assertThat(s.<Double>getAs("learning_rate")).isEqualTo(0.2);
      Row sep =
          LakeTables.read(spark, lake, Tables.SEPARATION_SUMMARY)
              .where("run_id = '" + run.getAs("run_id") + "' AND score = 'loss'")
              .first();
      assertThat(s.<Long>getAs("t_sep")).isEqualTo(sep.<Long>getAs("t_sep"));
      assertThat(s.<Double>getAs("max_auroc")).isEqualTo(sep.<Double>getAs("max_auroc"));
      if (spec.analyses().contains(Analysis.VARIANCE_FLATNESS)) {
        Row vf =
            LakeTables.read(spark, lake, Tables.VARIANCE_FLATNESS)
                .where("run_id = '" + run.getAs("run_id") + "'")
                .first();
        assertThat(s.<Double>getAs("psi"))
            .as("psi from variance_flatness")
            .isEqualTo(vf.<Double>getAs("psi"));
      } else {
        assertThat(s.<Double>getAs("psi")).as("no variance_flatness, no psi").isNull();
      }
    }

    Map<String, String> before = listing(lakeDir);
    Sweeps.Result second = Sweeps.run(spark, new Sweeps.Options(lake, spec, null, 1, true, out));
    assertThat(second.trained()).as("nothing trained").isZero();
    assertThat(second.skipped()).isEqualTo(2);
    assertThat(second.analysedRuns()).as("nothing analysed: %s", second.analysed()).isZero();
    assertThat(second.tablesWritten()).as("no table written").isEmpty();
    assertThat(second.ok()).isTrue();
    assertThat(listing(lakeDir)).as("every file, size and mtime unchanged").isEqualTo(before);
    assertThat(log.toString(StandardCharsets.UTF_8)).contains("run 2/2 done (skipped)");
    System.out.print(log.toString(StandardCharsets.UTF_8));
    assertThat(org.sgdlens.ops.ForeignReaders.assertDuckDbReadsLikeSpark(spark, lakeDir))
        .as("tables DuckDB read as Spark does")
        .contains(Tables.SWEEP_RUNS, Tables.SWEEP_SUMMARY);
  }
}
