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
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sgdlens.analysis.LakeTables;
import org.sgdlens.analysis.NoiseCurvature;
import org.sgdlens.analysis.SparkTestBase;
import org.sgdlens.curvature.DenseHessian;
import org.sgdlens.curvature.MlpHessian;
import org.sgdlens.curvature.MlpSpec;
import org.sgdlens.curvature.RunLayerProbeFactory;
import org.sgdlens.curvature.Samples;
import org.sgdlens.kernel.NoiseCurvatureStats;
import org.sgdlens.kernel.PowerLawFit;
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
 * The noise-curvature job on a trained tanh MLP: the Spark result (rows spread over 3 tasks, one
 * model each) equals an independent single-process computation with the Hessian engine to 1e-9
 * relative; bad inputs are one-line errors naming the value and the fix.
 */
class NoiseCurvatureSparkTest extends SparkTestBase {
  static final String RUN = "tanh";
  static final String WIDE = "wide";
  static final String CNN = "cnn";
  static String lake;

  @BeforeAll
  static void train() throws Exception {
    lake = lakePath("noise");
    Path dir = Path.of(java.net.URI.create(lake));
    RunConfig c = TestRuns.synthetic(RUN);
    c.model.hidden = new ArrayList<>(List.of(6, 4));
    c.model.activation = "tanh";
    c.sgd.steps = 40;
    c.record.gradients = org.sgdlens.record.Schedule.never();
    c.record.sampleLosses = org.sgdlens.record.Schedule.never();
    c.record.weights = org.sgdlens.record.Schedule.every(10);
    TestRuns.train(dir, c);
    RunConfig w = TestRuns.synthetic(WIDE);
    w.model.hidden = new ArrayList<>(List.of(80, 70));
    w.sgd.steps = 2;
    w.record.gradients = org.sgdlens.record.Schedule.never();
    w.record.sampleLosses = org.sgdlens.record.Schedule.never();
    w.record.weights = org.sgdlens.record.Schedule.never();
    TestRuns.train(dir, w);
    copyRunAsCnn(Lake.open(lake));
  }

