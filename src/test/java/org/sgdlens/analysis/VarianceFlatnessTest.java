package org.sgdlens.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.commons.math3.distribution.TDistribution;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;
import org.sgdlens.lake.Tables;

class VarianceFlatnessTest extends SparkTestBase {

  /**
   * Writes the given pca_variances and flatness rows to the lake and runs the job with defaults.
   */
  private VarianceFlatness.Result runOn(String lake, List<Row> variances, List<Row> flatness) {
    LakeTables.write(
        spark.createDataFrame(variances, LakeTables.sparkSchema(Tables.PCA_VARIANCES)),
        lake,
        Tables.PCA_VARIANCES);
    LakeTables.write(
        spark.createDataFrame(flatness, LakeTables.sparkSchema(Tables.FLATNESS)),
        lake,
        Tables.FLATNESS);
    return VarianceFlatness.run(spark, VarianceFlatness.Options.defaults(lake));
  }

  @Test
  void recoversAKnownExponentWithinItsIntervalAndExcludesCensoredComponents() {
    // log σ² = a − ψ log F + ε for log F drawn uniformly; components numbered by descending σ²
    // as a PCA would; component 1 is a drift outlier and every 7th component is censored.
    double psi = 4.0;
    int n = 80;
    SplittableRandom random = new SplittableRandom(8);
    String lake = lakePath("vf");
    double[][] pairs = new double[n - 1][];
    for (int j = 0; j < n - 1; j++) {
      double logF = random.nextDouble(-1, 1);
      pairs[j] = new double[] {logF, -2 - psi * logF + 0.3 * random.nextGaussian()};
    }
    java.util.Arrays.sort(pairs, (a, b) -> Double.compare(b[1], a[1]));
    double[] sigma2 = new double[n + 1];
    double[] f = new double[n + 1];
    sigma2[1] = 10 * Math.exp(pairs[0][1]);
    f[1] = 1.0;
    for (int i = 2; i <= n; i++) {
      sigma2[i] = Math.exp(pairs[i - 2][1]);
      f[i] = Math.exp(pairs[i - 2][0]);
    }
    List<Row> variances = new ArrayList<>();
    List<Row> flatness = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      boolean censored = i % 7 == 0;
      variances.add(
          RowFactory.create(
              "run", "0-99", 0L, 99L, 100, 1000L, i, sigma2[i], 0.0, 0.0, null, "gram", null));
      flatness.add(
          RowFactory.create(
              "run",
              "0-99",
              i,
              censored ? null : -f[i] / 2,
              censored ? null : f[i] / 2,
              censored ? null : f[i],
              censored,
              censored ? "right" : "none",
              0.1,
              Math.E,
              10.0,
              1e-4,
              30,
              null));
    }
    VarianceFlatness.Result result = runOn(lake, variances, flatness);
    Row row = result.rows().get(0);

    // Independent oracle: OLS of log σ² on log F over i = 2..n, censored left out.
    List<double[]> points = new ArrayList<>();
    for (int i = 2; i <= n; i++) {
      if (i % 7 != 0) {
        points.add(new double[] {Math.log(f[i]), Math.log(sigma2[i])});
      }
    }
    double[] fit = ols(points);
    assertThat(row.<Integer>getAs("fit_points")).as("points in the ψ fit").isEqualTo(points.size());
    assertThat(row.<Integer>getAs("censored_excluded"))
        .as("censored components counted")
        .isEqualTo(11);
    assertThat(row.<Double>getAs("psi"))
        .as("ψ vs brute-force OLS")
        .isCloseTo(-fit[0], within(1e-9));
    assertThat(row.<Double>getAs("psi_ci_high") - row.<Double>getAs("psi"))
        .as("CI half-width = t · SE")
        .isCloseTo(
            new TDistribution(points.size() - 2).inverseCumulativeProbability(0.975) * fit[1],
            within(1e-9));
    assertThat(psi)
        .as(
            "true ψ inside the 95%% interval [%s, %s]",
            row.getAs("psi_ci_low"), row.getAs("psi_ci_high"))
        .isBetween(row.<Double>getAs("psi_ci_low"), row.<Double>getAs("psi_ci_high"));
    assertThat(row.<Double>getAs("r2")).as("R²").isGreaterThan(0.9);
    List<double[]> rankPoints = new ArrayList<>();
    for (int i = 20; i <= n; i++) {
      rankPoints.add(new double[] {Math.log(i), Math.log(sigma2[i])});
    }
    assertThat(row.<Double>getAs("gamma"))
        .as("γ vs brute-force OLS on log rank")
        .isCloseTo(-ols(rankPoints)[0], within(1e-9));
    assertThat(row.<Integer>getAs("rank_points")).as("ranks 20..80").isEqualTo(61);
    assertThat(row.<String>getAs("fit_caveat")).as("a strong fit has no caveat").isNull();
    assertThat(row.<Double>getAs("precision_floor")).as("an old lake has no floor").isNull();

