package org.sgdlens.analysis;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.stddev_samp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.mllib.evaluation.BinaryClassificationMetrics;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sgdlens.lake.Tables;
import scala.Tuple2;

/**
 * The single-pass loss separation against the oracles it replaced: Spark MLlib's
 * BinaryClassificationMetrics, one curve per step, and the per-(step, group) statistics query, on
 * random losses with many ties (losses rounded to a coarse grid), several runs and steps.
 */
class SinglePassSeparationTest extends SparkTestBase {
  private static final int WINDOW = 3;
  private static String lake;
  private static LossSeparation.Result result;

  @BeforeAll
  static void buildLake() {
    spark.sparkContext().setLogLevel("WARN");
    lake = lakePath("single-pass");
    SplittableRandom rnd = new SplittableRandom(7);
    List<Row> losses = new ArrayList<>();
    List<Row> runs = new ArrayList<>();
    String[] ids = {"r1", "r2", "r3"};
    int[] sizes = {400, 257, 90};
    for (int k = 0; k < ids.length; k++) {
      int n = sizes[k];
      boolean[] wrong = new boolean[n];
      int nWrong = 0;
      for (int i = 0; i < n; i++) {
        wrong[i] = rnd.nextDouble() < 0.2 + 0.1 * k;
        nWrong += wrong[i] ? 1 : 0;
      }
      runs.add(SyntheticLake.run(ids[k], n, nWrong, 8));
      for (long step = 0; step <= 200; step += 20) {
        for (int i = 0; i < n; i++) {
          double shift = wrong[i] ? step / 200.0 : 0;
          // A grid of 0.25 makes ties frequent within and across the two groups.
          double l = Math.round((rnd.nextDouble() * 2 + shift) * 4) / 4.0;
          losses.add(SyntheticLake.loss(ids[k], step, i, wrong[i], l));
        }
      }
    }
    SyntheticLake.runs(spark, lake, runs.toArray(new Row[0]));
    SyntheticLake.write(spark, lake, Tables.SAMPLE_LOSSES, losses);
    result =
        LossSeparation.run(
            spark, LossSeparation.Options.builder().setLake(lake).optWindow(WINDOW).build());
  }

  /** The MLlib oracle: area under the ROC curve with one threshold per distinct score. */
  private static double mllibAuroc(Dataset<Row> scoreAndLabel) {
    JavaRDD<Tuple2<Object, Object>> pairs =
        scoreAndLabel
            .javaRDD()
            .map(r -> new Tuple2<Object, Object>(r.getDouble(0), r.getBoolean(1) ? 1.0 : 0.0));
    BinaryClassificationMetrics metrics = new BinaryClassificationMetrics(pairs.rdd());
    try {
      return metrics.areaUnderROC();
    } finally {
      metrics.unpersist();
    }
  }

  @Test
  void aurocOfBothScoresEqualsMllibAtEveryStep() {
    Dataset<Row> scored =
        LossSeparation.scored(
                LakeTables.read(spark, lake, Tables.SAMPLE_LOSSES),
                WINDOW,
                LossSeparation.Options.LOG_FLOOR_DEFAULT)
            .cache();
    assertThat(result.steps()).hasSize(33);
    for (Row row : result.steps()) {
      Dataset<Row> at =
          scored.where(
              col("run_id")
                  .equalTo(row.getAs("run_id"))
                  .and(col("step").equalTo(row.getAs("step"))));
      assertThat(row.<Double>getAs("auroc"))
          .as("%s step %s", row.getAs("run_id"), row.getAs("step"))
          .isCloseTo(mllibAuroc(at.select("loss", "mislabeled")), within(1e-12));
      assertThat(row.<Double>getAs("history_auroc"))
          .isCloseTo(mllibAuroc(at.select("history", "mislabeled")), within(1e-12));
    }
    scored.unpersist();
  }

  private static String levels() {
    return java.util.Arrays.stream(LossSeparation.QUANTILE_LEVELS)
        .mapToObj(Double::toString)
        .collect(java.util.stream.Collectors.joining(", "));
  }

  /** The statistics as the job computed them before, one group per (run, step, class). */
  @Test
  void groupStatisticsEqualThePerGroupQuery() {
    List<Row> oracle =
        LossMixtures.withLogLoss(
                LakeTables.read(spark, lake, Tables.SAMPLE_LOSSES),
                LossSeparation.Options.LOG_FLOOR_DEFAULT)
            .groupBy("run_id", "step", "mislabeled")
            .agg(
                count(lit(1)).as("n"),
                avg("loss").as("mean"),
                stddev_samp("loss").as("std"),
                expr("percentile(loss, array(" + levels() + "))").as("q"),
                avg("log_loss").as("log_mean"),
                stddev_samp("log_loss").as("log_std"))
            .collectAsList();
    assertThat(oracle).hasSize(66);
    for (Row o : oracle) {
      Row row = result.step(o.getAs("run_id"), o.<Long>getAs("step"));
      String g = o.<Boolean>getAs("mislabeled") ? "wrong" : "clean";
      assertThat(row.<Long>getAs("num_" + g)).isEqualTo(o.<Long>getAs("n"));
      assertThat(row.<Double>getAs(g + "_mean")).isCloseTo(o.getAs("mean"), within(1e-12));
      assertThat(row.<Double>getAs(g + "_std")).isCloseTo(o.getAs("std"), within(1e-12));
      assertThat(row.<Double>getAs("log_" + g + "_mean"))
          .isCloseTo(o.getAs("log_mean"), within(1e-12));
      assertThat(row.<Double>getAs("log_" + g + "_std"))
          .isCloseTo(o.getAs("log_std"), within(1e-12));
      List<Double> q = o.getList(o.fieldIndex("q"));
      String[] names = {"q05", "q25", "q50", "q75", "q95"};
      for (int i = 0; i < names.length; i++) {
        assertThat(row.<Double>getAs(g + "_" + names[i])).isCloseTo(q.get(i), within(1e-12));
      }
    }
  }
}
