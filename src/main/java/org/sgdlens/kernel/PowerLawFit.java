package org.sgdlens.kernel;

import org.apache.commons.math3.stat.regression.SimpleRegression;

/**
 * Least-squares fits of power laws {@code y = e^a x^b} on log–log axes (commons-math3 {@link
 * SimpleRegression}), with the slope's confidence interval from Student's t with n−2 degrees of
 * freedom.
 */
public final class PowerLawFit {
  private PowerLawFit() {}

  /**
   * A fit of {@code log y = intercept + slope · log x}.
   *
   * @param slopeLow lower end of the slope's confidence interval
   * @param slopeHigh upper end
   * @param r2 coefficient of determination on the log–log axes
   */
  public record Fit(
      int n,
      double slope,
      double slopeStdErr,
      double slopeLow,
      double slopeHigh,
      double intercept,
      double r2,
      double confidence) {}

  /**
   * Fits {@code log y = a + b log x} over points with {@code x > 0} and {@code y > 0}.
   *
   * @param confidence level of the slope interval, e.g. 0.95
   * @throws IllegalArgumentException with fewer than 3 points, or a non-positive value
   */
  public static Fit logLog(double[] x, double[] y, double confidence) {
    if (x.length != y.length) {
      throw new IllegalArgumentException(
          "x has " + x.length + " values but y has " + y.length + "; give one y per x");
    }
    if (x.length < 3) {
      throw new IllegalArgumentException(
          "A power-law fit with a confidence interval needs at least 3 points, got "
              + x.length
              + "; widen the component range");
    }
    if (!(confidence > 0 && confidence < 1)) {
      throw new IllegalArgumentException(
          "Confidence level " + confidence + " is not in (0, 1); give e.g. 0.95");
    }
    SimpleRegression regression = new SimpleRegression(true);
    for (int i = 0; i < x.length; i++) {
      if (!(x[i] > 0) || !(y[i] > 0) || !Double.isFinite(x[i]) || !Double.isFinite(y[i])) {
        throw new IllegalArgumentException(
            "Point "
                + i
                + " (x="
                + x[i]
                + ", y="
                + y[i]
                + ") is not positive and finite;"
                + " a log–log fit needs x > 0 and y > 0");
      }
      regression.addData(Math.log(x[i]), Math.log(y[i]));
    }
    double slope = regression.getSlope();
    double halfWidth = regression.getSlopeConfidenceInterval(1 - confidence);
    return new Fit(
        x.length,
        slope,
        regression.getSlopeStdErr(),
        slope - halfWidth,
        slope + halfWidth,
        regression.getIntercept(),
        regression.getRSquare(),
        confidence);
  }

  /**
   * The number of leading components, counted from index {@code from} (0-based) of a descending
   * variance spectrum, that hold at least {@code fraction} of the variance from {@code from} on; 0
   * when there is no variance there.
   */
  public static int componentsHolding(double[] variances, int from, double fraction) {
    double total = 0;
    for (int i = from; i < variances.length; i++) {
      total += variances[i];
    }
    return componentsHolding(variances, from, fraction, total);
  }

  /**
   * As {@link #componentsHolding(double[], int, double)}, of a given {@code total} (the variance of
   * components {@code from..} of the whole spectrum, of which {@code variances} may hold only the
   * leading ones); when those do not reach the fraction, all of them are counted (a lower bound).
   */
  public static int componentsHolding(double[] variances, int from, double fraction, double total) {
    if (!(fraction > 0 && fraction <= 1)) {
      throw new IllegalArgumentException(
          "Variance fraction " + fraction + " is not in (0, 1]; give e.g. 0.9");
    }
    if (!(total > 0)) {
      return 0;
    }
    double sum = 0;
    for (int i = from; i < variances.length; i++) {
      sum += variances[i];
      if (sum >= fraction * total * (1 - 1e-12)) {
        return i - from + 1;
      }
    }
    return variances.length - from;
  }
}
