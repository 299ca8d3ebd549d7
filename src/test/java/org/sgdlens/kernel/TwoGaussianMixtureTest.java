package org.sgdlens.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.apache.commons.math3.stat.descriptive.moment.Kurtosis;
import org.apache.commons.math3.stat.descriptive.moment.Skewness;
import org.junit.jupiter.api.Test;

class TwoGaussianMixtureTest {
  static double[] mixture(Random rnd, int n, double w, double m1, double s1, double m2, double s2) {
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = rnd.nextDouble() < w ? m2 + s2 * rnd.nextGaussian() : m1 + s1 * rnd.nextGaussian();
    }
    return x;
  }

  @Test
  void recoversAKnownMixture() {
    double[] x = mixture(new Random(5), 20000, 0.2, -2, 0.5, 1.5, 0.7);
    TwoGaussianMixture fit = TwoGaussianMixture.fit(x);
    assertThat(fit.converged()).as("converged").isTrue();
    assertThat(fit.weightHigh()).as("high weight (noise fraction)").isCloseTo(0.2, within(0.01));
    assertThat(fit.meanLow()).as("low mean").isCloseTo(-2, within(0.03));
    assertThat(fit.meanHigh()).as("high mean").isCloseTo(1.5, within(0.05));
    assertThat(fit.sdLow()).as("low sd").isCloseTo(0.5, within(0.03));
    assertThat(fit.sdHigh()).as("high sd").isCloseTo(0.7, within(0.05));
    assertThat(fit.separation())
        .as("Ashman D")
        .isCloseTo(Math.sqrt(2) * 3.5 / Math.sqrt(0.25 + 0.49), within(0.15));
    double t = fit.threshold();
    assertThat(t).as("threshold between the means").isBetween(-2.0, 1.5);
    assertThat(fit.posteriorHigh(t)).as("posterior at the threshold").isCloseTo(0.5, within(1e-6));
    assertThat(fit.posteriorHigh(3)).as("far right").isGreaterThan(0.99);
  }

  @Test
  void unimodalDataGiveLowSeparation() {
    double[] x = mixture(new Random(6), 5000, 0, 0, 1, 0, 1);
    TwoGaussianMixture fit = TwoGaussianMixture.fit(x);
    assertThat(fit.separation()).as("one Gaussian: D well below 2").isLessThan(1.5);
  }

  @Test
  void bimodalityCoefficientMatchesCommonsMathMoments() {
    Random rnd = new Random(7);
    for (double w : new double[] {0.0, 0.2, 0.5}) {
      double[] x = mixture(rnd, 500, w, 0, 1, 4, 1);
      double mean = 0;
      for (double v : x) {
        mean += v / x.length;
      }
      double m2 = 0;
      double m3 = 0;
      double m4 = 0;
      for (double v : x) {
        double d = v - mean;
        m2 += d * d / x.length;
        m3 += d * d * d / x.length;
        m4 += d * d * d * d / x.length;
      }
      double popSkew = m3 / Math.pow(m2, 1.5);
      double popKurt = m4 / (m2 * m2) - 3;
      double g1 = new Skewness().evaluate(x);
      double g2 = new Kurtosis().evaluate(x);
      int n = x.length;
      double expected = (g1 * g1 + 1) / (g2 + 3.0 * (n - 1) * (n - 1) / ((n - 2.0) * (n - 3.0)));
      assertThat(TwoGaussianMixture.sampleSkewness(popSkew, n))
          .as("G1 w=%s", w)
          .isCloseTo(g1, within(1e-9));
      assertThat(TwoGaussianMixture.sampleExcessKurtosis(popKurt, n))
          .as("G2 w=%s", w)
          .isCloseTo(g2, within(1e-9));
      assertThat(TwoGaussianMixture.bimodalityCoefficient(popSkew, popKurt, n))
          .as("BC w=%s", w)
          .isCloseTo(expected, within(1e-9));
    }
    double[] balanced = mixture(rnd, 4000, 0.5, 0, 1, 6, 1);
    double[] single = mixture(rnd, 4000, 0, 0, 1, 0, 1);
    assertThat(bc(balanced)).as("two separated modes exceed 5/9").isGreaterThan(5.0 / 9);
    assertThat(bc(single)).as("a Gaussian stays near 1/3").isLessThan(0.45);
  }

  private static double bc(double[] x) {
    int n = x.length;
    double g1 = new Skewness().evaluate(x);
    double g2 = new Kurtosis().evaluate(x);
    return (g1 * g1 + 1) / (g2 + 3.0 * (n - 1) * (n - 1) / ((n - 2.0) * (n - 3.0)));
  }

  @Test
  void rejectsTooFewOrNonFiniteValues() {
    assertThatThrownBy(() -> TwoGaussianMixture.fit(new double[] {1, 2, 3}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 4");
    assertThatThrownBy(
            () -> TwoGaussianMixture.fit(new double[] {1, 2, 3, Double.NEGATIVE_INFINITY}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("floor losses");
    TwoGaussianMixture constant = TwoGaussianMixture.fit(new double[] {2, 2, 2, 2, 2});
    assertThat(constant.weightHigh()).as("constant data: one component").isZero();
  }
}
