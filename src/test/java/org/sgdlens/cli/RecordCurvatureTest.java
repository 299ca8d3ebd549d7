package org.sgdlens.cli;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sgdlens.analysis.Curvature;
import org.sgdlens.analysis.LakeTables;
import org.sgdlens.analysis.SparkTestBase;
import org.sgdlens.lake.CurvatureRow;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.Tables;
import org.sgdlens.record.CurvatureSchedule;
import org.sgdlens.record.RunConfig;
import org.sgdlens.record.TestRuns;
import org.sgdlens.record.TrainRun;

/**
 * record.curvature: the Hessian estimates measured during training (tiny 12-5-3 tanh MLP, P = 83,
 * 256 rows) equal jobs/curvature's on the recorded snapshots of the same steps with the same
 * settings, survive a later jobs/curvature call, and a killed run resumes without duplicates.
 */
class RecordCurvatureTest extends SparkTestBase {
  private static final String RUN = "rc";
  private static String lake;

  private static RunConfig config(String runId) {
    RunConfig c = TestRuns.synthetic(runId);
    c.model.activation = "tanh";
    CurvatureSchedule curvature = new CurvatureSchedule();
    curvature.every = 20;
    curvature.topK = 3;
    curvature.traceProbes = 12;
    curvature.densityProbes = 2;
    curvature.densitySteps = 10;
    curvature.subset = 100;
    curvature.seed = 5;
    c.record.curvature = curvature;
    return c;
  }

  @BeforeAll
  static void trainWithCurvature() {
    lake = lakePath("record-curvature");
    TestRuns.train(Path.of(lake), config(RUN));
  }

  private static List<Row> rows(String table, String source) {
    return LakeTables.read(spark, lake, table)
        .where(col("run_id").equalTo(RUN).and(col("source").equalTo(source)))
        .orderBy("step")
        .collectAsList();
  }

  @Test
  void recordedRowsEqualTheJobsOnTheSameSnapshotsAndSurviveIt() {
    List<Row> recorded = rows(Tables.CURVATURE, CurvatureRow.SOURCE_RECORD);
    assertThat(recorded)
        .extracting(r -> r.<Long>getAs("step"))
        .as("record.curvature every 20 of 60 steps")
        .containsExactly(0L, 20L, 40L, 60L);
    assertThat(rows(Tables.CURVATURE_DENSITY, CurvatureRow.SOURCE_RECORD))
        .as("a density grid per recorded step")
        .hasSizeGreaterThan(4);

    Curvature.run(
        spark,
        Curvature.Options.builder()
            .setLake(lake)
            .optRuns(List.of(RUN))
            .optSteps("0,20,40,60")
            .optTopK(3)
            .optTraceProbes(12)
            .optDensity(true)
            .optDensitySteps(10)
            .optSubset(100)
            .optSeed(5)
            .build(),
        CurvatureJob::engine);
    List<Row> job = rows(Tables.CURVATURE, CurvatureRow.SOURCE_JOB);
    assertThat(job).hasSize(4);
    assertThat(rows(Tables.CURVATURE, CurvatureRow.SOURCE_RECORD))
        .as("jobs/curvature leaves the recorded rows in place")
        .hasSize(4);
    for (int i = 0; i < 4; i++) {
      Row r = recorded.get(i);
      Row j = job.get(i);
      long step = r.getAs("step");
      for (String c :
          List.of("loss", "top_eigenvalue", "trace", "trace_se", "num_params", "sample_rows")) {
        double expected = ((Number) j.getAs(c)).doubleValue();
        assertThat(((Number) r.getAs(c)).doubleValue())
            .as("step %d: %s during training against jobs/curvature", step, c)
            .isCloseTo(expected, within(1e-9 * Math.max(1, Math.abs(expected))));
      }
      List<Double> re = r.getList(r.fieldIndex("eigenvalues"));
      List<Double> je = j.getList(j.fieldIndex("eigenvalues"));
      assertThat(re).hasSize(3);
      for (int k = 0; k < 3; k++) {
        assertThat(re.get(k)).isCloseTo(je.get(k), within(1e-9 * Math.abs(je.get(0))));
      }
      assertThat(r.<String>getAs("scope")).isEqualTo("all");
      assertThat(r.<String>getAs("sample_set")).isEqualTo(j.<String>getAs("sample_set"));
      assertThat(r.<Long>getAs("sample_seed")).isEqualTo(5L);
    }
    assertThat(rows(Tables.CURVATURE_DENSITY, CurvatureRow.SOURCE_JOB))
        .hasSameSizeAs(rows(Tables.CURVATURE_DENSITY, CurvatureRow.SOURCE_RECORD));
  }

