package org.sgdlens.cli;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sgdlens.analysis.Curvature;
import org.sgdlens.analysis.LakeTables;
import org.sgdlens.analysis.SparkTestBase;
import org.sgdlens.curvature.DenseHessian;
import org.sgdlens.curvature.MlpHessian;
import org.sgdlens.curvature.MlpSpec;
import org.sgdlens.curvature.Samples;
import org.sgdlens.kernel.CurvatureOracle;
import org.sgdlens.kernel.CurvatureOracleFactory;
import org.sgdlens.kernel.SymmetricEigen;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.Tables;
import org.sgdlens.lake.VectorChunks;
import org.sgdlens.record.ConfigLoader;
import org.sgdlens.record.RunConfig;
import org.sgdlens.record.Schedule;
import org.sgdlens.record.TestRuns;
import org.sgdlens.record.TrainingData;

/**
 * The curvature job on a tiny MLP run trained by the train job (12-5-3 tanh, P = 83, 256 rows,
 * weights at every step), against a single-process dense oracle: MlpHessian's HVPs against unit
 * vectors (DenseHessian), decomposed by SymmetricEigen.
 */
class CurvatureJobTest extends SparkTestBase {
  private static final String RUN = "c";
  private static final int P = 12 * 5 + 5 + 5 * 3 + 3;
  private static String lake;

  @BeforeAll
  static void trainTinyMlp() {
    lake = lakePath("curvature");
    RunConfig c = TestRuns.synthetic(RUN);
    c.model.activation = "tanh";
    TestRuns.train(Path.of(lake), c);
    RunConfig partial = TestRuns.synthetic("partial");
    partial.sgd.steps = 10;
    partial.record.layers = List.of("fc2.weight");
    TestRuns.train(Path.of(lake), partial);
    RunConfig cnn = new RunConfig(); // a small built-in CNN on the Fashion-MNIST slice
    cnn.runId = "cnn";
    cnn.model.kind = "cnn";
    cnn.model.channels = new java.util.ArrayList<>(List.of(2));
    cnn.model.hidden = new java.util.ArrayList<>(List.of(4));
    cnn.dataset.perClass = 5;
    cnn.dataset.testSize = 20;
    cnn.sgd.batchSize = 10;
    cnn.sgd.steps = 4;
    cnn.noise.fraction = 0;
    cnn.record.weights = Schedule.every(2);
    cnn.record.gradients = Schedule.every(100);
    cnn.record.metrics = Schedule.every(2);
    cnn.record.ensembleSize = 2;
    TestRuns.train(Path.of(lake), cnn);
  }

  /** Counts the oracles the tasks open (local mode: the tasks run in this JVM). */
  static final AtomicInteger OPENED = new AtomicInteger();

  record Counting(CurvatureOracleFactory inner) implements CurvatureOracleFactory, Serializable {
    @Override
    public CurvatureOracle open() {
      OPENED.incrementAndGet();
      return inner.open();
    }
  }

  private static Curvature.Options.Builder options() {
    return Curvature.Options.builder().setLake(lake).optRuns(List.of(RUN));
  }

  private static Curvature.Result run(Curvature.Options o) {
    return Curvature.run(spark, o, CurvatureJob::engine);
  }

  private static float[] snapshot(long step) {
    float[] w = new float[P];
    for (Row r :
        LakeTables.read(spark, lake, Tables.WEIGHTS)
            .where(col("run_id").equalTo(RUN).and(col("step").equalTo(step)))
            .collectAsList()) {
      float[] v = VectorChunks.unpack(r.getAs("values"));
      System.arraycopy(v, 0, w, (int) r.<Long>getAs("chunk_offset").longValue(), v.length);
    }
    return w;
  }

  /** The dense Hessian block at a step's weights over the whole training set, in one process. */
  private static DenseHessian.Dense dense(long step, List<String> layers, double[] lossOut) {
    RunConfig config =
        ConfigLoader.fromJson(Lake.open(lake).runField(RUN, "config_json").orElseThrow());
    TrainingData data = TrainingData.load(config);
    MlpSpec spec = MlpSpec.of(config.model, data.inputShape(), data.classes());
    try (MlpHessian engine = MlpHessian.builder().setSpec(spec).build()) {
      double[] w = MlpHessian.widen(snapshot(step));
      Samples rows = Samples.all(data.trainX(), data.givenLabels());
      lossOut[0] = engine.loss(w, rows);
      return DenseHessian.of(engine.operator(w, rows, layers, 8));
    }
  }