  /** A committed runs row whose config names model.kind cnn (its other tables are absent). */
  static void copyRunAsCnn(Lake l) {
    Map<String, Object> row = l.runRow(RUN).orElseThrow();
    TableSchema schema = SchemaRegistry.schema(Tables.RUNS);
    org.apache.hadoop.fs.Path file =
        new org.apache.hadoop.fs.Path(l.partition(Tables.RUNS, CNN), "part-00000.parquet");
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
          v = ((String) v).replaceAll("\"kind\"\\s*:\\s*\"mlp\"", "\"kind\":\"cnn\"");
        }
        values[i] = v;
      }
      writer.write(values);
    }
  }

  static double relative(double[] actual, double[] expected) {
    double d = 0;
    double e = 0;
    for (int i = 0; i < actual.length; i++) {
      d += (actual[i] - expected[i]) * (actual[i] - expected[i]);
      e += expected[i] * expected[i];
    }
    return Math.sqrt(d / e);
  }

  static double relative(double actual, double expected) {
    return Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-300);
  }

  @Test
  void sparkEqualsTheSingleProcessComputation() {
    int code =
        NoiseCurvatureJob.run(
            new String[] {"--lake", lake, "--run", RUN, "--layer", "fc2.weight", "--tasks", "3"});
    assertThat(code).isZero();

    // The oracle: one engine, all N rows at once, the matrices from their definitions.
    Lake l = Lake.open(lake);
    RunConfig config = ConfigLoader.fromJson(l.runField(RUN, "config_json").orElseThrow());
    TrainingData data = TrainingData.load(config);
    MlpSpec spec = MlpSpec.of(config.model, data.inputShape(), data.classes());
    double[] w = MlpHessian.widen(l.readVector(Tables.FINAL_PARAMS, RUN, spec.size()));
    Samples rows = Samples.all(data.trainX(), data.givenLabels());
    List<String> layer = List.of("fc2.weight");
    int n = rows.count();
    int batch = config.sgd.batchSize;
    int p;
    double[] h;
    double[] f;
    double[] cov;
    double[] e2;
    double[] eh2;
    double loss;
    SymmetricEigen.Decomposition eigen;
    try (MlpHessian engine = MlpHessian.builder().setSpec(spec).build()) {
      p = engine.selectionSize(layer);
      h = DenseHessian.of(engine.operator(w, rows, layer, 4)).matrix();
      loss = engine.loss(w, rows);
      double[][] g = engine.perSampleGradients(w, rows, layer);
      double[] mean = new double[p];
      for (double[] gn : g) {
        for (int i = 0; i < p; i++) {
          mean[i] += gn[i] / n;
        }
      }
      f = new double[p * p];
      cov = new double[p * p];
      double factor = (double) (n - batch) / (batch * (n - 1.0));
      for (double[] gn : g) {
        for (int i = 0; i < p; i++) {
          for (int j = 0; j < p; j++) {
            f[i * p + j] += gn[i] * gn[j] / n;
            cov[i * p + j] += factor * (gn[i] - mean[i]) * (gn[j] - mean[j]) / n;
          }
        }
      }
      eigen = SymmetricEigen.decompose(h, p);
      eh2 = new double[p];
      e2 = new double[p * p];
      for (int k = 0; k < p; k++) {
        double[] u = new double[p];
        System.arraycopy(eigen.vectors(), k * p, u, 0, p);
        double[][] r = engine.perSampleHvp(w, rows, layer, u);
        for (double[] rn : r) {
          for (int i = 0; i < p; i++) {
            eh2[k] += rn[i] * rn[i] / n;
            for (int j = 0; j < p; j++) {
              e2[i * p + j] += rn[i] * rn[j] / n;
            }
          }
        }
      }
    }
    double[] c = NoiseCurvatureStats.diagonalIn(eigen, cov);
    double[] fd = NoiseCurvatureStats.diagonalIn(eigen, f);

    List<Row> pairs =
        LakeTables.read(spark, lake, Tables.NOISE_CURVATURE_PAIRS)
            .where("run_id = '" + RUN + "'")
            .orderBy("i")
            .collectAsList();
    assertThat(pairs).hasSize(p);
    double[] sh = new double[p];
    double[] sc = new double[p];
    double[] sf = new double[p];
    double[] se = new double[p];
    for (int i = 0; i < p; i++) {
      Row r = pairs.get(i);
      assertThat(r.<Integer>getAs("i")).isEqualTo(i + 1);
      assertThat(r.<String>getAs("layer")).isEqualTo("fc2.weight");
      sh[i] = r.getAs("h_ii");
      sc[i] = r.getAs("c_ii");
      sf[i] = r.getAs("f_ii");
      se[i] = r.getAs("eh2_ii");
    }
    assertThat(relative(sh, eigen.values())).as("h_ii").isLessThan(1e-9);
    assertThat(relative(sc, c)).as("c_ii").isLessThan(1e-9);
    assertThat(relative(sf, fd)).as("f_ii").isLessThan(1e-9);
    assertThat(relative(se, eh2)).as("eh2_ii").isLessThan(1e-9);

    Row s =
        LakeTables.read(spark, lake, Tables.NOISE_CURVATURE)
            .where("run_id = '" + RUN + "'")
            .first();
    assertThat(s.<Long>getAs("step")).isEqualTo(config.sgd.steps);
    assertThat(s.<Integer>getAs("params")).isEqualTo(p);
    assertThat(s.<Long>getAs("samples")).isEqualTo(n);
    assertThat(s.<Integer>getAs("batch_size")).isEqualTo(batch);
    assertThat(relative(s.<Double>getAs("loss"), loss)).as("loss").isLessThan(1e-9);
    assertThat(s.<Boolean>getAs("eh2_full")).isTrue();
    assertThat(relative(s.<Double>getAs("cos_c_h"), NoiseCurvatureStats.cosine(cov, h)))
        .as("cos(C,H)")
        .isLessThan(1e-9);
    assertThat(relative(s.<Double>getAs("cos_c_eh2"), NoiseCurvatureStats.cosine(cov, e2)))
        .as("cos(C,E[h^2])")
        .isLessThan(1e-9);
    // ‖CH − HC‖_F / (‖C‖_F ‖H‖_F) by explicit loops.
    double comm = 0;
    for (int i = 0; i < p; i++) {
      for (int j = 0; j < p; j++) {
        double ch = 0;
        double hc = 0;
        for (int q = 0; q < p; q++) {
          ch += cov[i * p + q] * h[q * p + j];
          hc += h[i * p + q] * cov[q * p + j];
        }
        comm += (ch - hc) * (ch - hc);
      }
    }
    double normC = Math.sqrt(dot(cov, cov));
    double normH = Math.sqrt(dot(h, h));
    assertThat(relative(s.<Double>getAs("commutator"), Math.sqrt(comm) / (normC * normH)))
        .as("commutator")
        .isLessThan(1e-9);
    // γ over the default range: λ_i > 0 and λ_i ≥ 1e-6 λ_max.
    List<double[]> points = new ArrayList<>();
    for (int i = 0; i < p; i++) {
      double lambda = eigen.values()[i];
      if (lambda > 0 && lambda >= 1e-6 * eigen.values()[0] && c[i] > 0) {
        points.add(new double[] {lambda, c[i]});
      }
    }
    PowerLawFit.Fit fit =
        PowerLawFit.logLog(
            points.stream().mapToDouble(v -> v[0]).toArray(),
            points.stream().mapToDouble(v -> v[1]).toArray(),
            0.95);
    assertThat(s.<Integer>getAs("gamma_c_points")).isEqualTo(points.size());
    assertThat(relative(s.<Double>getAs("gamma_c"), fit.slope())).as("gamma").isLessThan(1e-9);
    assertThat(relative(s.<Double>getAs("gamma_c_low"), fit.slopeLow())).isLessThan(1e-9);
    assertThat(relative(s.<Double>getAs("gamma_c_high"), fit.slopeHigh())).isLessThan(1e-9);
    assertThat(relative(s.<Double>getAs("gamma_c_r2"), fit.r2())).isLessThan(1e-9);
    assertThat(s.<String>getAs("fit_range")).startsWith("auto: lambda_i >= 1.00e-06");
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  @Test
  void aRecordedStepUsesItsSnapshot() {
    NoiseCurvature.Options options =
        NoiseCurvature.Options.builder()
            .setLake(lake)
            .optRuns(List.of(RUN))
            .optLayer("fc2")
            .optStep(20)
            .optFullEh2Max(0)
            .build();
    NoiseCurvature.Result result =
        NoiseCurvature.run(
            spark,
            options,
            (root, id, layer, snapshot, step) ->
                new RunLayerProbeFactory(root, id, layer, snapshot, step, 100, 3));
    NoiseCurvatureStats.Result at20 = result.runs().get(0).stats();
    assertThat(result.runs().get(0).step()).isEqualTo(20);
    assertThat(at20.p()).as("fc2 = weight 4x6 + bias 4").isEqualTo(28);
    assertThat(at20.n()).as("--max-samples").isEqualTo(100);
    assertThat(at20.expectedHessianSquare()).as("above --full-eh2-max").isNull();
    Row s =
        LakeTables.read(spark, lake, Tables.NOISE_CURVATURE)
            .where("run_id = '" + RUN + "'")
            .first();
    assertThat(s.<Long>getAs("step")).isEqualTo(20);
    assertThat(s.isNullAt(s.fieldIndex("cos_c_eh2"))).isTrue();
  }

  static String error(String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        JobMain.execute(
            "noise-curvature",
            args,
            NoiseCurvatureJob::run,
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code).as("exit code of %s", List.of(args)).isEqualTo(1);
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void badInputsAreErrorsNamingTheValueAndTheFix() {
    assertThat(error("--lake", lake, "--run", RUN, "--layer", "fc9.weight"))
        .contains("'fc9.weight'", "fc1.weight", "fc3.bias");
    assertThat(error("--lake", lake, "--run", WIDE, "--layer", "fc2.weight"))
        .contains("P_S = 5600", "5000", "choose a smaller layer");
    assertThat(error("--lake", lake, "--run", "nope")).contains("'nope'", "check --run and --lake");
    assertThat(error("--lake", lake, "--run", CNN)).contains("'cnn'", "model.kind mlp");
    assertThat(error("--lake", lake, "--run", RUN, "--step", "7"))
        .contains("--step 7", "from 0 to 40", "omit --step");
    assertThat(error("--lake", lake, "--run", RUN, "--gamma-range", "0-4"))
        .contains("'0-4'", "1-50");
  }

  @Test
  void helpPrintsUsage() {
    assertThat(NoiseCurvatureJob.run(new String[] {"--help"})).isZero();
  }
}
