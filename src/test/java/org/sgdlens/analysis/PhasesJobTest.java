package org.sgdlens.analysis;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sgdlens.cli.CliAccess;
import org.sgdlens.lake.Tables;

class PhasesJobTest extends SparkTestBase {
  private static String lake;
  private static Phases.Result result;

  @BeforeAll
  static void buildLake() {
    spark.sparkContext().setLogLevel("WARN");
    lake = lakePath("phases");
    new PhaseLake().write(spark, lake);
    result = Phases.run(spark, Phases.Options.defaults(lake, List.of()));
  }

  @Test
  void groundTruthFindsTheConstructedBoundariesInOrder() {
    assertThat(result.phaseNames("noisy", Phases.GROUND_TRUTH))
        .as("phases I..IV in order")
        .containsExactly("I", "II", "III", "IV");
    assertThat(result.boundary("noisy", "I->II", Phases.GROUND_TRUTH)).as("I->II").isEqualTo(40);
    assertThat(result.boundary("noisy", "II->III", Phases.GROUND_TRUTH))
        .as("II->III")
        .isEqualTo(160);
    assertThat(result.boundary("noisy", "III->IV", Phases.GROUND_TRUTH))
        .as("III->IV")
        .isEqualTo(240);
  }

  @Test
  void labelFreeRulesAgreeWithGroundTruthAndReportTheDistance() {
    assertThat(result.phaseNames("noisy", Phases.LABEL_FREE))
        .as("label free sees four phases")
        .containsExactly("I", "II", "III", "IV");
    Long onset = result.boundary("noisy", "I->II", Phases.LABEL_FREE);
    // The separation reaches 90% of its maximum at t = 50 by construction; the mixture estimate
    // of it may move one recorded step.
    assertThat(onset).as("label-free I->II").isBetween(40L, 60L);
    // Memorised samples cross the threshold exactly as f_W counts them.
    assertThat(result.boundary("noisy", "II->III", Phases.LABEL_FREE)).as("II->III").isEqualTo(160);
    assertThat(result.boundary("noisy", "III->IV", Phases.LABEL_FREE)).as("III->IV").isEqualTo(240);
    Row b =
        result.boundaries().stream()
            .filter(r -> r.getString(0).equals("noisy") && r.getString(1).equals("I->II"))
            .findFirst()
            .orElseThrow();
    assertThat(b.getLong(4)).as("distance = label free - ground truth").isEqualTo(onset - 40);
  }

  @Test
  void noiseFreeRunHasFastAndExplorationPhasesBothWays() {
    assertThat(result.phaseNames("clean", Phases.GROUND_TRUTH))
        .containsExactly("fast", "exploration");
    assertThat(result.phaseNames("clean", Phases.LABEL_FREE))
        .as("unimodal losses: no I..IV")
        .containsExactly("fast", "exploration");
    assertThat(result.boundary("clean", "fast->exploration", Phases.GROUND_TRUTH)).isEqualTo(40);
    assertThat(result.boundary("clean", "fast->exploration", Phases.LABEL_FREE))
        .as("alignment collapse: 0.6 exp(-t/20) + 0.02 <= 0.124 at t >= 35.05")
        .isEqualTo(40);
  }

  @Test
  void stepsMissingInOneTableAreWarnedAboutAndKeptAsNulls() {
    assertThat(result.warnings())
        .as("warnings")
        .anySatisfy(w -> assertThat(w).contains("noisy").contains("metrics").contains("100"))
        .anySatisfy(
            w ->
                assertThat(w)
                    .contains("clean")
                    .contains("1 recorded step(s) have no order_params row (50)"))
        .as("a step without a recorded gradient ensemble needs no order_params")
        .noneSatisfy(
            w ->
                assertThat(w)
                    .contains("order_params")
                    .contains(String.valueOf(PhaseLake.GRADIENT_FREE_STEP)));
    Row s100 =
        LakeTables.read(spark, lake, Tables.PHASE_SIGNALS)
            .where(col("run_id").equalTo("noisy").and(col("step").equalTo(100)))
            .first();
    assertThat(s100.isNullAt(s100.fieldIndex("test_error"))).as("no metrics at 100").isTrue();
    assertThat(s100.<Long>getAs("loss_samples"))
        .as("losses still there")
        .isEqualTo(PhaseLake.NOISY_N);
    assertThat(s100.<Double>getAs("mixture_high_weight"))
        .as("mixture weight ~ rho")
        .isBetween(0.17, 0.23);
    List<Row> phases =
        LakeTables.read(spark, lake, Tables.PHASES)
            .where(col("run_id").equalTo("noisy"))
            .collectAsList();
    assertThat(phases).as("4 + 4 phase rows").hasSize(8);
  }

  @Test
  void cliValidatesThresholds() throws Exception {
    assertThatThrownBy(() -> CliAccess.run("phases", "--lake", lake, "--memorize-start", "0.95"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("memorize-end 0.9");
    assertThat(CliAccess.run("phases", "--help")).isZero();
  }
}