  @Test
  void eigenvaluesAndTraceEqualTheDenseHessianOfTheSameWeights() {
    Curvature.Result result =
        run(options().optSteps("10,60").optLanczosSteps(P).optTraceProbes(200).build());
    assertThat(result.runs()).hasSize(1);
    List<Row> rows =
        LakeTables.read(spark, lake, Tables.CURVATURE)
            .where(
                col("run_id")
                    .equalTo(RUN)
                    .and(col("scope").equalTo("all"))
                    .and(col("step").isin(10L, 60L)))
            .orderBy("step")
            .collectAsList();
    assertThat(rows).extracting(r -> r.<Long>getAs("step")).containsExactly(10L, 60L);
    for (Row row : rows) {
      long step = row.getAs("step");
      double[] loss = new double[1];
      DenseHessian.Dense h = dense(step, List.of(), loss);
      SymmetricEigen.Decomposition eig = SymmetricEigen.decompose(h.matrix(), P);
      double[] descending = eig.values();
      List<Double> eigenvalues = row.getList(row.fieldIndex("eigenvalues"));
      assertThat(eigenvalues).as("step %d: k eigenvalues", step).hasSize(5);
      for (int i = 0; i < 5; i++) {
        double expected = descending[i];
        assertThat(eigenvalues.get(i))
            .as("step %d: lambda_%d vs dense %.10g", step, i + 1, expected)
            .isCloseTo(expected, within(1e-9 * Math.abs(expected)));
      }
      assertThat(row.<Double>getAs("top_eigenvalue")).isEqualTo(eigenvalues.get(0));
      double trace = 0;
      for (int i = 0; i < P; i++) {
        trace += h.get(i, i);
      }
      double se = row.getAs("trace_se");
      assertThat(se).as("trace SE").isPositive();
      assertThat(row.<Double>getAs("trace"))
          .as("step %d: Hutchinson trace within 3 SE (%.3g) of the dense %.6g", step, se, trace)
          .isCloseTo(trace, within(3 * se));
      assertThat(row.<Double>getAs("loss")).isCloseTo(loss[0], within(1e-12));
      assertThat(row.<Integer>getAs("num_params")).isEqualTo(P);
      assertThat(row.<String>getAs("sample_set")).isEqualTo(Curvature.SAMPLE_SET_TRAIN);
      assertThat(row.<Integer>getAs("sample_rows")).isEqualTo(256);
      assertThat(row.isNullAt(row.fieldIndex("sample_seed"))).isTrue();
      assertThat(row.<Integer>getAs("lanczos_iterations")).isEqualTo(P);
      assertThat(row.<Integer>getAs("probes")).isEqualTo(200);
    }
  }

  @Test
  void aLayerBlockIsTheDenseBlockAndKeepsTheOtherScopesRows() {
    run(options().optSteps("30").build());
    run(options().optSteps("30").optLayer("fc2").optLanczosSteps(18).optTopK(3).build());
    List<Row> rows =
        LakeTables.read(spark, lake, Tables.CURVATURE)
            .where(col("run_id").equalTo(RUN).and(col("step").equalTo(30L)))
            .orderBy("scope")
            .collectAsList();
    assertThat(rows).extracting(r -> r.<String>getAs("scope")).containsExactly("all", "fc2");
    Row block = rows.get(1);
    DenseHessian.Dense h = dense(30, List.of("fc2"), new double[1]);
    double[] descending = SymmetricEigen.decompose(h.matrix(), 18).values();
    List<Double> eigenvalues = block.getList(block.fieldIndex("eigenvalues"));
    for (int i = 0; i < 3; i++) {
      assertThat(eigenvalues.get(i))
          .as("fc2 block lambda_%d", i + 1)
          .isCloseTo(descending[i], within(1e-9 * Math.abs(descending[0])));
    }
    assertThat(block.<Integer>getAs("num_params")).isEqualTo(18);
  }

