package org.sgdlens.kernel;

import java.util.Arrays;

/** Sample quantiles with linear interpolation between order statistics (numpy's default). */
public final class Quantiles {
  private Quantiles() {}

  /** Quantile {@code p} in [0, 1] of ascending {@code sorted}; NaN for an empty array. */
  public static double ofSorted(double[] sorted, double p) {
    if (p < 0 || p > 1) {
      throw new IllegalArgumentException("Quantile level " + p + " is outside [0, 1]");
    }
    if (sorted.length == 0) {
      return Double.NaN;
    }
    double h = (sorted.length - 1) * p;
    int lo = (int) Math.floor(h);
    int hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
  }

  /** Quantiles of unsorted values at each level (the input is not modified). */
  public static double[] of(double[] values, double... levels) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    double[] out = new double[levels.length];
    for (int i = 0; i < levels.length; i++) {
      out[i] = ofSorted(sorted, levels[i]);
    }
    return out;
  }
}
