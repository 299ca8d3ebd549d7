package org.sgdlens.analysis;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.sgdlens.cli.CliAccess;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.Tables;
import org.sgdlens.record.RunConfig;
import org.sgdlens.record.Schedule;
import org.sgdlens.record.TrainRun;

/**
 * The whole chain on real data: a seeded Fashion-MNIST subset (200 per class) with 20% symmetric
 * label noise that an MLP 784-256-10 memorises, then order-params, phases, loss-separation and
 * clean, then a retrain without the flagged samples.
 */
class FashionMnistEndToEndTest extends SparkTestBase {
  private static final Path DATA = Path.of("/usr/share/datasets/fashion-mnist");

  static RunConfig config(String runId) {
    RunConfig c = new RunConfig();
    c.runId = runId;
    c.dataset.path = DATA.toString();
    c.dataset.perClass = 200;
    c.dataset.testSize = 1000;
    c.model.hidden = new java.util.ArrayList<>(List.of(256));
    c.noise.fraction = 0.2;
    c.sgd.learningRate = 0.05;
    c.sgd.batchSize = 32;
    c.sgd.steps = 8000;
    c.sgd.seed = 3;
    c.record.metrics = Schedule.every(200);
    c.record.sampleLosses = Schedule.every(200);
    c.record.gradients = Schedule.every(800);
    c.record.ensembleSize = 8;
    c.checkpointEvery = 0;
    c.device = "cpu";
    return c;
  }

  @Test
  void noisyFashionMnistGoesThroughFourPhasesAndCleaningHelps() throws Exception {
    assumeTrue(Files.isDirectory(DATA), "apt-get install dataset-fashion-mnist");
    spark.sparkContext().setLogLevel("WARN");
    String lakeDir = tempDir.resolve("fm").toString();
    String lake = tempDir.resolve("fm").toUri().toString();
    TrainRun.Outcome baseline = TrainRun.execute(Lake.open(lakeDir), config("noisy"), false, null);
    assertThat(baseline.mislabeled()).as("20% of 2000").isEqualTo(400);

    OrderParams.Result op = OrderParams.run(spark, new OrderParams.Options(lake, List.of()));
    assertThat(op.orderParams()).as("ensembles at 0, 800, ..., 8000").hasSize(11);
    for (Row r : op.orderParams()) {
      assertThat(r.<Double>getAs("alignment"))
          .as("R at %s", (Object) r.getAs("step"))
          .isBetween(-1.0, 1.0);
      assertThat(r.<Double>getAs("ensemble_rho")).as("ensemble noise fraction").isBetween(0.1, 0.3);
    }

    Phases.Result ph = Phases.run(spark, Phases.Options.defaults(lake, List.of()));
    assertThat(ph.phaseNames("noisy", Phases.GROUND_TRUTH))
        .as("ground-truth phases in order")
        .containsExactly("I", "II", "III", "IV");
    assertThat(ph.phaseNames("noisy", Phases.LABEL_FREE))
        .as("label-free phases in order")
        .containsExactly("I", "II", "III", "IV");
    for (Row b : ph.boundaries()) {
      System.out.printf(
          "boundary %s: ground truth %s, label free %s, distance %s%n",
          b.get(1), b.get(2), b.get(3), b.get(4));
      assertThat(Math.abs(b.<Long>getAs("distance_steps")))
          .as("distance at %s", b.get(1))
          .isLessThanOrEqualTo(1000L);
    }

    LossSeparation.Result ls =
        LossSeparation.run(spark, LossSeparation.Options.defaults(lake, List.of()));
    Row sep = ls.summary("noisy", LossSeparation.LOSS);
    System.out.println(
        "separation " + sep + "\nhistory " + ls.summary("noisy", LossSeparation.HISTORY));
    assertThat(sep.<Boolean>getAs("in_phase_ii"))
        .as("t_sep %s in ground-truth phase II", sep.<Long>getAs("t_sep"))
        .isTrue();
    assertThat(sep.<Double>getAs("max_auroc"))
        .as("losses separate the mislabeled samples")
        .isGreaterThan(0.9);

    Cleaning.Result mixture =
        Cleaning.run(spark, Cleaning.Options.defaults(lake, List.of("noisy")));
    Row m = mixture.summary("noisy");
    System.out.println("clean (mixture rho) " + m);
    assertThat(m.<Double>getAs("precision"))
        .as("flagged samples are mostly mislabeled")
        .isGreaterThan(0.8);

    Path export = tempDir.resolve("flagged-0.2.txt");
    assertThat(
            CliAccess.run(
                "clean",
                "--lake",
                lake,
                "--run",
                "noisy",
                "--fraction",
                "0.2",
                "--export",
                export.toString()))
        .isZero();
    Row given =
        LakeTables.read(spark, lake, Tables.CLEANING).where(col("run_id").equalTo("noisy")).first();
    System.out.println("clean (fraction 0.2) " + given);
    assertThat(Files.readAllLines(export)).as("one index per flagged sample").hasSize(400);

    RunConfig retrain = config("cleaned");
    retrain.dataset.excludeSamples = export.toString();
    TrainRun.Outcome cleaned = TrainRun.execute(Lake.open(lakeDir), retrain, false, null);
    // No true-clean oracle run here: nothing asserts on it, and it cost a third of the test's
    // training; QuickstartJobTest trains and checks one (dataset.only_clean).
    System.out.printf(
        "final test accuracy: noisy %.4f, cleaned %.4f (gain %+.4f)%n",
        baseline.finalTestAccuracy(),
        cleaned.finalTestAccuracy(),
        cleaned.finalTestAccuracy() - baseline.finalTestAccuracy());
    assertThat(cleaned.trainSize()).as("flagged samples left out").isEqualTo(1600);
    assertThat(cleaned.finalTestAccuracy())
        .as("retraining without the flagged samples helps")
        .isGreaterThan(baseline.finalTestAccuracy());
  }
}