  @Test
  void twoStepsInTwoTasksEqualOneByOneAndTheDensityIntegratesToOne() {
    Curvature.Options.Builder common =
        options().optTopK(3).optTraceProbes(20).optDensity(true).optDensitySteps(15);
    OPENED.set(0);
    Curvature.RunResult together =
        Curvature.run(
                spark,
                common.optSteps("0,40").optTasks(2).build(),
                (l, r, o) -> new Counting(CurvatureJob.engine(l, r, o)))
            .runs()
            .get(0);
    assertThat(OPENED.get()).as("one oracle per task, two tasks").isEqualTo(2);
    Curvature.StepCurvature first =
        run(common.optSteps("0").optTasks(1).build()).runs().get(0).steps().get(0);
    Curvature.StepCurvature second =
        run(common.optSteps("40").optTasks(1).build()).runs().get(0).steps().get(0);
    assertThat(together.steps()).hasSize(2);
    for (int i = 0; i < 2; i++) {
      Curvature.StepCurvature a = together.steps().get(i);
      Curvature.StepCurvature b = i == 0 ? first : second;
      assertThat(a.step()).isEqualTo(b.step());
      assertThat(a.eigenvalues())
          .as("step %d eigenvalues", a.step())
          .containsExactly(b.eigenvalues());
      assertThat(a.trace()).isEqualTo(b.trace());
      assertThat(a.traceStandardError()).isEqualTo(b.traceStandardError());
      assertThat(a.density()).containsExactly(b.density());
    }
    List<Row> density =
        LakeTables.read(spark, lake, Tables.CURVATURE_DENSITY)
            .where(col("run_id").equalTo(RUN).and(col("step").equalTo(40L)))
            .orderBy("point")
            .collectAsList();
    assertThat(density).hasSize(second.grid().length);
    double integral = 0;
    for (int i = 1; i < density.size(); i++) {
      double dt =
          density.get(i).<Double>getAs("eigenvalue")
              - density.get(i - 1).<Double>getAs("eigenvalue");
      integral +=
          0.5
              * dt
              * (density.get(i).<Double>getAs("density")
                  + density.get(i - 1).<Double>getAs("density"));
    }
    assertThat(integral).as("density integrates to 1").isCloseTo(1.0, within(1e-4));
    assertThat(
            LakeTables.read(spark, lake, Tables.CURVATURE)
                .where(col("run_id").equalTo(RUN).and(col("step").isin(0L, 40L)))
                .count())
        .as("one-by-one calls keep each other's steps")
        .isEqualTo(2);
  }

  @Test
  void aSubsetIsStatedWithItsSeed() {
    run(options().optSteps("20").optSubset(100).optSeed(7).optTopK(2).optTraceProbes(10).build());
    Row row =
        LakeTables.read(spark, lake, Tables.CURVATURE)
            .where(col("run_id").equalTo(RUN).and(col("step").equalTo(20L)))
            .first();
    assertThat(row.<String>getAs("sample_set")).isEqualTo(Curvature.SAMPLE_SET_SUBSET);
    assertThat(row.<Integer>getAs("sample_rows")).isEqualTo(100);
    assertThat(row.<Long>getAs("sample_seed")).isEqualTo(7L);
  }

  @Test
  void badInputsNameTheValueAndTheFix() {
    assertThatThrownBy(() -> run(options().optLayer("fc9").build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--layer 'fc9'")
        .hasMessageContaining("fc1, fc2, fc1.weight");
    assertThatThrownBy(() -> run(options().optSteps("7,1000").build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("step 1000")
        .hasMessageContaining("0-60");
    assertThatThrownBy(() -> run(options().optSteps("100-200").build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("100-200");
    assertThatThrownBy(() -> options().optSteps("x").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'x'");
    assertThatThrownBy(() -> CurvatureJob.run(new String[] {"--lake", lake, "--top-k", "0"}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--top-k is 0");
  }

  @Test
  void aModelOtherThanTheBuiltInMlpIsRefusedNamingIt() {
    assertThatThrownBy(() -> run(options().optRuns(List.of("cnn")).build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Run 'cnn' trains the model")
        .hasMessageContaining("model.kind cnn")
        .hasMessageContaining("only the built-in MLP");
  }

  @Test
  void snapshotsOfSomeLayersOnlyAreRefusedNamingThem() {
    assertThatThrownBy(() -> run(options().optRuns(List.of("partial")).optLayer("fc2").build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Run 'partial' records only [fc2.weight]")
        .hasMessageContaining("not [fc1.weight, fc1.bias, fc2.bias]")
        .hasMessageContaining("record.layers empty");
  }
}
