package org.sgdlens.curvature;

import java.util.Arrays;
import java.util.Locale;
import org.sgdlens.kernel.Permutations;

/**
 * The training rows a curvature quantity averages over: a row-major feature matrix {@code x} (the
 * trainer's layout, {@code features} floats per row), the labels the loss is computed on (the
 * given, possibly noisy, labels), and which rows take part ({@code rows}, each counted once). The
 * mean loss is {@code L = (1/|rows|) sum_{n in rows} l_n}.
 */
public record Samples(float[] x, int[] labels, int[] rows) {
  /** Key of the subset's permutation stream, so a subset never shares a training permutation. */
  private static final long SUBSET_KEY = 0x4355_5256L;

  /** Every row of the data set. */
  public static Samples all(float[] x, int[] labels) {
    int[] rows = new int[labels.length];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = i;
    }
    return new Samples(x, labels, rows);
  }

  /**
   * A seeded subset of {@code count} distinct rows: the first {@code count} entries of {@code
   * Permutations.permutation(N, seed, SUBSET_KEY)}, sorted ascending. The same (N, count, seed)
   * always selects the same rows.
   */
  public static Samples subset(float[] x, int[] labels, int count, long seed) {
    if (count <= 0 || count > labels.length) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "A subset of %d rows was asked of a data set of %d rows; ask for 1..%d",
              count,
              labels.length,
              labels.length));
    }
    int[] perm = Permutations.permutation(labels.length, seed, SUBSET_KEY);
    int[] rows = Arrays.copyOf(perm, count);
    Arrays.sort(rows);
    return new Samples(x, labels, rows);
  }

  /** Number of rows taking part, the N of the mean. */
  public int count() {
    return rows.length;
  }

  void check(int features, int classes) {
    if (features <= 0 || x.length % features != 0 || x.length / features != labels.length) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "The feature matrix has %d floats for %d labels; the MLP reads %d features per row",
              x.length,
              labels.length,
              features));
    }
    if (rows.length == 0) {
      throw new IllegalArgumentException("No rows selected; a mean loss needs at least one row");
    }
    for (int r : rows) {
      if (r < 0 || r >= labels.length) {
        throw new IllegalArgumentException(
            "Row " + r + " is outside the data set of " + labels.length + " rows");
      }
      if (labels[r] < 0 || labels[r] >= classes) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "Row %d has label %d; the MLP has %d classes (labels 0..%d)",
                r,
                labels[r],
                classes,
                classes - 1));
      }
    }
  }
}
