package org.sgdlens.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.math3.stat.descriptive.rank.Percentile;
import org.apache.commons.math3.stat.descriptive.rank.Percentile.EstimationType;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sgdlens.cli.CliAccess;
import org.sgdlens.lake.Tables;

class LossSeparationJobTest extends SparkTestBase {
  private static String lake;
  private static PhaseLake data;
  private static LossSeparation.Result result;
  private static final double[] TIE_LOSSES = {0.5, 2.0, 1.0, 2.0, 0.5, 3.0, 1.0, 0.5};
  private static final boolean[] TIE_WRONG = {false, true, false, false, true, true, true, false};

  @BeforeAll
  static void buildLake() {
    spark.sparkContext().setLogLevel("WARN");
    lake = lakePath("sep");
    data = new PhaseLake().write(spark, lake);
    // Phases as the phases job finds them on this lake (ground truth is exact by construction).
    List<Row> phases = new ArrayList<>();
    String[] names = {"I", "II", "III", "IV"};
    long[][] spans = {{0, 30}, {40, 150}, {160, 230}, {240, 290}};
    for (String method : List.of(Phases.GROUND_TRUTH, Phases.LABEL_FREE)) {
      for (int k = 0; k < 4; k++) {
        phases.add(
            RowFactory.create(
                "noisy", method, names[k], k, spans[k][0], spans[k][1], true, "test"));
      }
    }
    SyntheticLake.write(spark, lake, Tables.PHASES, phases);
    // Small run with tied losses; step 2 has clean samples only.
    List<Row> ties = new ArrayList<>();
    for (int i = 0; i < TIE_LOSSES.length; i++) {
      ties.add(SyntheticLake.loss("ties", 1, i, TIE_WRONG[i], TIE_LOSSES[i]));
      if (!TIE_WRONG[i]) {
        ties.add(SyntheticLake.loss("ties", 2, i, false, TIE_LOSSES[i]));
      }
    }
    SyntheticLake.runs(spark, lake, SyntheticLake.run("ties", TIE_LOSSES.length, 4, 2));
    SyntheticLake.write(spark, lake, Tables.SAMPLE_LOSSES, ties);
    result = LossSeparation.run(spark, LossSeparation.Options.defaults(lake, List.of()));
  }

  /** Mann-Whitney pair count: P(score_W > score_C) + P(tie) / 2. */
  static double pairAuroc(double[] score, boolean[] wrong) {
    double wins = 0;
    long pairs = 0;
    for (int i = 0; i < score.length; i++) {
      if (!wrong[i]) {
        continue;
      }
      for (int j = 0; j < score.length; j++) {
        if (wrong[j]) {
          continue;
        }
        pairs++;
        wins += score[i] > score[j] ? 1 : score[i] == score[j] ? 0.5 : 0;
      }
    }
    return wins / pairs;
  }

  static double dPrime(double[] x, boolean[] wrong) {
    double[] m = new double[2];
    long[] n = new long[2];
    for (int i = 0; i < x.length; i++) {
      m[wrong[i] ? 1 : 0] += x[i];
      n[wrong[i] ? 1 : 0]++;
    }
    m[0] /= n[0];
    m[1] /= n[1];
    double ss = 0;
    for (int i = 0; i < x.length; i++) {
      double d = x[i] - m[wrong[i] ? 1 : 0];
      ss += d * d;
    }
    return (m[1] - m[0]) / Math.sqrt(ss / (x.length - 2));
  }

  private static double[] history(long step, int window) {
    Map<Long, double[]> byStep = data.losses.get("noisy");
    double[] h = new double[PhaseLake.NOISY_N];
    int used = 0;
    for (long t = step; t >= 0 && used < window; t -= 10, used++) {
      double[] l = byStep.get(t);
      for (int i = 0; i < h.length; i++) {
        h[i] += l[i];
      }
    }
    for (int i = 0; i < h.length; i++) {
      h[i] /= used;
    }
    return h;
  }

