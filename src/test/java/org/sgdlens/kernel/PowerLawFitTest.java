package org.sgdlens.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.apache.commons.math3.distribution.TDistribution;
import org.junit.jupiter.api.Test;

class PowerLawFitTest {

  @Test
  void matchesTheClosedFormOlsWithStudentInterval() {
    SplittableRandom random = new SplittableRandom(1);
    int n = 30;
    double[] x = new double[n];
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = Math.exp(random.nextDouble(-2, 3));
      y[i] = Math.exp(1.5 - 2.5 * Math.log(x[i]) + 0.3 * random.nextGaussian());
    }
    PowerLawFit.Fit fit = PowerLawFit.logLog(x, y, 0.95);

    // Independent oracle: textbook OLS formulas.
    double mx = 0;
    double my = 0;
    for (int i = 0; i < n; i++) {
      mx += Math.log(x[i]) / n;
      my += Math.log(y[i]) / n;
    }
    double sxx = 0;
    double sxy = 0;
    double syy = 0;
    for (int i = 0; i < n; i++) {
      double dx = Math.log(x[i]) - mx;
      double dy = Math.log(y[i]) - my;
      sxx += dx * dx;
      sxy += dx * dy;
      syy += dy * dy;
    }
    double slope = sxy / sxx;
    double sse = syy - slope * sxy;
    double se = Math.sqrt(sse / (n - 2) / sxx);
    double t = new TDistribution(n - 2).inverseCumulativeProbability(0.975);
    assertThat(fit.slope()).as("slope").isCloseTo(slope, within(1e-10));
    assertThat(fit.intercept()).as("intercept").isCloseTo(my - slope * mx, within(1e-10));
    assertThat(fit.slopeStdErr()).as("standard error").isCloseTo(se, within(1e-10));
    assertThat(fit.slopeLow()).as("CI low").isCloseTo(slope - t * se, within(1e-8));
    assertThat(fit.slopeHigh()).as("CI high").isCloseTo(slope + t * se, within(1e-8));
    assertThat(fit.r2()).as("R²").isCloseTo(1 - sse / syy, within(1e-10));
  }

  @Test
  void intervalCoversAKnownExponentAtItsNominalRate() {
    // σ² = e^a F^(−ψ) with log-normal scatter: the 95% interval must contain ψ about 95% of the
    // time (binomial: 1000 trials, 95% ± 3 standard errors = [0.929, 0.971]).
    SplittableRandom random = new SplittableRandom(42);
    double psi = 4.0;
    int covered = 0;
    int trials = 1000;
    for (int trial = 0; trial < trials; trial++) {
      int n = 25;
      double[] f = new double[n];
      double[] variance = new double[n];
      for (int i = 0; i < n; i++) {
        f[i] = Math.exp(random.nextDouble(-1, 1.5));
        variance[i] = Math.exp(-3 - psi * Math.log(f[i]) + 0.5 * random.nextGaussian());
      }
      PowerLawFit.Fit fit = PowerLawFit.logLog(f, variance, 0.95);
      if (-fit.slopeHigh() <= psi && psi <= -fit.slopeLow()) {
        covered++;
      }
    }
    assertThat(covered / (double) trials)
        .as("coverage of the 95% interval")
        .isBetween(0.929, 0.971);
  }

  @Test
  void componentsHoldingCountsFromTheGivenIndex() {
    double[] variances = {100, 5, 3, 1, 1};
    // excluding index 0: total 10, 90% needs 5+3+1 = 9 -> 3 components
    assertThat(PowerLawFit.componentsHolding(variances, 1, 0.9)).isEqualTo(3);
    assertThat(PowerLawFit.componentsHolding(variances, 0, 0.9)).isEqualTo(1);
    assertThat(PowerLawFit.componentsHolding(new double[] {0, 0}, 0, 0.9)).isZero();
  }

  @Test
  void rejectsNonPositiveValuesWithTheOffendingPoint() {
    assertThatThrownBy(
            () -> PowerLawFit.logLog(new double[] {1, 2, 3}, new double[] {1, 0, 2}, 0.95))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Point 1");
  }
}
