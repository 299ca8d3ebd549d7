package org.sgdlens.analysis;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sgdlens.cli.CliAccess;
import org.sgdlens.lake.Tables;

class CleanJobTest extends SparkTestBase {
  private static String lake;
  private static PhaseLake data;

  @BeforeAll
  static void buildLake() {
    spark.sparkContext().setLogLevel("WARN");
    lake = lakePath("clean");
    data = new PhaseLake().write(spark, lake);
    // t_sep as the loss-separation job finds it on this lake (LossSeparationJobTest checks that).
    SyntheticLake.write(
        spark,
        lake,
        Tables.SEPARATION_SUMMARY,
        List.of(
            RowFactory.create(
                "noisy", "loss", 1, 140L, 0.99, 5.0, 140L, 5.0, "II", "II", true, true, null)));
  }

  /** Brute force: top k by score (ties by index), then true positives. */
  private static List<Integer> topK(double[] score, long k) {
    return IntStream.range(0, score.length)
        .boxed()
        .sorted(Comparator.<Integer>comparingDouble(i -> -score[i]).thenComparing(i -> i))
        .limit(k)
        .sorted()
        .toList();
  }

  private static void assertScores(Row s, List<Integer> flagged) {
    long tp = flagged.stream().filter(i -> data.mislabeled[i]).count();
    double precision = tp / (double) flagged.size();
    double recall = tp / 200.0;
    assertThat(s.<Long>getAs("true_positives")).as("true positives").isEqualTo(tp);
    assertThat(s.<Double>getAs("precision")).as("precision").isCloseTo(precision, within(1e-12));
    assertThat(s.<Double>getAs("recall")).as("recall").isCloseTo(recall, within(1e-12));
    assertThat(s.<Double>getAs("f1"))
        .as("F1")
        .isCloseTo(2 * precision * recall / (precision + recall), within(1e-12));
    assertThat(s.<Double>getAs("true_rho")).as("true rho").isEqualTo(0.2);
  }

  private static List<Integer> exported(String path) throws Exception {
    List<Integer> out = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(java.net.URI.create(path)))) {
      out.add(Integer.parseInt(line));
    }
    return out;
  }

  @Test
  void defaultCleansAtTSepWithTheMixtureEstimateOfRho() throws Exception {
    Cleaning.Result r = Cleaning.run(spark, Cleaning.Options.defaults(lake, List.of("noisy")));
    Row s = r.summary("noisy");
    assertThat(s.<Long>getAs("step")).as("t_sep").isEqualTo(140);
    assertThat(s.<String>getAs("fraction_rule")).isEqualTo("mixture");
    assertThat(s.<Double>getAs("estimated_rho")).as("label-free rho").isCloseTo(0.2, within(0.02));
    long k = s.getAs("num_flagged");
    assertThat(k)
        .as("k = round(rho_hat N)")
        .isEqualTo(Math.round(s.<Double>getAs("estimated_rho") * PhaseLake.NOISY_N));
    List<Integer> expected = topK(data.losses.get("noisy").get(140L), k);
    assertScores(s, expected);
    assertThat(s.<Double>getAs("f1")).as("well separated losses clean well").isGreaterThan(0.95);
    String path = s.getAs("export_path");
    assertThat(path).as("default export path").endsWith("/_exports/noisy-flagged.txt");
    assertThat(exported(path)).as("exported indices").isEqualTo(expected);
    List<Row> table =
        LakeTables.read(spark, lake, Tables.FLAGGED_SAMPLES)
            .where(col("run_id").equalTo("noisy"))
            .collectAsList();
    assertThat(table).as("every scored sample").hasSize(PhaseLake.NOISY_N);
    assertThat(table)
        .as("posterior of flagged samples is high")
        .filteredOn(x -> x.<Boolean>getAs("flagged"))
        .allSatisfy(x -> assertThat(x.<Double>getAs("posterior_wrong")).isGreaterThan(0.2));
  }

  @Test
  void givenStepFractionHistoryScoreAndExportPath() throws Exception {
    String export = tempDir.resolve("out/flagged-200.txt").toUri().toString();
    int code =
        CliAccess.run(
            "clean",
            "--lake",
            lake,
            "--run",
            "noisy",
            "--step",
            "200",
            "--fraction",
            "0.25",
            "--score",
            "history",
            "--window",
            "5",
            "--export",
            export);
    assertThat(code).isZero();
    Row s =
        LakeTables.read(spark, lake, Tables.CLEANING).where(col("run_id").equalTo("noisy")).first();
    assertThat(s.<Long>getAs("num_flagged")).as("25% of 1000").isEqualTo(250);
    assertThat(s.<String>getAs("step_rule")).isEqualTo("given");
    double[] h = new double[PhaseLake.NOISY_N];
    for (long t = 160; t <= 200; t += 10) {
      double[] l = data.losses.get("noisy").get(t);
      for (int i = 0; i < h.length; i++) {
        h[i] += l[i] / 5;
      }
    }
    List<Integer> expected = topK(h, 250);
    assertScores(s, expected);
    assertThat(exported(export)).as("export file").isEqualTo(expected);
  }

  @Test
  void labelFreeStepFallsInPhaseTwo() {
    Cleaning.Options d = Cleaning.Options.defaults(lake, List.of("noisy"));
    Cleaning.Result r =
        Cleaning.run(
            spark,
            new Cleaning.Options(
                lake,
                d.runs(),
                Cleaning.StepRule.LABEL_FREE,
                null,
                "loss",
                5,
                null,
                null,
                d.logFloor(),
                d.mixtureMaxSamples()));
    assertThat(r.summary("noisy").<Long>getAs("step"))
        .as("label-free separation peak")
        .isBetween(40L, 150L);
  }

  @Test
  void runWithoutLabelNoiseIsAClearError() {
    assertThatThrownBy(() -> Cleaning.run(spark, Cleaning.Options.defaults(lake, List.of("clean"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'clean'")
        .hasMessageContaining("without label noise")
        .hasMessageContaining("pick a run trained with label noise");
    assertThatThrownBy(
            () -> CliAccess.run("clean", "--lake", lake, "--run", "noisy", "--step", "7"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("step 7")
        .hasMessageContaining("from 0 to 290");
    assertThatThrownBy(
            () -> CliAccess.run("clean", "--lake", lake, "--step", "10", "--at", "t-sep"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not both");
  }
}
