package org.sgdlens.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.sgdlens.analysis.LakeTables;
import org.sgdlens.analysis.SparkTestBase;
import org.sgdlens.analysis.TrajectoryLakes;
import org.sgdlens.lake.Tables;

class FlatnessJobsCliTest extends SparkTestBase {

  @Test
  void helpPrintsUsageAndReturnsZero() {
    assertThat(TrajectoryPcaJob.run(new String[] {"--help"})).isZero();
    assertThat(LandscapeJob.run(new String[] {"--help"})).isZero();
    assertThat(VarianceFlatnessJob.run(new String[] {"--help"})).isZero();
    assertThat(TrajectoryPcaJob.USAGE).contains("--method", "--last", "--block-mb");
  }

  @Test
  void badOptionsBecomeOneLineErrorsWithExitCodeOne() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        JobMain.execute(
            "trajectory-pca",
            new String[] {"--method", "svd"},
            TrajectoryPcaJob::run,
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("'svd'", "mllib, gram or auto");
  }

  @Test
  void pcaThenVarianceFlatnessRunFromTheCommandLine() {
    SplittableRandom random = new SplittableRandom(3);
    int p = 50;
    int t = 30;
    float[][] x = new float[t][p];
    long[] steps = new long[t];
    for (int s = 0; s < t; s++) {
      steps[s] = s;
      for (int a = 0; a < p; a++) {
        x[s][a] = (float) (random.nextGaussian() / (1 + a));
      }
    }
    String lake = lakePath("cli");
    TrajectoryLakes.writeRun(lake, "c", x, steps, 32);
    assertThat(
            TrajectoryPcaJob.run(
                new String[] {
                  "--lake",
                  lake,
                  "--run",
                  "c",
                  "--method",
                  "gram",
                  "--directions",
                  "4",
                  "--from-step",
                  "5"
                }))
        .isZero();
    Row first = LakeTables.read(spark, lake, Tables.PCA_VARIANCES).orderBy("component").first();
    assertThat(first.<String>getAs("pca_window")).isEqualTo("5-29");
    assertThat(first.<String>getAs("method")).isEqualTo("gram");
    assertThat(LakeTables.read(spark, lake, Tables.PCA_DIRECTIONS).count())
        .as("4 directions x 2 chunks")
        .isEqualTo(8);
    // No flatness yet: the fit reports gamma and the variance count, psi stays empty.
    assertThat(VarianceFlatnessJob.run(new String[] {"--lake", lake, "--rank-from", "2"})).isZero();
    Row vf = LakeTables.read(spark, lake, Tables.VARIANCE_FLATNESS).first();
    assertThat(vf.isNullAt(vf.fieldIndex("psi"))).as("psi without flatness").isTrue();
    assertThat(vf.<Integer>getAs("missing_excluded")).isEqualTo(23);
    assertThat(vf.isNullAt(vf.fieldIndex("gamma"))).as("gamma").isFalse();

    // A new window without directions removes the old window's directions.
    assertThat(
            TrajectoryPcaJob.run(
                new String[] {"--lake", lake, "--run", "c", "--directions", "0", "--last", "10"}))
        .isZero();
    assertThat(LakeTables.read(spark, lake, Tables.PCA_DIRECTIONS).count())
        .as("stale directions removed")
        .isZero();
  }
}
