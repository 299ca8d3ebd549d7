package org.sgdlens.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sgdlens.analysis.Duality;
import org.sgdlens.analysis.LakeTables;
import org.sgdlens.analysis.SparkTestBase;
import org.sgdlens.curvature.DenseHessian;
import org.sgdlens.curvature.MlpHessian;
import org.sgdlens.curvature.MlpSpec;
import org.sgdlens.curvature.RunDualityModelFactory;
import org.sgdlens.curvature.Samples;
import org.sgdlens.kernel.DualityModel;
import org.sgdlens.kernel.SymmetricEigen;
import org.sgdlens.lake.Column;
import org.sgdlens.lake.ColumnType;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.ParquetRowWriter;
import org.sgdlens.lake.SchemaRegistry;
import org.sgdlens.lake.TableSchema;
import org.sgdlens.lake.Tables;
import org.sgdlens.record.ConfigLoader;
import org.sgdlens.record.RunConfig;
import org.sgdlens.record.TestRuns;
import org.sgdlens.record.TrainingData;

/**
 * The duality job on a trained tanh MLP: the Spark result (passes over 3 tasks, one model each)
 * equals an independent single-process computation (brute-force pairing, the DJL engine's losses,
 * gradients and dense Hessian, the statistics from explicit per-pair arrays) to 1e-9 relative; the
 * Lanczos path agrees with the dense one on the top directions; bad inputs are one-line errors
 * naming the value and the fix.
 */
class DualitySparkTest extends SparkTestBase {
  static final String RUN = "tanh";
  static final String CNN = "cnn";
  static final String NO_FINAL = "nofinal";
  static final String LAYER = "fc2.weight";
  static String lake;

  @BeforeAll
  static void train() throws Exception {
    lake = lakePath("duality");
    Path dir = Path.of(java.net.URI.create(lake));
    RunConfig c = TestRuns.synthetic(RUN);
    c.model.hidden = new ArrayList<>(List.of(6, 4));
    c.model.activation = "tanh";
    c.noise.fraction = 0;
    c.sgd.steps = 60;
    c.record.gradients = org.sgdlens.record.Schedule.never();
    c.record.sampleLosses = org.sgdlens.record.Schedule.never();
    c.record.weights = org.sgdlens.record.Schedule.never();
    TestRuns.train(dir, c);
    Lake l = Lake.open(lake);
    copyRun(l, CNN, json -> json.replaceAll("\"kind\"\\s*:\\s*\"mlp\"", "\"kind\":\"cnn\""));
    copyRun(l, NO_FINAL, json -> json);
  }

  /** A committed runs row copied from RUN under {@code id} (its other tables are absent). */
  static void copyRun(Lake l, String id, UnaryOperator<String> config) {
    Map<String, Object> row = l.runRow(RUN).orElseThrow();
    TableSchema schema = SchemaRegistry.schema(Tables.RUNS);
    org.apache.hadoop.fs.Path file =
        new org.apache.hadoop.fs.Path(l.partition(Tables.RUNS, id), "part-00000.parquet");
    try (ParquetRowWriter writer =
        new ParquetRowWriter(schema, file, new Configuration(), CompressionCodecName.SNAPPY)) {
      List<Column> columns = schema.fileColumns();
      Object[] values = new Object[columns.size()];
      for (int i = 0; i < values.length; i++) {
        Column column = columns.get(i);
        Object v = row.get(column.name());
        if (column.type() == ColumnType.TIMESTAMP && v != null) {
          v = Instant.parse("2026-01-01T00:00:00Z");
        }
        if (column.name().equals("config_json")) {
          v = config.apply((String) v);
        }
        if (column.name().equals("run_id")) {
          v = id;
        }
        values[i] = v;
      }
      writer.write(values);
    }
  }

  static double relative(double actual, double expected) {
    return Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-12);
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  /** The single-process oracle of one pairing, from definitions. */
  record Oracle(
      double[] h,
      double[][] basis,
      double[] contribution,
      double[] sigmaW,
      double[] sigmaG,
      double[] c,
      double[] muProduct,
      double measuredPairs,
      double measuredSet,
      double meanDistance,
      double lossIdentityMax,
      int pairs) {}

