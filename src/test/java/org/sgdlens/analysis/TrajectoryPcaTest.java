package org.sgdlens.analysis;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.QRDecomposition;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sgdlens.analysis.TrajectoryPca.Method;
import org.sgdlens.lake.Tables;
import org.sgdlens.lake.VectorChunks;

class TrajectoryPcaTest extends SparkTestBase {
  // OU in a quadratic bowl: w ← w − η H w + η ξ, ξ ~ N(0, I), H = Q diag(h) Qᵀ.
  private static final double ETA = 0.4;
  private static final double[] H = new double[10];
  private static final int OU_STRIDE = 2500;
  private static final int OU_T = 600;
  private static double[][] ouBasis;
  private static String ouLake;
  private static float[] ouLast;

  static {
    for (int k = 0; k < H.length; k++) {
      H[k] = 0.002 * Math.pow(2, k);
    }
  }

  @BeforeAll
  static void writeOuLake() {
    SplittableRandom random = new SplittableRandom(2026);
    int p = H.length;
    ouBasis = randomOrthogonal(p, random);
    double[] z = new double[p];
    float[][] snapshots = new float[OU_T][p];
    long[] steps = new long[OU_T];
    int burnIn = (int) (20 / (ETA * H[0]));
    for (int step = 0, s = 0; s < OU_T; step++) {
      for (int k = 0; k < p; k++) {
        z[k] = (1 - ETA * H[k]) * z[k] + ETA * random.nextGaussian();
      }
      if (step >= burnIn && (step - burnIn) % OU_STRIDE == 0) {
        for (int a = 0; a < p; a++) {
          double w = 0.1 * (a - 5); // a non-zero mean the PCA must remove
          for (int k = 0; k < p; k++) {
            w += ouBasis[a][k] * z[k];
          }
          snapshots[s][a] = (float) w;
        }
        steps[s] = step;
        s++;
      }
    }
    ouLast = snapshots[OU_T - 1];
    ouLake = lakePath("ou");
    TrajectoryLakes.writeRun(ouLake, "ou", snapshots, steps, 4); // chunks of 4, 4 and 2
  }

  @Test
  void ornsteinUhlenbeckBowlGivesKnownVariancesAndDirectionsByBothMethods() {
    for (Method method : List.of(Method.GRAM, Method.MLLIB)) {
      TrajectoryPca.Result result =
          TrajectoryPca.run(spark, TrajectoryPca.Options.defaults(ouLake).withMethod(method));
      TrajectoryPca.RunResult run = result.runs().get(0);
      assertThat(run.method()).as("method used").isEqualTo(method);
      assertThat(run.snapshots()).as("T").isEqualTo(OU_T);
      assertThat(run.params()).as("P").isEqualTo(H.length);
      float[][] directions = readDirections(ouLake, "ou", H.length, H.length);
      for (int k = 0; k < H.length; k++) {
        double known = ETA / (H[k] * (2 - ETA * H[k]));
        double phi = Math.pow(1 - ETA * H[k], OU_STRIDE);
        double relativeError = Math.sqrt(2.0 / OU_T * (1 + phi * phi) / (1 - phi * phi));
        assertThat(run.variances()[k] / known)
            .as("%s: variance %d / OU stationary variance %.4f", method, k, known)
            .isCloseTo(1.0, within(4 * relativeError));
        double[] expected = new double[H.length];
        for (int a = 0; a < H.length; a++) {
          expected[a] = ouBasis[a][k];
        }
        // Perturbation theory: angle ≈ err · sqrt(λ_k λ_j)/|λ_k − λ_j| for the worst neighbour j.
        double worst = 0;
        for (int j = 0; j < H.length; j++) {
          if (j != k) {
            double other = ETA / (H[j] * (2 - ETA * H[j]));
            worst = Math.max(worst, Math.sqrt(known * other) / Math.abs(known - other));
          }
        }
        double bound = Math.cos(Math.min(Math.PI / 2, 4 * relativeError * worst));
        assertThat(Math.abs(cosine(directions[k], expected)))
            .as("%s: |cos| of direction %d with the Hessian eigenvector", method, k)
            .isGreaterThan(bound);
      }
      List<Row> variances =
          LakeTables.read(spark, ouLake, Tables.PCA_VARIANCES).orderBy("component").collectAsList();
      assertThat(variances).as("one row per component").hasSize(H.length);
      assertThat(variances.get(0).<String>getAs("method")).isEqualTo(method.label());
      assertThat(variances.get(H.length - 1).<Double>getAs("cumulative_ratio"))
          .as("cumulative ratio ends at 1 (full rank P < T)")
          .isCloseTo(1.0, within(1e-9));
      double floor = 0;
      for (float w : ouLast) {
        floor += (double) Math.ulp(w) * Math.ulp(w) / 12;
      }
      floor /= ouLast.length;
      assertThat(variances.get(0).<Double>getAs("precision_floor"))
          .as("float32 rounding variance of the last snapshot, mean ulp^2/12")
          .isCloseTo(floor, within(1e-12 * floor));
    }
  }