  @Test
  void aKilledRunResumesWithoutDuplicatingOrChangingCurvatureRows() {
    Lake crashed = Lake.open(lakePath("record-curvature-crash"));
    assertThatThrownBy(
            () ->
                TrainRun.execute(
                    crashed,
                    config("k"),
                    false,
                    step -> {
                      if (step == 45) {
                        throw new IllegalStateException("simulated crash");
                      }
                    }))
        .hasMessageContaining("simulated crash");
    assertThat(TrainRun.execute(crashed, config("k"), false, null).resumed()).isTrue();
    Lake reference = Lake.open(lakePath("record-curvature-ref"));
    TrainRun.execute(reference, config("k"), false, null);
    assertThat(curvatureRows(reference.root().toString()))
        .as("steps 0, 20, 40 and 60, of which 0 and 20 before the crash's checkpoint")
        .hasSize(4);
    assertThat(curvatureRows(crashed.root().toString()))
        .containsExactlyElementsOf(curvatureRows(reference.root().toString()));
  }

  private static List<String> curvatureRows(String root) {
    return LakeTables.read(spark, root, Tables.CURVATURE).orderBy("step").collectAsList().stream()
        .map(Row::toString)
        .toList();
  }

  @Test
  void curvatureIsRefusedBeforeTrainingForOtherModelsAndBadSettings() throws Exception {
    Path dir = Files.createTempDirectory("record-curvature-bad");
    Lake bad = Lake.open(dir.toString());
    RunConfig cnn = config("cnn");
    cnn.model.kind = "cnn";
    assertThatThrownBy(() -> TrainRun.execute(bad, cnn, false, null))
        .hasMessageContaining("model.kind cnn")
        .hasMessageContaining("unset record.curvature");
    RunConfig topK = config("k0");
    topK.record.curvature.topK = 0;
    assertThatThrownBy(() -> TrainRun.execute(bad, topK, false, null))
        .hasMessageContaining("record.curvature.top_k is 0");
    RunConfig layer = config("layer");
    layer.record.curvature.layer = "fc9";
    assertThatThrownBy(() -> TrainRun.execute(bad, layer, false, null)).hasMessageContaining("fc9");
    assertThat(bad.runStatus("layer")).as("nothing committed for the bad layer").isEmpty();
    RunConfig twoForms = config("forms");
    twoForms.record.curvature.steps = List.of(3L);
    assertThatThrownBy(() -> TrainRun.execute(bad, twoForms, false, null))
        .hasMessageContaining("record.curvature");
  }

  @Test
  void aVersionOneFileWithoutSourceStillReadsAndCountsAsTheJobs() {
    // The v1 columns, as jobs/curvature wrote them before record.curvature existed.
    String v1 =
        "SELECT 10L AS step, 'all' AS scope, 0.5D AS loss, 83 AS num_params, 'train' AS"
            + " sample_set, 256 AS sample_rows, CAST(NULL AS BIGINT) AS sample_seed, 1 AS k,"
            + " 2.5D AS top_eigenvalue, array(2.5D) AS eigenvalues, array(1e-9D) AS"
            + " eigen_residuals, 21 AS lanczos_iterations, 9.0D AS trace, 0.4D AS trace_se,"
            + " 20 AS probes, 0L AS seed";
    spark.sql(v1).write().parquet(lake + "/curvature/run_id=v1old");
    List<Row> read =
        LakeTables.readRaw(spark, lake, Tables.CURVATURE)
            .where(col("run_id").equalTo("v1old"))
            .collectAsList();
    assertThat(read).hasSize(1);
    Row r = read.get(0);
    assertThat(r.isNullAt(r.fieldIndex("source"))).as("no source in a v1 file").isTrue();
    assertThat(r.<Double>getAs("trace")).isEqualTo(9.0);
    assertThat(r.<Double>getAs("top_eigenvalue")).isEqualTo(2.5);
  }
}