  static Oracle oracle(DualityModel.Space space) {
    Lake l = Lake.open(lake);
    RunConfig config = ConfigLoader.fromJson(l.runField(RUN, "config_json").orElseThrow());
    TrainingData data = TrainingData.load(config);
    MlpSpec spec = MlpSpec.of(config.model, data.inputShape(), data.classes());
    double[] w = MlpHessian.widen(l.readVector(Tables.FINAL_PARAMS, RUN, spec.size()));
    MlpSpec.Param wp = spec.select(List.of(LAYER)).get(0);
    MlpSpec.Param w1 = spec.select(List.of("fc1.weight")).get(0);
    MlpSpec.Param b1 = spec.select(List.of("fc1.bias")).get(0);
    int f = spec.features();
    int nTrain = data.trainSize();
    int nTest = data.testSize();
    // Input activity of fc2: tanh(W1 x + b1), written out here independently of the job.
    double[][] trainIn = new double[nTrain][];
    double[][] testIn = new double[nTest][];
    double[][] trainAct = new double[nTrain][];
    double[][] testAct = new double[nTest][];
    for (int s = 0; s < 2; s++) {
      float[] x = s == 0 ? data.trainX() : data.testX();
      int n = s == 0 ? nTrain : nTest;
      for (int r = 0; r < n; r++) {
        double[] in = new double[f];
        for (int i = 0; i < f; i++) {
          in[i] = x[r * f + i];
        }
        double[] a = new double[w1.rows()];
        for (int o = 0; o < w1.rows(); o++) {
          double z = w[b1.offset() + o];
          for (int i = 0; i < f; i++) {
            z += w[w1.offset() + o * f + i] * in[i];
          }
          a[o] = Math.tanh(z);
        }
        (s == 0 ? trainIn : testIn)[r] = in;
        (s == 0 ? trainAct : testAct)[r] = a;
      }
    }
    double[][] trainFeat = space == DualityModel.Space.INPUT ? trainIn : trainAct;
    double[][] testFeat = space == DualityModel.Space.INPUT ? testIn : testAct;
    int[] given = data.givenLabels();
    int[] testLabels = data.testLabels();
    List<int[]> pairs = new ArrayList<>();
    double distance = 0;
    for (int t = 0; t < nTest; t++) {
      int best = -1;
      double bd = Double.POSITIVE_INFINITY;
      for (int r = 0; r < nTrain; r++) {
        if (given[r] != testLabels[t]) {
          continue;
        }
        double d = 0;
        for (int i = 0; i < trainFeat[r].length; i++) {
          d += (testFeat[t][i] - trainFeat[r][i]) * (testFeat[t][i] - trainFeat[r][i]);
        }
        if (d < bd) {
          bd = d;
          best = r;
        }
      }
      if (best >= 0) {
        pairs.add(new int[] {t, best});
        distance += Math.sqrt(bd);
      }
    }
    int rows = wp.rows();
    int cols = wp.cols();
    int p = rows * cols;
    List<String> layer = List.of(LAYER);
    Samples train = Samples.all(data.trainX(), given);
    try (MlpHessian engine = MlpHessian.builder().setSpec(spec).build()) {
      SymmetricEigen.Decomposition eigen =
          SymmetricEigen.decompose(
              DenseHessian.of(engine.operator(w, train, layer, 4)).matrix(), p);
      double[][] basis = new double[p][];
      for (int i = 0; i < p; i++) {
        basis[i] = java.util.Arrays.copyOfRange(eigen.vectors(), i * p, (i + 1) * p);
      }
      int[] trainRows = pairs.stream().mapToInt(q -> q[1]).toArray();
      double[][] grads =
          engine.perSampleGradients(w, new Samples(data.trainX(), given, trainRows), layer);
      int n = pairs.size();
      double[][] theta = new double[p][n];
      double[][] geff = new double[p][n];
      double gapPairs = 0;
      double lossIdentity = 0;
      for (int k = 0; k < n; k++) {
        int t = pairs.get(k)[0];
        int r = pairs.get(k)[1];
        double[] dw = new double[p];
        double norm2 = dot(trainAct[r], trainAct[r]);
        for (int o = 0; o < rows; o++) {
          double wda = 0;
          for (int i = 0; i < cols; i++) {
            wda += w[wp.offset() + o * cols + i] * (testAct[t][i] - trainAct[r][i]);
          }
          for (int i = 0; i < cols; i++) {
            dw[o * cols + i] = wda * trainAct[r][i] / norm2;
          }
        }
        double lTrain = engine.loss(w, new Samples(data.trainX(), given, new int[] {r}));
        double lTest = engine.loss(w, new Samples(data.testX(), testLabels, new int[] {t}));
        double[] moved = w.clone();
        for (int i = 0; i < p; i++) {
          moved[wp.offset() + i] += dw[i];
        }
        double lDual = engine.loss(moved, new Samples(data.trainX(), given, new int[] {r}));
        lossIdentity = Math.max(lossIdentity, Math.abs(lDual - lTest));
        gapPairs += (lTest - lTrain) / n;
        for (int i = 0; i < p; i++) {
          theta[i][k] = dot(basis[i], dw);
          geff[i][k] = dot(basis[i], grads[k]) + 0.5 * eigen.values()[i] * theta[i][k];
        }
      }
      double[] contribution = new double[p];
      double[] sw = new double[p];
      double[] sg = new double[p];
      double[] c = new double[p];
      double[] mu = new double[p];
      for (int i = 0; i < p; i++) {
        double mw = 0;
        double mg = 0;
        for (int k = 0; k < n; k++) {
          mw += theta[i][k] / n;
          mg += geff[i][k] / n;
        }
        double vw = 0;
        double vg = 0;
        double cov = 0;
        for (int k = 0; k < n; k++) {
          vw += (theta[i][k] - mw) * (theta[i][k] - mw) / n;
          vg += (geff[i][k] - mg) * (geff[i][k] - mg) / n;
          cov += (theta[i][k] - mw) * (geff[i][k] - mg) / n;
          contribution[i] += theta[i][k] * geff[i][k] / n;
        }
        sw[i] = Math.sqrt(vw);
        sg[i] = Math.sqrt(vg);
        c[i] = cov / (sw[i] * sg[i]);
        mu[i] = mw * mg;
      }
      double setGap = engine.loss(w, Samples.all(data.testX(), testLabels)) - engine.loss(w, train);
      return new Oracle(
          eigen.values(),
          basis,
          contribution,
          sw,
          sg,
          c,
          mu,
          gapPairs,
          setGap,
          distance / pairs.size(),
          lossIdentity,
          pairs.size());
    }
  }

