package org.sgdlens.analysis;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sgdlens.kernel.FlatnessSearch;
import org.sgdlens.lake.Tables;

class LandscapeTest extends SparkTestBase {
  private static final int P = 30;
  private static final int K = 10;
  private static final double L0 = 0.05;
  private static String lake;
  private static float[] origin;
  private static double[] curvature;

  @BeforeAll
  static void writeTrajectoryAndPca() {
    SplittableRandom random = new SplittableRandom(17);
    int t = 40;
    float[][] snapshots = new float[t][P];
    long[] steps = new long[t];
    for (int s = 0; s < t; s++) {
      steps[s] = s;
      for (int a = 0; a < P; a++) {
        snapshots[s][a] = (float) (random.nextGaussian() * Math.exp(-a / 10.0));
      }
    }
    lake = lakePath("landscape");
    TrajectoryLakes.writeRun(lake, "r", snapshots, steps, 16);
    TrajectoryPca.run(
        spark,
        new TrajectoryPca.Options(
            lake,
            List.of(),
            null,
            null,
            null,
            TrajectoryPca.Method.GRAM,
            5000,
            K,
            64L << 20,
            null));
    origin = snapshots[t - 1];
    curvature = new double[P];
    for (int a = 0; a < P; a++) {
      curvature[a] = Math.exp(random.nextDouble(-3, 4));
    }
  }

  @Test
  void quadraticLossGivesTheClosedFormFlatnessOnEveryDirection() {
    FlatnessSearch.Settings settings = new FlatnessSearch.Settings(Math.E, 1e-3, 2, 1e3, 1e-6);
    QuadraticOracle.OPENED.set(0);
    Landscape.Result result =
        Landscape.run(
            spark,
            new Landscape.Options(
                lake, List.of("r"), Landscape.parseComponents("1-10"), settings, 2),
            (lakeRoot, run) -> QuadraticOracle.factory(origin, curvature, L0));
    assertThat(QuadraticOracle.OPENED.get()).as("one oracle per task (2 tasks)").isEqualTo(2);
    float[][] directions = TrajectoryPcaTest.readDirections(lake, "r", P, K);
    List<Row> rows =
        LakeTables.read(spark, lake, Tables.FLATNESS).orderBy("component").collectAsList();
    assertThat(rows).as("flatness rows").hasSize(K);
    for (Row row : rows) {
      int c = row.getAs("component");
      double h = QuadraticOracle.curvatureAlong(curvature, directions[c - 1]);
      double expected = 2 * Math.sqrt(2 * (Math.E - 1) * L0 / h);
      assertThat(row.<Boolean>getAs("censored")).as("component %d censored", c).isFalse();
      assertThat(row.<Double>getAs("flatness"))
          .as("F_%d vs 2·sqrt(2(e−1)L0/h) with h = pᵀHp = %.4f", c, h)
          .isCloseTo(expected, within(1e-4 * expected));
      assertThat(row.<Double>getAs("l0")).isEqualTo(L0);
    }
    long points =
        LakeTables.read(spark, lake, Tables.LANDSCAPE_PROFILES)
            .where(col("component").equalTo(3))
            .count();
    assertThat(points)
        .as("profile points of component 3 = its evaluations")
        .isEqualTo((long) rows.get(2).<Integer>getAs("evaluations"));
  }

  @Test
  void profilesThatNeverReachTheThresholdAreCensoredNotCapped() {
    // A search range between the smallest and largest half-widths censors the flattest ones.
    double[] halfWidths = new double[K];
    float[][] directions = TrajectoryPcaTest.readDirections(lake, "r", P, K);
    for (int i = 0; i < K; i++) {
      halfWidths[i] =
          Math.sqrt(
              2 * (Math.E - 1) * L0 / QuadraticOracle.curvatureAlong(curvature, directions[i]));
    }
    double[] sorted = java.util.Arrays.stream(halfWidths).sorted().toArray();
    double range = Math.sqrt(sorted[K / 2 - 1] * sorted[K / 2]);
    FlatnessSearch.Settings settings = new FlatnessSearch.Settings(Math.E, 1e-3, 2, range, 1e-5);
    Landscape.Result result =
        Landscape.run(
            spark,
            new Landscape.Options(
                lake, List.of("r"), Landscape.parseComponents("1-10,11-12"), settings, 0),
            (lakeRoot, run) -> QuadraticOracle.factory(origin, curvature, L0));
    assertThat(result.runs().get(0).missing())
        .as("components without direction")
        .containsExactly(11, 12);
    assertThat(result.warnings()).anyMatch(w -> w.contains("--directions"));
    List<Row> rows =
        LakeTables.read(spark, lake, Tables.FLATNESS).orderBy("component").collectAsList();
    int censored = 0;
    for (Row row : rows) {
      int c = row.getAs("component");
      boolean beyond = halfWidths[c - 1] > range;
      assertThat(row.<Boolean>getAs("censored"))
          .as("component %d: half-width %.4g vs range %.4g", c, halfWidths[c - 1], range)
          .isEqualTo(beyond);
      if (beyond) {
        censored++;
        assertThat(row.<String>getAs("censored_side")).isEqualTo("both");
        assertThat(row.isNullAt(row.fieldIndex("flatness")))
            .as("F_%d null, not capped", c)
            .isTrue();
        assertThat(row.isNullAt(row.fieldIndex("theta_right"))).isTrue();
        assertThat(row.<Double>getAs("search_range")).isEqualTo(range);
      } else {
        assertThat(row.<Double>getAs("flatness"))
            .isCloseTo(2 * halfWidths[c - 1], within(1e-4 * halfWidths[c - 1]));
      }
    }
    assertThat(censored).as("some components censored").isPositive();
  }

  @Test
  void badComponentSpecificationsNameTheValue() {
    assertThat(Landscape.parseComponents("3, 1-2,2")).containsExactly(1, 2, 3);
    List<Integer> authors = Landscape.parseComponents("1-1000/10");
    assertThat(authors)
        .as("every 10th up to 1000: the authors' range(0, 1000, 10), 1-based")
        .hasSize(100)
        .startsWith(1, 11, 21)
        .endsWith(981, 991);
    assertThat(Landscape.parseComponents("5-9/2,8")).containsExactly(5, 7, 8, 9);
    assertThatThrownBy(() -> Landscape.parseComponents("5/10"))
        .as("a stride needs a range")
        .hasMessageContaining("'5/10'");
    assertThatThrownBy(() -> Landscape.parseComponents("1-10/0"))
        .hasMessageContaining("'1-10/0'")
        .hasMessageContaining("1-1000/10");
    assertThatThrownBy(() -> Landscape.parseComponents("0-5"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'0-5'");
    assertThatThrownBy(() -> Landscape.parseComponents("a"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1-200");
  }
}
