package org.sgdlens.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sgdlens.lake.Lake;
import org.sgdlens.record.RunConfig;
import org.sgdlens.record.TestRuns;
import org.sgdlens.record.TrainRun;

/** Diverged runs stay out of analyses unless --run names them; either way a warning says why. */
class DivergedRunsTest extends SparkTestBase {
  private static String lake;

  @BeforeAll
  static void aHealthyAndADivergedRun() {
    lake = tempDir.resolve("lake").toString();
    Lake l = Lake.open(lake);
    TrainRun.execute(l, TestRuns.synthetic("ok"), false, null);
    RunConfig big = TestRuns.synthetic("big");
    big.sgd.learningRate = 20;
    assertThat(TrainRun.execute(l, big, false, null).diverged()).isTrue();
  }

  private static List<String> runsIn(List<Row> rows) {
    return rows.stream().map(r -> r.<String>getAs("run_id")).distinct().sorted().toList();
  }

  @Test
  void anUnnamedSelectionSkipsTheDivergedRunAndSaysWhy() {
    OrderParams.Result r = OrderParams.run(spark, new OrderParams.Options(lake, List.of()));
    assertThat(runsIn(r.orderParams())).containsExactly("ok");
    assertThat(r.warnings())
        .anySatisfy(
            w ->
                assertThat(w)
                    .contains("run 'big' skipped: it diverged")
                    .contains("times the initial")
                    .contains("--run"));
  }

  @Test
  void aNamedDivergedRunIsAnalysedWithAWarning() {
    OrderParams.Result r = OrderParams.run(spark, new OrderParams.Options(lake, List.of("big")));
    assertThat(runsIn(r.orderParams())).containsExactly("big");
    assertThat(r.warnings()).anySatisfy(w -> assertThat(w).contains("run 'big' diverged"));
  }
}