  private static double[] log(double[] x) {
    double[] out = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = Math.log(Math.max(x[i], 1e-8));
    }
    return out;
  }

  @Test
  void aurocAndDPrimeEqualBruteForceAtEveryStep() {
    for (long t : PhaseLake.STEPS) {
      double[] l = data.losses.get("noisy").get(t);
      Row row = result.step("noisy", t);
      assertThat(row.<Double>getAs("auroc"))
          .as("AUROC at %d", t)
          .isCloseTo(pairAuroc(l, data.mislabeled), within(1e-9));
      assertThat(row.<Double>getAs("d_prime"))
          .as("d' at %d", t)
          .isCloseTo(dPrime(log(l), data.mislabeled), within(1e-9));
      double[] h = history(t, 5);
      assertThat(row.<Double>getAs("history_auroc"))
          .as("history AUROC at %d", t)
          .isCloseTo(pairAuroc(h, data.mislabeled), within(1e-9));
      assertThat(row.<Double>getAs("history_d_prime"))
          .as("history d' at %d", t)
          .isCloseTo(dPrime(log(h), data.mislabeled), within(1e-9));
      assertThat(row.<Integer>getAs("history_steps"))
          .as("steps in window")
          .isEqualTo((int) Math.min(5, t / 10 + 1));
    }
  }

  @Test
  void groupStatisticsEqualBruteForce() {
    long t = 120;
    double[] l = data.losses.get("noisy").get(t);
    List<Double> wrong = new ArrayList<>();
    for (int i = 0; i < l.length; i++) {
      if (data.mislabeled[i]) {
        wrong.add(l[i]);
      }
    }
    double[] w = wrong.stream().mapToDouble(Double::doubleValue).toArray();
    Percentile p = new Percentile().withEstimationType(EstimationType.R_7);
    Row row = result.step("noisy", t);
    assertThat(row.<Long>getAs("num_wrong")).isEqualTo(200);
    assertThat(row.<Long>getAs("num_clean")).isEqualTo(800);
    assertThat(row.<Double>getAs("wrong_q25")).as("q25").isCloseTo(p.evaluate(w, 25), within(1e-9));
    assertThat(row.<Double>getAs("wrong_q95")).as("q95").isCloseTo(p.evaluate(w, 95), within(1e-9));
    assertThat(row.<Double>getAs("wrong_mean"))
        .as("mean")
        .isCloseTo(PhaseLake.mean(w), within(1e-9));
    assertThat(row.<String>getAs("phase_ground_truth")).as("phase at 120").isEqualTo("II");
  }

  @Test
  void separationPeaksInPhaseTwoAndHistoryIsCompared() {
    Row loss = result.summary("noisy", LossSeparation.LOSS);
    double best = 0;
    long argmax = -1;
    for (long t : PhaseLake.STEPS) {
      double a = pairAuroc(data.losses.get("noisy").get(t), data.mislabeled);
      if (a > best) {
        best = a;
        argmax = t;
      }
    }
    assertThat(loss.<Long>getAs("t_sep")).as("t_sep = brute-force argmax").isEqualTo(argmax);
    assertThat(loss.<String>getAs("phase_ground_truth")).as("t_sep in phase II").isEqualTo("II");
    assertThat(loss.<Boolean>getAs("in_phase_ii")).as("in_phase_ii").isTrue();
    Row hist = result.summary("noisy", LossSeparation.HISTORY);
    assertThat(hist.<Integer>getAs("window_steps")).isEqualTo(5);
    assertThat(hist.<Double>getAs("auroc_gain"))
        .as("gain = history max - loss max")
        .isCloseTo(
            hist.<Double>getAs("max_auroc") - loss.<Double>getAs("max_auroc"), within(1e-12));
  }

  @Test
  void tiesMatchPairCountAndOneSidedStepsAreNull() {
    assertThat(result.step("ties", 1).<Double>getAs("auroc"))
        .as("AUROC with ties")
        .isCloseTo(pairAuroc(TIE_LOSSES, TIE_WRONG), within(1e-12));
    Row onlyClean = result.step("ties", 2);
    assertThat(onlyClean.<Object>getAs("auroc")).as("no mislabeled at step 2").isNull();
    assertThat(result.warnings())
        .as("warnings")
        .anySatisfy(w -> assertThat(w).contains("ties step 2").contains("only clean"))
        .anySatisfy(w -> assertThat(w).contains("Run clean").contains("no mislabeled"));
    assertThat(result.steps().stream().filter(r -> r.getString(0).equals("clean")))
        .as("clean run skipped")
        .isEmpty();
  }

  @Test
  void cliRejectsABadWindow() throws Exception {
    assertThatThrownBy(() -> CliAccess.run("loss-separation", "--lake", lake, "--window", "0"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--window is 0");
    assertThat(CliAccess.run("loss-separation", "--help")).isZero();
  }
}
