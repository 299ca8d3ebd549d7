package org.sgdlens.kernel;

/**
 * Regression bands of a result over earlier nights: mean ± 3 sample standard deviations with at
 * least three earlier values, else [min, max] of the values there are.
 */
public final class Bands {
  /** Values needed before the band becomes mean ± k·sd instead of [min, max]. */
  public static final int MIN_FOR_SD = 3;

  public static final double SD_MULTIPLE = 3.0;

  private Bands() {}

  /**
   * @param rule "mean+-3sd" or "min-max"
   * @param count earlier values the band is made of
   */
  public record Band(double low, double high, String rule, int count) {
    /** Outside the band, NaN included. */
    public boolean excludes(double value) {
      return !(value >= low && value <= high);
    }
  }

  /** The band of {@code history} (finite values only), or null when there is none. */
  public static Band of(double[] history) {
    int n = 0;
    double sum = 0;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (double v : history) {
      if (Double.isFinite(v)) {
        n++;
        sum += v;
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
    }
    if (n == 0) {
      return null;
    }
    if (n < MIN_FOR_SD) {
      return new Band(min, max, "min-max", n);
    }
    double mean = sum / n;
    double ss = 0;
    for (double v : history) {
      if (Double.isFinite(v)) {
        ss += (v - mean) * (v - mean);
      }
    }
    double sd = Math.sqrt(ss / (n - 1));
    return new Band(mean - SD_MULTIPLE * sd, mean + SD_MULTIPLE * sd, "mean+-3sd", n);
  }
}