  static Row summary() {
    return LakeTables.read(spark, lake, Tables.DUALITY_SUMMARY)
        .where("run_id = '" + RUN + "'")
        .first();
  }

  static List<Row> directions() {
    return LakeTables.read(spark, lake, Tables.DUALITY)
        .where("run_id = '" + RUN + "'")
        .orderBy("i")
        .collectAsList();
  }

  @Test
  void sparkEqualsTheSingleProcessComputation() {
    int code =
        DualityJob.run(
            new String[] {"--lake", lake, "--run", RUN, "--layer", LAYER, "--tasks", "3"});
    assertThat(code).isZero();
    Oracle o = oracle(DualityModel.Space.INPUT);
    Row s = summary();
    int p = o.h().length;
    assertThat(s.<Integer>getAs("params")).isEqualTo(p).isEqualTo(24);
    assertThat(s.<Integer>getAs("directions")).isEqualTo(p);
    assertThat(s.<String>getAs("hessian")).isEqualTo(Duality.HESSIAN_DENSE);
    assertThat(s.<String>getAs("pairing")).isEqualTo("input");
    assertThat(s.<Long>getAs("pairs")).isEqualTo(o.pairs());
    assertThat(s.<Long>getAs("pairs_skipped")).isZero();
    double predicted = java.util.Arrays.stream(o.contribution()).sum();
    assertThat(relative(s.<Double>getAs("predicted_gap"), predicted))
        .as("predicted gap")
        .isLessThan(1e-9);
    assertThat(relative(s.<Double>getAs("measured_gap_pairs"), o.measuredPairs()))
        .as("measured gap over pairs")
        .isLessThan(1e-9);
    assertThat(relative(s.<Double>getAs("measured_gap"), o.measuredSet()))
        .as("measured gap over the sets")
        .isLessThan(1e-9);
    assertThat(relative(s.<Double>getAs("predicted_gap_secant"), o.measuredPairs()))
        .as("the secant form is exact on a complete basis")
        .isLessThan(1e-9);
    assertThat(relative(s.<Double>getAs("mean_pair_distance"), o.meanDistance())).isLessThan(1e-9);
    assertThat(s.<Double>getAs("captured_fraction"))
        .isCloseTo(1, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(s.<Double>getAs("identity_error_max")).as("(W+dw)a = W(a+da)").isLessThan(1e-12);
    assertThat(o.lossIdentityMax()).as("oracle's loss identity").isLessThan(1e-9);
    assertThat(s.<Double>getAs("loss_identity_error_max")).isLessThan(1e-9);

    List<Row> rows = directions();
    assertThat(rows).hasSize(p);
    for (int i = 0; i < p; i++) {
      Row r = rows.get(i);
      assertThat(r.<Integer>getAs("i")).isEqualTo(i + 1);
      assertThat(relative(r.<Double>getAs("h"), o.h()[i])).as("h_%d", i + 1).isLessThan(1e-9);
      // Directions of a repeated eigenvalue are not unique; the others are, up to sign, and
      // every compared quantity is invariant under p_i -> -p_i.
      boolean isolated =
          (i == 0 || o.h()[i - 1] - o.h()[i] > 1e-6 * Math.abs(o.h()[0]))
              && (i == p - 1 || o.h()[i] - o.h()[i + 1] > 1e-6 * Math.abs(o.h()[0]));
      if (!isolated) {
        continue;
      }
      double scale = Math.abs(predicted) + Math.abs(o.contribution()[i]);
      assertThat(Math.abs(r.<Double>getAs("contribution") - o.contribution()[i]) / scale)
          .as("contribution %d", i + 1)
          .isLessThan(1e-9);
      assertThat(relative(r.<Double>getAs("sigma_w"), o.sigmaW()[i])).isLessThan(1e-9);
      assertThat(relative(r.<Double>getAs("sigma_g"), o.sigmaG()[i])).isLessThan(1e-9);
      assertThat(relative(r.<Double>getAs("c"), o.c()[i])).as("c_%d", i + 1).isLessThan(1e-8);
      assertThat(
              Math.abs(r.<Double>getAs("mu_g") * r.<Double>getAs("mu_w") - o.muProduct()[i])
                  / scale)
          .isLessThan(1e-9);
    }
  }

  @Test
  void activityPairingAndLanczosAgreeWithTheOracle() {
    Duality.Result dense =
        Duality.run(
            spark,
            Duality.Options.builder()
                .setLake(lake)
                .optRuns(List.of(RUN))
                .optPairing(DualityModel.Space.ACTIVITY)
                .optTasks(2)
                .build(),
            RunDualityModelFactory::new);
    Oracle o = oracle(DualityModel.Space.ACTIVITY);
    var s = dense.runs().get(0).summary();
    assertThat(s.pairing()).isEqualTo("activity");
    assertThat(relative(s.meanPairDistance(), o.meanDistance())).isLessThan(1e-9);
    assertThat(relative(s.predictedGap(), java.util.Arrays.stream(o.contribution()).sum()))
        .isLessThan(1e-9);
    assertThat(relative(s.measuredGapPairs(), o.measuredPairs())).isLessThan(1e-9);

    int k = 3;
    Duality.Result lanczos =
        Duality.run(
            spark,
            Duality.Options.builder()
                .setLake(lake)
                .optRuns(List.of(RUN))
                .optPairing(DualityModel.Space.ACTIVITY)
                .optDenseMax(0)
                .optDirections(k)
                .build(),
            RunDualityModelFactory::new);
    var l = lanczos.runs().get(0);
    assertThat(l.summary().hessian()).isEqualTo(Duality.HESSIAN_LANCZOS);
    assertThat(l.summary().directions()).isEqualTo(k);
    double top = 0;
    for (int i = 0; i < k; i++) {
      assertThat(relative(l.directions().get(i).h(), o.h()[i]))
          .as("Ritz value %d", i + 1)
          .isLessThan(1e-6);
      top += o.contribution()[i];
    }
    assertThat(Math.abs(l.summary().predictedGap() - top) / (Math.abs(top) + 1e-12))
        .as("top-%d predicted gap", k)
        .isLessThan(1e-6);
    assertThat(l.summary().capturedFraction()).isBetween(0.0, 1.0);
    // The written table is the last run's: the Lanczos one.
    assertThat(directions()).hasSize(k);
  }

  static String error(String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        JobMain.execute(
            "duality", args, DualityJob::run, new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code).as("exit code of %s", List.of(args)).isEqualTo(1);
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void badInputsAreErrorsNamingTheValueAndTheFix() {
    assertThat(error("--lake", lake, "--run", RUN, "--layer", "fc9.weight"))
        .contains("'fc9.weight'", "fc1.weight", "fc3.bias");
    assertThat(error("--lake", lake, "--run", RUN, "--layer", "fc2.bias"))
        .contains("fc2.bias", "bias vector", "give fc2.weight");
    assertThat(error("--lake", lake, "--run", CNN)).contains("'cnn'", "model.kind mlp");
    assertThat(error("--lake", lake, "--run", NO_FINAL))
        .contains("'" + NO_FINAL + "'", "no final_params", "retrain it with jobs/train");
    assertThat(error("--lake", lake, "--run", "nope")).contains("'nope'", "check --run and --lake");
    assertThat(error("--lake", lake, "--run", RUN, "--dense-max", "10"))
        .contains("P = 24", "--dense-max 10", "--directions K");
    assertThat(error("--lake", lake, "--run", RUN, "--pairing", "pixels"))
        .contains("'pixels'", "input or activity");
    assertThat(error("--lake", lake, "--run", RUN, "--directions", "-1"))
        .contains("--directions -1", "give 0");
  }

  @Test
  void helpPrintsUsage() {
    assertThat(DualityJob.run(new String[] {"--help"})).isZero();
  }
}
