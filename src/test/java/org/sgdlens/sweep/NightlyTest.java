package org.sgdlens.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;
import org.sgdlens.analysis.LakeTables;
import org.sgdlens.analysis.SparkTestBase;
import org.sgdlens.lake.Tables;

/** The nightly entry: the lock, the exit code on failures, the summary and the bands. */
class NightlyTest extends SparkTestBase {
  /** One tiny synthetic run, no recording beyond metrics, phases only: seconds per night. */
  static final String ONE_RUN =
      """
      name: nightly-tiny
      base:
        dataset: {name: synthetic, synthetic_samples: 256, synthetic_features: 12, synthetic_classes: 3, synthetic_test_samples: 96}
        model: {hidden: [5]}
        sgd: {batch_size: 16, steps: 40, learning_rate: 0.2, seed: 11}
        record.metrics: {every: 10}
        checkpoint_every: 0
      analyses: [phases]
      """;

  private Nightly.Options options(String lake, String yaml, String night, int retries) {
    return new Nightly.Options(
        lake,
        SweepSpec.parse(yaml, "test"),
        Path.of(lake).resolve("_nightly"),
        night,
        retries,
        false,
        true);
  }

  @Test
  void aHeldLockStopsTheNightBeforeAnyWork() throws IOException {
    Path lake = tempDir.resolve("locked");
    Path lockFile = lake.resolve("_nightly/nightly-tiny.lock");
    Files.createDirectories(lockFile.getParent());
    try (FileChannel ch =
            FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock held = ch.lock()) {
      Files.writeString(lockFile, "pid 4242 since yesterday\n");
      Nightly.Result r =
          Nightly.run(
              () -> {
                throw new AssertionError("no Spark session while the lock is held");
              },
              options(lake.toString(), ONE_RUN, "2026-11-27", 0));
      assertThat(r.exitCode()).isEqualTo(Nightly.LOCKED);
      assertThat(r.message())
          .as("names the lock file and its holder")
          .contains(lockFile.toString())
          .contains("pid 4242");
      assertThat(r.sweep()).isNull();
    }
    try (var files = Files.list(lake)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .as("no table was created")
          .containsExactly("_nightly");
    }
    try (var files = Files.list(lake.resolve("_nightly"))) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .as("no log, no summary")
          .containsExactly("nightly-tiny.lock");
    }
  }

  @Test
  void bandsOfEarlierNightsThenASecondNightWithNothingNew() throws IOException {
    String lake = tempDir.resolve("nights").toString();
    // Three earlier nights of the same config (other run ids) with test accuracies 0.01..0.03:
    // band mean +- 3 sd = [-0.01, 0.05], far below what a trained 3-class run reaches.
    String configKey = SweepSpec.parse(ONE_RUN, "t").expand().get(0).configKey();
    List<Row> fake = new ArrayList<>();
    double[] accuracies = {0.01, 0.02, 0.03};
    for (int i = 0; i < 3; i++) {
      String night = "2026-11-2" + i;
      fake.add(
          RowFactory.create(
              "old-" + night,
              "nightly-tiny",
              night,
              configKey,
              "COMMITTED",
              true,
              false,
              accuracies[i],
              null,
              null,
              null,
              new Timestamp(0)));
    }
    LakeTables.write(
        spark.createDataFrame(fake, LakeTables.sparkSchema(Tables.NIGHTLY_SUMMARY)),
        lake,
        Tables.NIGHTLY_SUMMARY);

    Nightly.Result first = Nightly.run(() -> spark, options(lake, ONE_RUN, "2026-11-27", 0));
    assertThat(first.exitCode()).as(first.summaryText()).isZero();
    String runId = first.sweep().runs().get(0).runId();
    assertThat(first.previousNight()).isEqualTo("2026-11-22");
    assertThat(first.newRuns()).hasSize(1);
    assertThat(first.outOfBand())
        .as("accuracy far above the band of the earlier nights")
        .singleElement()
        .asString()
        .contains(runId)
        .contains("final_test_accuracy")
        .contains("mean+-3sd of 3 earlier");
    assertThat(Files.readString(first.summary()))
        .contains("night 2026-11-22")
        .contains("## New runs: 1")
        .contains(runId)
        .contains("## Results outside the bands of earlier nights: 1");
    assertThat(Files.readString(first.log()))
        .as("the log has the progress lines")
        .contains("sweep nightly-tiny: run 1/1 done (ok)")
        .contains("exit code 0");

    Nightly.Result second = Nightly.run(() -> spark, options(lake, ONE_RUN, "2026-11-28", 0));
    assertThat(second.exitCode()).isZero();
    assertThat(second.sweep().trained()).as("nothing to train on the second night").isZero();
    assertThat(second.newRuns()).isEmpty();
    String text = Files.readString(second.summary());
    assertThat(text)
        .contains("night 2026-11-27")
        .contains("## New runs: none")
        .contains("## New failures: none");
    List<Row> history =
        LakeTables.readRaw(spark, lake, Tables.NIGHTLY_SUMMARY)
            .where("run_id = '" + runId + "'")
            .orderBy("night")
            .collectAsList();
    assertThat(history).as("one row per night").hasSize(2);
    assertThat(history.get(0).<Boolean>getAs("new_run")).isTrue();
    assertThat(history.get(0).<String>getAs("out_of_band")).contains("final_test_accuracy");
    assertThat(history.get(1).<Boolean>getAs("new_run")).isFalse();
    assertThat(history.get(1).<Double>getAs("final_test_accuracy"))
        .isEqualTo(history.get(0).<Double>getAs("final_test_accuracy"));
    assertThat(org.sgdlens.ops.ForeignReaders.assertDuckDbReadsLikeSpark(spark, Path.of(lake)))
        .as("tables DuckDB read as Spark does")
        .contains(Tables.NIGHTLY_SUMMARY);
  }

  @Test
  void aRunThatCannotTrainMakesTheNightFail() throws IOException {
    String lake = tempDir.resolve("failing").toString();
    String yaml =
        ONE_RUN
            + """
        variations:
          - {}
          - {dataset: {name: idx, path: /nonexistent/sgdlens-data}}
        """;
    Nightly.Result r = Nightly.run(() -> spark, options(lake, yaml, "2026-11-27", 1));
    assertThat(r.exitCode()).as(r.summaryText()).isEqualTo(Nightly.FAILURES);
    assertThat(r.sweep().failed()).isEqualTo(1);
    Sweeps.RunState bad = r.sweep().runs().get(1);
    assertThat(bad.status()).isEqualTo("FAILED");
    assertThat(bad.attempts()).as("1 + --retries attempts").isEqualTo(2);
    assertThat(bad.message()).contains("/nonexistent/sgdlens-data");
    assertThat(r.sweep().runs().get(0).status())
        .as("the other run still trains")
        .isEqualTo("COMMITTED");
    assertThat(r.newFailures()).hasSize(1);
    String text = Files.readString(r.summary(), StandardCharsets.UTF_8);
    assertThat(text).contains("## New failures: 1").contains(bad.runId()).contains("Exit code: 4");
    assertThat(Files.readString(r.log())).contains("done (failed)");
    Row member =
        LakeTables.readRaw(spark, lake, Tables.SWEEP_RUNS)
            .where("run_id = '" + bad.runId() + "'")
            .first();
    assertThat(member.<String>getAs("status")).isEqualTo("FAILED");
  }
}