    // Components holding 90% of the variance of components 2..n, by brute force.
    double rest = 0;
    for (int i = 2; i <= n; i++) {
      rest += sigma2[i];
    }
    double sum = 0;
    int count = 0;
    for (int i = 2; i <= n && sum < 0.9 * rest; i++) {
      sum += sigma2[i];
      count++;
    }
    assertThat(row.<Integer>getAs("components_holding"))
        .as("components holding 90%%")
        .isEqualTo(count);

    List<Row> stored =
        spark
            .sql("SELECT psi, fit_points FROM parquet.`" + lake + "/variance_flatness`")
            .collectAsList();
    assertThat(stored).as("variance_flatness is queryable with Spark SQL").hasSize(1);
    assertThat(stored.get(0).getDouble(0)).isEqualTo(row.<Double>getAs("psi"));
  }

  @Test
  void gammaStopsAtThePrecisionFloorAndAWeakPsiFitIsFlagged() {
    // σ²_i = 0.01 i^-2 down to i = 40, then variances at the float32 floor (below 100 × floor):
    // the default γ fit must end at 40 and find γ = 2 exactly. Flatness unrelated to σ²: weak ψ.
    double floor = 1e-12;
    int n = 60;
    SplittableRandom random = new SplittableRandom(3);
    List<Row> variances = new ArrayList<>();
    List<Row> flatness = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      double sigma2 = i <= 40 ? 0.01 / ((double) i * i) : 50 * floor * (1 - (i - 40) / 100.0);
      double f = Math.exp(random.nextDouble(-1, 1));
      variances.add(
          RowFactory.create(
              "run", "0-99", 0L, 99L, 100, 1000L, i, sigma2, 0.0, 0.0, null, "gram", floor));
      flatness.add(
          RowFactory.create(
              "run", "0-99", i, -f / 2, f / 2, f, false, "none", 0.1, Math.E, 10.0, 1e-4, 30,
              null));
    }
    VarianceFlatness.Result result = runOn(lakePath("floor"), variances, flatness);
    Row row = result.rows().get(0);
    assertThat(row.<Integer>getAs("rank_to"))
        .as("last component above 100 x the precision floor")
        .isEqualTo(40);
    assertThat(row.<Integer>getAs("rank_points")).as("ranks 20..40").isEqualTo(21);
    assertThat(row.<Double>getAs("gamma")).as("gamma of i^-2").isCloseTo(2.0, within(1e-9));
    assertThat(row.<Double>getAs("precision_floor")).isEqualTo(floor);
    assertThat(row.<String>getAs("fit_caveat")).as("weak psi fit").contains("R^2");
    assertThat(result.warnings())
        .as("the weak fit is warned about")
        .anyMatch(w -> w.contains("'run'") && w.contains("weak psi fit"));
  }

  @Test
  void theCaveatNamesEachReason() {
    assertThat(VarianceFlatness.caveat(2.0, 1.9, 2.1, 0.9)).isNull();
    assertThat(VarianceFlatness.caveat(1.99, 0.68, 3.30, 0.204))
        .isEqualTo("R^2 0.20 < 0.5; CI [0.68, 3.30] wider than psi 1.99 itself");
    assertThat(VarianceFlatness.caveat(3.0, 1.0, 4.5, 0.8))
        .isEqualTo("CI [1.00, 4.50] wider than psi 3.00 itself");
  }

  @Test
  void flatnessOfAnEarlierPcaWindowIsIgnoredWithAWarning() {
    String lake = lakePath("stale");
    List<Row> variances = new ArrayList<>();
    List<Row> flatness = new ArrayList<>();
    for (int i = 1; i <= 10; i++) {
      variances.add(
          RowFactory.create(
              "old", "100-199", 100L, 199L, 100, 1000L, i, 1.0 / i, 0.0, 0.0, null, "gram", null));
      flatness.add(
          RowFactory.create(
              "old",
              "0-99",
              i,
              -0.5 * i,
              0.5 * i,
              (double) i,
              false,
              "none",
              0.1,
              Math.E,
              10.0,
              1e-4,
              30,
              null));
    }
    VarianceFlatness.Result result = runOn(lake, variances, flatness);
    Row row = result.rows().get(0);
    assertThat(row.isNullAt(row.fieldIndex("psi"))).as("no ψ from a stale window").isTrue();
    assertThat(row.<Integer>getAs("missing_excluded")).isEqualTo(9);
    assertThat(result.warnings())
        .anyMatch(w -> w.contains("window 0-99") && w.contains("rerun the landscape"));
  }

  @Test
  void aStridedFitUsesEveryKthComponentFromFitFromAndStoresTheStride() {
    // Flatness on every 10th component (the authors' landscape): σ² = 0.5 F^-4.5 exactly on
    // components 11, 21, ..., 91; component 1 is the drift and other components have no flatness.
    // A stray flatness row at component 15 that breaks the law must be ignored by the stride.
    String lake = lakePath("strided");
    List<Row> variances = new ArrayList<>();
    List<Row> flatness = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(4);
    for (int i = 1; i <= 100; i++) {
      double f = i % 10 == 1 ? Math.exp(-0.02 * i + 0.1 * random.nextDouble()) : 1.0;
      double sigma2 = i % 10 == 1 && i > 1 ? 0.5 * Math.pow(f, -4.5) : 1e-3 / i;
      variances.add(
          RowFactory.create(
              "run", "0-99", 0L, 99L, 100, 1000L, i, sigma2, 0.0, 0.0, null, "mllib", null));
      if (i % 10 == 1 || i == 15) {
        flatness.add(
            RowFactory.create(
                "run",
                "0-99",
                i,
                -f / 2,
                f / 2,
                i == 15 ? 100.0 : f,
                false,
                "none",
                0.1,
                Math.E,
                1000.0,
                0.01,
                30,
                "authors"));
      }
    }
    LakeTables.write(
        spark.createDataFrame(variances, LakeTables.sparkSchema(Tables.PCA_VARIANCES)),
        lake,
        Tables.PCA_VARIANCES);
    LakeTables.write(
        spark.createDataFrame(flatness, LakeTables.sparkSchema(Tables.FLATNESS)),
        lake,
        Tables.FLATNESS);
    Row row =
        VarianceFlatness.run(
                spark,
                VarianceFlatness.Options.builder()
                    .setLake(lake)
                    .optFitFrom(11)
                    .optFitEvery(10)
                    .build())
            .rows()
            .get(0);
    assertThat(row.<Integer>getAs("fit_points")).as("11, 21, ..., 91").isEqualTo(9);
    assertThat(row.<Integer>getAs("fit_to")).as("the last profiled component").isEqualTo(91);
    assertThat(row.<Integer>getAs("missing_excluded")).isZero();
    assertThat(row.<Double>getAs("psi")).isCloseTo(4.5, within(1e-9));
    assertThat(row.<Double>getAs("r2")).isCloseTo(1.0, within(1e-12));
    assertThat(row.<Integer>getAs("fit_every")).isEqualTo(10);

    Row every =
        VarianceFlatness.run(
                spark, VarianceFlatness.Options.builder().setLake(lake).optFitFrom(11).build())
            .rows()
            .get(0);
    assertThat(every.<Integer>getAs("fit_points"))
        .as("without the stride the stray component 15 enters")
        .isEqualTo(10);
    assertThat(every.<Integer>getAs("missing_excluded"))
        .as("and the gaps are counted")
        .isEqualTo(71);
    assertThat(every.<Integer>getAs("fit_every")).isEqualTo(1);
  }

  /** Slope and its standard error by the textbook formulas. */
  private static double[] ols(List<double[]> points) {
    int n = points.size();
    double mx = 0;
    double my = 0;
    for (double[] p : points) {
      mx += p[0] / n;
      my += p[1] / n;
    }
    double sxx = 0;
    double sxy = 0;
    double syy = 0;
    for (double[] p : points) {
      sxx += (p[0] - mx) * (p[0] - mx);
      sxy += (p[0] - mx) * (p[1] - my);
      syy += (p[1] - my) * (p[1] - my);
    }
    double slope = sxy / sxx;
    double se = Math.sqrt((syy - slope * sxy) / (n - 2) / sxx);
    return new double[] {slope, se};
  }
}
