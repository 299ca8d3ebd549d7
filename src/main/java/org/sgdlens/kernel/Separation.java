package org.sgdlens.kernel;

/** Separation of two score distributions from their summary statistics. */
public final class Separation {
  private Separation() {}

  /**
   * d' = (mean_W - mean_C) / pooled std, pooled with weights n - 1 (sample variances in).
   *
   * @return NaN if either group has fewer than 2 values or the pooled std is 0
   */
  public static double dPrime(
      double meanWrong,
      double sdWrong,
      long nWrong,
      double meanClean,
      double sdClean,
      long nClean) {
    if (nWrong < 2 || nClean < 2) {
      return Double.NaN;
    }
    double pooled =
        ((nWrong - 1) * sdWrong * sdWrong + (nClean - 1) * sdClean * sdClean)
            / (double) (nWrong + nClean - 2);
    return pooled > 0 ? (meanWrong - meanClean) / Math.sqrt(pooled) : Double.NaN;
  }

  /** Precision, recall and F1 of a flagged set; NaN where a denominator is 0. */
  public static double[] precisionRecallF1(long truePositives, long flagged, long actualPositives) {
    double precision = flagged > 0 ? (double) truePositives / flagged : Double.NaN;
    double recall = actualPositives > 0 ? (double) truePositives / actualPositives : Double.NaN;
    double f1 =
        Double.isNaN(precision) || Double.isNaN(recall)
            ? Double.NaN
            : precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
    return new double[] {precision, recall, f1};
  }
}