  @Test
  void mllibAndGramAgreeOnTheSameWindow() {
    SplittableRandom random = new SplittableRandom(99);
    int p = 300;
    int t = 60;
    double[][] basis = new double[12][p];
    for (double[] b : basis) {
      for (int k = 0; k < p; k++) {
        b[k] = random.nextGaussian();
      }
    }
    float[][] snapshots = new float[t][p];
    long[] steps = new long[t];
    for (int s = 0; s < t; s++) {
      steps[s] = 1000 + 10L * s;
      double[] a = new double[basis.length];
      for (int c = 0; c < a.length; c++) {
        a[c] = random.nextGaussian() * Math.pow(0.7, c);
      }
      for (int k = 0; k < p; k++) {
        double w = 0.3 + 0.001 * s; // drift
        for (int c = 0; c < a.length; c++) {
          w += a[c] * basis[c][k];
        }
        snapshots[s][k] = (float) (w + 0.05 * random.nextGaussian());
      }
    }
    String lake = lakePath("agree");
    TrajectoryLakes.writeRun(lake, "agree", snapshots, steps, 128);
    int k = 20;
    TrajectoryPca.Options base =
        new TrajectoryPca.Options(
            lake,
            List.of("agree"),
            null,
            null,
            null,
            Method.GRAM,
            5000,
            k,
            t * 4L * 50,
            null); // blocks of 50 floats: chunks are split across tasks
    TrajectoryPca.RunResult gram = TrajectoryPca.run(spark, base).runs().get(0);
    float[][] gramDirections = readDirections(lake, "agree", p, k);
    TrajectoryPca.RunResult mllib =
        TrajectoryPca.run(spark, base.withMethod(Method.MLLIB)).runs().get(0);
    float[][] mllibDirections = readDirections(lake, "agree", p, k);

    assertThat(gram.blocks())
        .as("Gram tasks: chunks of 128, 128, 44 floats in blocks of ≤ 50")
        .isEqualTo(7);
    assertThat(gram.variances()).as("rank T-1").hasSize(t - 1);
    assertThat(mllib.variances()).hasSize(t - 1);
    assertThat(mllib.totalVariance())
        .as("total variance")
        .isCloseTo(gram.totalVariance(), within(1e-9 * gram.totalVariance()));
    for (int i = 0; i < t - 1; i++) {
      assertThat(mllib.variances()[i])
          .as("variance %d: MLlib vs Gram", i)
          .isCloseTo(gram.variances()[i], within(1e-6 * gram.variances()[i]));
    }
    for (int i = 0; i < k; i++) {
      assertThat(Math.abs(cosine(gramDirections[i], toDouble(mllibDirections[i]))))
          .as("|cos| direction %d MLlib vs Gram", i)
          .isGreaterThan(0.9999);
      assertThat(cosine(gramDirections[i], toDouble(mllibDirections[i])))
          .as("direction %d has the same time-trend sign in both methods", i)
          .isPositive();
    }
    // Auto picks by size and says so.
    TrajectoryPca.Options small =
        new TrajectoryPca.Options(
            lake, List.of("agree"), null, null, null, Method.AUTO, 299, 0, 64L << 20, null);
    assertThat(TrajectoryPca.run(spark, small).runs().get(0).method())
        .as("auto with P=300 above the threshold 299")
        .isEqualTo(Method.GRAM);
  }

