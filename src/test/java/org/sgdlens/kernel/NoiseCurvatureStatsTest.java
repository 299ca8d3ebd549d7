package org.sgdlens.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The noise-curvature numerics against brute force, without Spark or DJL. */
class NoiseCurvatureStatsTest {
  /**
   * The covariance of the mean gradient of a minibatch of B drawn without replacement, by
   * enumerating every one of the C(N, B) minibatches, equals {@code (1/B)(N−B)/(N−1) Σ_g}.
   */
  @Test
  void minibatchCovarianceHasTheWithoutReplacementFactor() {
    int n = 7;
    int b = 3;
    int p = 3;
    SplittableRandom random = new SplittableRandom(4);
    double[][] g = new double[n][p];
    for (double[] row : g) {
      for (int i = 0; i < p; i++) {
        row[i] = random.nextGaussian() + i;
      }
    }
    double[] mean = new double[p];
    double[] sumOuter = new double[p * p];
    int batches = 0;
    for (int mask = 0; mask < 1 << n; mask++) {
      if (Integer.bitCount(mask) != b) {
        continue;
      }
      double[] gm = new double[p];
      for (int s = 0; s < n; s++) {
        if ((mask >> s & 1) == 1) {
          for (int i = 0; i < p; i++) {
            gm[i] += g[s][i] / b;
          }
        }
      }
      for (int i = 0; i < p; i++) {
        mean[i] += gm[i];
        for (int j = 0; j < p; j++) {
          sumOuter[i * p + j] += gm[i] * gm[j];
        }
      }
      batches++;
    }
    double[] cov = new double[p * p];
    for (int i = 0; i < p; i++) {
      for (int j = 0; j < p; j++) {
        cov[i * p + j] = sumOuter[i * p + j] / batches - mean[i] / batches * (mean[j] / batches);
      }
    }
    // Pass-1 sums as a probe lays them out (hessian part irrelevant here).
    double[] sums = new double[NoiseCurvatureStats.firstPassLength(p)];
    sums[0] = n;
    for (double[] row : g) {
      for (int i = 0; i < p; i++) {
        sums[2 + i] += row[i];
      }
    }
    NoiseCurvatureStats.addGram(sums, 2 + p, NoiseCurvatureStats.pack(g, p), n, p);
    NoiseCurvatureStats.symmetrize(sums, 2 + p, p);
    NoiseCurvatureStats.Moments m = NoiseCurvatureStats.moments(sums, p);
    double factor = NoiseCurvatureStats.minibatchFactor(n, b);
    assertThat(factor).isCloseTo((n - b) / (b * (n - 1.0)), within(1e-16));
    for (int i = 0; i < p * p; i++) {
      assertThat(factor * m.gradientCovariance()[i])
          .as("C entry %d", i)
          .isCloseTo(cov[i], within(1e-12));
    }
  }

  @Test
  void gramAccumulationEqualsTheSumOfOuterProducts() {
    SplittableRandom random = new SplittableRandom(8);
    int p = 5;
    double[][] rows = new double[9][p];
    for (double[] r : rows) {
      for (int i = 0; i < p; i++) {
        r[i] = random.nextGaussian();
      }
    }
    double[] target = new double[3 + p * p];
    NoiseCurvatureStats.addGram(
        target, 3, NoiseCurvatureStats.pack(java.util.Arrays.copyOfRange(rows, 0, 4), p), 4, p);
    double[][] rest = java.util.Arrays.copyOfRange(rows, 4, 9);
    NoiseCurvatureStats.addGram(target, 3, NoiseCurvatureStats.pack(rest, p), 5, p);
    NoiseCurvatureStats.symmetrize(target, 3, p);
    for (int i = 0; i < p; i++) {
      for (int j = 0; j < p; j++) {
        double s = 0;
        for (double[] r : rows) {
          s += r[i] * r[j];
        }
        assertThat(target[3 + i * p + j]).as("(%d,%d)", i, j).isCloseTo(s, within(1e-12));
      }
    }
  }

  @Test
  void commutatorAndCosines() {
    double[] a = {1, 0, 0, 2};
    double[] b = {0, 1, 1, 0};
    assertThat(NoiseCurvatureStats.relativeCommutator(a, b, 2))
        .isCloseTo(1 / Math.sqrt(5), within(1e-15));
    assertThat(NoiseCurvatureStats.relativeCommutator(a, new double[] {3, 0, 0, -1}, 2)).isZero();
    assertThat(NoiseCurvatureStats.cosine(a, new double[] {2, 0, 0, 4}))
        .isCloseTo(1, within(1e-15));
    assertThat(NoiseCurvatureStats.cosine(a, b)).isZero();
  }

  @Test
  void fitRangesAndTheirErrors() {
    double[] lambda = {10, 1, 1e-3, 1e-6, 1e-8, 0, -1};
    NoiseCurvatureStats.FitRange auto = NoiseCurvatureStats.fitRange(lambda, "auto", 1e-6);
    // The floor is relative: 1e-6 · λ_max = 1e-5 leaves λ = 1e-6 out.
    assertThat(auto.indices()).containsExactly(0, 1, 2);
    assertThat(auto.description()).contains("1.00e-06", "3 of 7");
    assertThat(NoiseCurvatureStats.fitRange(lambda, "2-3,5-7", 1e-6).indices())
        .containsExactly(1, 2, 4);
    assertThatThrownBy(() -> NoiseCurvatureStats.fitRange(lambda, "0-3", 1e-6))
        .hasMessageContaining("'0-3'")
        .hasMessageContaining("1-50");
    assertThatThrownBy(() -> NoiseCurvatureStats.fitRange(lambda, "2-9", 1e-6))
        .hasMessageContaining("'2-9'")
        .hasMessageContaining("1-7");
    assertThatThrownBy(() -> NoiseCurvatureStats.fitRange(lambda, "x", 1e-6))
        .hasMessageContaining("'x'");
    assertThatThrownBy(() -> NoiseCurvatureStats.fitRange(lambda, "auto", 2))
        .hasMessageContaining("--floor 2.0");
    assertThatThrownBy(() -> NoiseCurvatureStats.minibatchFactor(10, 64))
        .hasMessageContaining("B = 64")
        .hasMessageContaining("1..10");
  }

  @Test
  void fitRecoversAnExactPowerLaw() {
    double[] lambda = {8, 4, 2, 1, 0.5};
    double[] y = new double[lambda.length];
    for (int i = 0; i < y.length; i++) {
      y[i] = 3 * Math.pow(lambda[i], 1.4);
    }
    NoiseCurvatureStats.GammaFit fit =
        NoiseCurvatureStats.fit(lambda, y, new int[] {0, 1, 2, 3, 4});
    assertThat(fit.gamma()).isCloseTo(1.4, within(1e-12));
    assertThat(fit.points()).isEqualTo(5);
    assertThat(NoiseCurvatureStats.fit(lambda, y, new int[] {0, 1})).as("2 points").isNull();
  }
}
