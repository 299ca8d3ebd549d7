package org.sgdlens.kernel;

import java.util.Arrays;

/** Separation of two score distributions: AUROC from ranks, d' from summary statistics. */
public final class Separation {
  private Separation() {}

  /**
   * Exact area under the ROC curve of a score for the positive class, the Mann-Whitney statistic U
   * / (n_pos n_neg) with ties counted one half: the fraction of (positive, negative) pairs in which
   * the positive scores higher, plus half the tied pairs. Sorts the two arrays in place.
   *
   * @return NaN if either class is empty
   */
  public static double auroc(double[] positives, int nPos, double[] negatives, int nNeg) {
    if (nPos == 0 || nNeg == 0) {
      return Double.NaN;
    }
    Arrays.sort(positives, 0, nPos);
    Arrays.sort(negatives, 0, nNeg);
    // U counts pairs exactly (a sum of halves, below 2^53 for any table that fits a lake)
    double u = 0;
    int below = 0; // negatives strictly below the current positive
    int i = 0;
    while (i < nPos) {
      double p = positives[i];
      int same = 1;
      while (i + same < nPos && positives[i + same] == p) {
        same++;
      }
      while (below < nNeg && negatives[below] < p) {
        below++;
      }
      int tied = 0;
      while (below + tied < nNeg && negatives[below + tied] == p) {
        tied++;
      }
      u += same * (below + 0.5 * tied);
      i += same;
    }
    return u / ((double) nPos * nNeg);
  }

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