  @Test
  void leadingComponentsOnlyEqualTheFullDecompositionsFirstK() {
    SplittableRandom random = new SplittableRandom(41);
    int p = 300;
    int t = 80;
    float[][] snapshots = new float[t][p];
    long[] steps = new long[t];
    double[][] basis = new double[30][p];
    for (double[] b : basis) {
      for (int q = 0; q < p; q++) {
        b[q] = random.nextGaussian();
      }
    }
    for (int s = 0; s < t; s++) {
      steps[s] = 100L * s;
      double[] score = new double[basis.length];
      for (int c = 0; c < basis.length; c++) {
        score[c] = random.nextGaussian() * Math.pow(0.85, c);
      }
      for (int q = 0; q < p; q++) {
        double w = 0.2 - 0.002 * s;
        for (int c = 0; c < basis.length; c++) {
          w += basis[c][q] * score[c];
        }
        snapshots[s][q] = (float) (w + 0.02 * random.nextGaussian());
      }
    }
    String lake = lakePath("leading");
    TrajectoryLakes.writeRun(lake, "lead", snapshots, steps, 128);
    LakeTables.write(
        spark.createDataFrame(List.of(), LakeTables.sparkSchema(Tables.FLATNESS)),
        lake,
        Tables.FLATNESS);
    // k = 12 ≤ T/4: the Gram method takes the dsyevr route, not a truncated dsyevd.
    int k = 12;
    assertThat(k * org.sgdlens.kernel.SymmetricEigen.PARTIAL_MIN_RATIO).isLessThanOrEqualTo(t);
    for (Method method : List.of(Method.GRAM, Method.MLLIB)) {
      TrajectoryPca.Options full =
          TrajectoryPca.Options.defaults(lake).withMethod(method).withRuns(List.of("lead"));
      TrajectoryPca.RunResult all = TrajectoryPca.run(spark, full).runs().get(0);
      List<Row> allRows = variances(lake);
      float[][] allDirections = readDirections(lake, "lead", p, k);
      VarianceFlatness.Result allFit =
          VarianceFlatness.run(spark, VarianceFlatness.Options.defaults(lake));
      int holding = allFit.rows().get(0).getAs("components_holding");

      TrajectoryPca.RunResult top = TrajectoryPca.run(spark, full.withComponents(k)).runs().get(0);
      List<Row> topRows = variances(lake);
      float[][] topDirections = readDirections(lake, "lead", p, k);
      assertThat(all.variances()).as("%s: full rank T-1", method).hasSize(t - 1);
      assertThat(top.variances()).as("%s: --components %d", method, k).hasSize(k);
      assertThat(topRows).as("%s: rows stored with --components %d", method, k).hasSize(k);
      assertThat(top.directionsWritten()).as("directions capped by components").isEqualTo(k);
      assertThat(top.totalVariance())
          .as("%s: total variance (the trace) needs no eigenvalue", method)
          .isCloseTo(all.totalVariance(), within(1e-12 * all.totalVariance()));
      for (int i = 0; i < k; i++) {
        for (String column :
            List.of("variance", "explained_ratio", "cumulative_ratio", "precision_floor")) {
          double expected = allRows.get(i).getAs(column);
          assertThat(topRows.get(i).<Double>getAs(column))
              .as("%s: %s of component %d, leading-k vs full", method, column, i + 1)
              .isCloseTo(expected, within(1e-10 * Math.abs(expected)));
        }
        if (i > 0) {
          double expected = allRows.get(i).getAs("cumulative_ratio_excl_first");
          assertThat(topRows.get(i).<Double>getAs("cumulative_ratio_excl_first"))
              .as("%s: cumulative_ratio_excl_first %d", method, i + 1)
              .isCloseTo(expected, within(1e-10 * expected));
        }
        assertThat(cosine(topDirections[i], toDouble(allDirections[i])))
            .as("%s: direction %d, same sign, leading-k vs full", method, i + 1)
            .isGreaterThan(1 - 1e-9);
      }

      // variance-flatness on a window with only its leading components: the same total, and
      // components_holding exact when they reach the fraction, a flagged lower bound when not.
      VarianceFlatness.Result topFit =
          VarianceFlatness.run(spark, VarianceFlatness.Options.defaults(lake));
      Row a = allFit.rows().get(0);
      Row b = topFit.rows().get(0);
      assertThat(b.<Double>getAs("total_variance"))
          .as("%s: variance-flatness total from the trace", method)
          .isCloseTo(a.<Double>getAs("total_variance"), within(1e-12 * all.totalVariance()));
      assertThat(holding).as("the fixture spreads 90%% over several components").isBetween(3, k);
      TrajectoryPca.run(spark, full.withComponents(holding + 1));
      VarianceFlatness.Result enough =
          VarianceFlatness.run(spark, VarianceFlatness.Options.defaults(lake));
      assertThat(enough.rows().get(0).<Integer>getAs("components_holding"))
          .as("%s: components 1..%d reach the fraction", method, holding + 1)
          .isEqualTo(holding);
      assertThat(enough.warnings()).noneMatch(w -> w.contains("lower bound"));
      TrajectoryPca.run(spark, full.withComponents(holding));
      VarianceFlatness.Result shortOf =
          VarianceFlatness.run(spark, VarianceFlatness.Options.defaults(lake));
      assertThat(shortOf.rows().get(0).<Integer>getAs("components_holding"))
          .as("%s: components 2..%d fall short, all counted", method, holding)
          .isEqualTo(holding - 1);
      assertThat(shortOf.warnings())
          .anyMatch(
              w ->
                  w.contains("'lead'")
                      && w.contains("components 1.." + holding)
                      && w.contains("lower bound"));
    }
    assertThatThrownBy(() -> TrajectoryPca.Options.defaults(lake).withComponents(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--components -1");
  }

  private static List<Row> variances(String lake) {
    return LakeTables.read(spark, lake, Tables.PCA_VARIANCES)
        .where(col("run_id").equalTo("lead"))
        .orderBy("component")
        .collectAsList();
  }

  @Test
  void windowOptionsSelectStepsAndIncompleteSnapshotsAreSkipped() {
    SplittableRandom random = new SplittableRandom(5);
    int p = 20;
    int t = 30;
    float[][] snapshots = new float[t][p];
    long[] steps = new long[t];
    for (int s = 0; s < t; s++) {
      steps[s] = s * 100L;
      for (int k = 0; k < p; k++) {
        snapshots[s][k] = (float) random.nextGaussian();
      }
    }
    String lake = lakePath("window");
    double[] accuracy = new double[t];
    for (int s = 0; s < t; s++) {
      accuracy[s] = s == 25 ? 0.98 : Math.min(0.999, 0.5 + s / 20.0); // dips below 0.99 at 25
    }
    TrajectoryLakes.writeRun(lake, "w", snapshots, steps, 8, accuracy);
    TrajectoryPca.Options last =
        new TrajectoryPca.Options(
            lake, List.of("w", "nope"), null, null, 1000L, Method.GRAM, 5000, 3, 64L << 20, null);
    TrajectoryPca.Result result = TrajectoryPca.run(spark, last);
    TrajectoryPca.RunResult run = result.runs().get(0);
    assertThat(run.fromStep()).as("--last 1000 from step 2900").isEqualTo(2000);
    assertThat(run.toStep()).isEqualTo(2900);
    assertThat(run.snapshots()).isEqualTo(10);
    assertThat(run.window()).isEqualTo("2000-2900");
    assertThat(result.warnings()).as("unknown run warned").anyMatch(w -> w.contains("'nope'"));

    // Brute-force oracle for this window: covariance eigenvalues in doubles.
    double[][] window = Arrays.copyOfRange(toDoubles(snapshots), 20, 30);
    double[] expected = covarianceEigenvalues(window);
    for (int i = 0; i < run.variances().length; i++) {
      assertThat(run.variances()[i])
          .as("variance %d vs brute force", i)
          .isCloseTo(expected[i], within(1e-9 * expected[0]));
    }

    TrajectoryPca.Result trainedResult = TrajectoryPca.run(spark, last.withMinTrainAccuracy(0.99));
    TrajectoryPca.RunResult trained = trainedResult.runs().get(0);
    assertThat(trained.fromStep())
        .as("window starts after the last dip of the training accuracy below 0.99 (step 2500)")
        .isEqualTo(2600);
    assertThat(trainedResult.warnings())
        .as("the accuracy rule says how much of the asked window it kept")
        .anyMatch(
            w ->
                w.contains("'w'")
                    && w.contains(
                        "--min-train-accuracy 0.99 starts the window at step 2600"
                            + " instead of 1901")
                    && w.contains("4 of the 10 snapshots in steps 1901..2900 kept (40.0%)"));

    assertThatThrownBy(
            () ->
                TrajectoryPca.run(
                    spark, TrajectoryPca.Options.defaults(lake).withRuns(List.of("nope"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nope")
        .hasMessageContaining("[w]");
  }

  static float[][] readDirections(String lake, String run, int p, int k) {
    List<Row> rows =
        LakeTables.read(spark, lake, Tables.PCA_DIRECTIONS)
            .where(col("run_id").equalTo(run))
            .collectAsList();
    float[][] out = new float[k][p];
    int seen = 0;
    for (Row r : rows) {
      int component = r.getAs("component");
      if (component > k) {
        continue;
      }
      float[] values = VectorChunks.unpack(r.getAs("values"));
      long offset = r.getAs("chunk_offset");
      System.arraycopy(values, 0, out[component - 1], (int) offset, values.length);
      seen += values.length;
    }
    assertThat(seen).as("direction values stored for %d components", k).isEqualTo(p * k);
    return out;
  }

  static double[] covarianceEigenvalues(double[][] x) {
    int t = x.length;
    int p = x[0].length;
    double[] mean = new double[p];
    for (double[] row : x) {
      for (int k = 0; k < p; k++) {
        mean[k] += row[k] / t;
      }
    }
    double[][] cov = new double[p][p];
    for (double[] row : x) {
      for (int a = 0; a < p; a++) {
        for (int b = 0; b < p; b++) {
          cov[a][b] += (row[a] - mean[a]) * (row[b] - mean[b]) / (t - 1);
        }
      }
    }
    double[] values =
        new org.apache.commons.math3.linear.EigenDecomposition(new Array2DRowRealMatrix(cov))
            .getRealEigenvalues()
            .clone();
    Arrays.sort(values);
    double[] descending = new double[p];
    for (int i = 0; i < p; i++) {
      descending[i] = values[p - 1 - i];
    }
    return descending;
  }

  static double[][] toDoubles(float[][] x) {
    double[][] d = new double[x.length][];
    for (int i = 0; i < x.length; i++) {
      d[i] = toDouble(x[i]);
    }
    return d;
  }

  static double[] toDouble(float[] v) {
    double[] d = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      d[i] = v[i];
    }
    return d;
  }

  static double cosine(float[] a, double[] b) {
    double ab = 0;
    double aa = 0;
    double bb = 0;
    for (int i = 0; i < a.length; i++) {
      ab += a[i] * b[i];
      aa += (double) a[i] * a[i];
      bb += b[i] * b[i];
    }
    return ab / Math.sqrt(aa * bb);
  }

  static double[][] randomOrthogonal(int p, SplittableRandom random) {
    double[][] g = new double[p][p];
    for (double[] row : g) {
      for (int k = 0; k < p; k++) {
        row[k] = random.nextGaussian();
      }
    }
    return new QRDecomposition(new Array2DRowRealMatrix(g, false)).getQ().getData();
  }
}
