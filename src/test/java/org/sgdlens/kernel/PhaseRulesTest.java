package org.sgdlens.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.sgdlens.kernel.PhaseRules.Thresholds;

class PhaseRulesTest {
  private static final Thresholds T = Thresholds.DEFAULTS;

  /** Test error decays as 0.15 + 0.75 exp(-i/5) until i = 49, then rises. */
  private static double[] testError(int n) {
    double[] e = new double[n];
    for (int i = 0; i < n; i++) {
      e[i] = i < 50 ? 0.15 + 0.75 * Math.exp(-i / 5.0) : 0.15 + 0.004 * (i - 49);
    }
    return e;
  }

  /** f_W flat at 0.02, then linear to 1 between i = 60 and 85 (no threshold falls on a step). */
  private static double[] mislabeledFit(int n) {
    double[] f = new double[n];
    for (int i = 0; i < n; i++) {
      f[i] = i < 60 ? 0.02 : i >= 85 ? 1 : 0.02 + 0.98 * (i - 60) / 25.0;
    }
    return f;
  }

  @Test
  void groundTruthBoundariesMatchClosedForm() {
    int[] b = PhaseRules.groundTruthWithNoise(testError(100), mislabeledFit(100), T);
    // 0.75 (1 - exp(-i/5)) >= 0.9 * 0.75 (1 - exp(-49/5))  <=>  i >= -5 ln(1 - 0.9 (1 - e^-9.8))
    int expectedOnset = (int) Math.ceil(-5 * Math.log(1 - 0.9 * (1 - Math.exp(-49 / 5.0))));
    assertThat(b[0]).as("I->II").isEqualTo(expectedOnset);
    // progress (i - 60) / 25 reaches 0.1 at i = 62.5 and 0.9 at i = 82.5
    assertThat(b[1]).as("II->III").isEqualTo(63);
    assertThat(b[2]).as("III->IV").isEqualTo(83);
    int[][] seg = PhaseRules.segments(100, b);
    assertThat(seg).as("four phases").hasNumberOfRows(4);
    assertThat(seg[0]).as("phase I").containsExactly(0, expectedOnset - 1);
    assertThat(seg[3]).as("phase IV").containsExactly(83, 99);
  }

  @Test
  void missingValuesAreSkippedAndUnreachedBoundariesAreMinusOne() {
    double[] e = testError(100);
    double[] f = mislabeledFit(100);
    for (int i = 0; i < 100; i += 3) {
      f[i] = Double.NaN;
    }
    int[] b = PhaseRules.groundTruthWithNoise(e, f, T);
    assertThat(b[1]).as("II->III moves to the next recorded f_W").isEqualTo(64);
    double[] never = new double[100];
    java.util.Arrays.fill(never, 0.02);
    int[] b2 = PhaseRules.groundTruthWithNoise(e, never, T);
    assertThat(b2[1]).as("no memorisation").isEqualTo(-1);
    assertThat(PhaseRules.segments(100, b2)).as("phases I and II only").hasNumberOfRows(2);
  }

  @Test
  void labelFreeRulesFollowSeparationAndHighLossFraction() {
    int n = 100;
    double[] d = new double[n];
    double[] h = new double[n];
    for (int i = 0; i < n; i++) {
      d[i] = 4 * Math.min(1, i / 20.0) * (i > 60 ? Math.max(0, 1 - (i - 60) / 20.0) : 1);
      h[i] = i < 60 ? 0.02 : i >= 85 ? 1 : 0.02 + 0.98 * (i - 60) / 25.0;
    }
    double[] w = new double[n];
    java.util.Arrays.fill(w, 0.2);
    int onset = PhaseRules.labelFreeSeparationOnset(d, w, T);
    // bimodal steps (D >= 2) are i = 10..70, median D = 4 (the plateau), 90% of it at i = 18
    assertThat(onset).as("separation reaches 90% of its typical level at i = 18").isEqualTo(18);
    int[] b = PhaseRules.labelFreeWithNoise(onset, h, T);
    assertThat(b).as("suspects' fit progress (i - 60) / 25").containsExactly(18, 63, 83);
    double[] early = d.clone();
    early[0] = 10;
    assertThat(PhaseRules.labelFreeSeparationOnset(early, w, T))
        .as("a bimodal initialisation does not start phase II")
        .isEqualTo(18);
    double[] flat = new double[n];
    java.util.Arrays.fill(flat, 1.0);
    assertThat(PhaseRules.labelFreeSeparationOnset(flat, w, T)).as("never bimodal").isEqualTo(-1);
    double[] tiny = new double[n];
    java.util.Arrays.fill(tiny, 0.01);
    assertThat(PhaseRules.labelFreeSeparationOnset(d, tiny, T))
        .as("a 1% component is not a second population")
        .isEqualTo(-1);
    double[] majority = w.clone();
    java.util.Arrays.fill(majority, 0, 30, 0.7);
    assertThat(PhaseRules.labelFreeSeparationOnset(d, majority, T))
        .as("a majority high-loss component (unlearned bulk) is not the mislabeled set")
        .isEqualTo(30);
    double[] spike = d.clone();
    spike[90] = 40;
    assertThat(PhaseRules.labelFreeSeparationOnset(spike, w, T))
        .as("one noisy late spike does not move the onset")
        .isEqualTo(18);
  }

  @Test
  void labelFreeSeparationPeakIgnoresStepsWhereTheHighComponentShrank() {
    double[] d = {9, 3, 4, 4.5, 4.8, 5.0, 5.6, 6.5, 1.0};
    double[] w = {0.5, 0.2, 0.2, 0.2, 0.2, 0.19, 0.17, 0.05, 0.5};
    // max weight 0.2; steps with w >= 0.18 are 1..5, the largest D among them at index 5
    assertThat(PhaseRules.labelFreeSeparationPeak(d, w, T))
        .as("peak before memorisation")
        .isEqualTo(5);
    assertThat(PhaseRules.labelFreeSeparationPeak(new double[] {1, 1}, new double[] {0.2, 0.2}, T))
        .as("never bimodal")
        .isEqualTo(-1);
  }

  @Test
  void explorationStartsWhenAlignmentCollapses() {
    double[] r = new double[50];
    double[] loss = new double[50];
    for (int i = 0; i < 50; i++) {
      r[i] = i < 3 ? 0.3 + 0.2 * i : 0.7 * Math.exp(-(i - 2) / 4.0);
      loss[i] = 2 * Math.exp(-i / 10.0);
    }
    // max 0.7 at i = 2; 0.7 exp(-(i-2)/4) <= 0.14  <=>  i >= 2 + 4 ln 5
    assertThat(PhaseRules.labelFreeExploration(r, loss, T))
        .as("R collapse")
        .isEqualTo((int) Math.ceil(2 + 4 * Math.log(5)));
    double[] none = new double[50];
    java.util.Arrays.fill(none, Double.NaN);
    // loss drop 2 (1 - e^{-i/10}) >= 0.9 * 2 (1 - e^{-4.9})
    assertThat(PhaseRules.labelFreeExploration(none, loss, T))
        .as("train-loss fallback")
        .isEqualTo((int) Math.ceil(-10 * Math.log(1 - 0.9 * (1 - Math.exp(-4.9)))));
  }

  @Test
  void thresholdsAreValidated() {
    assertThatThrownBy(() -> new Thresholds(0.9, 0.5, 0.4, 0.9, 2, 0.2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("memorize-end 0.4");
    assertThatThrownBy(() -> new Thresholds(1.5, 0.1, 0.9, 0.9, 2, 0.2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("testDrop is 1.5");
  }
}
