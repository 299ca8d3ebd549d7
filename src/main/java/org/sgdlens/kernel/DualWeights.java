package org.sgdlens.kernel;

/**
 * The activity–weight duality of one dense layer (Feng &amp; Tu 2022; docs/generalization.md,
 * "Duality"). A layer {@code z = W a + b} with weights {@code W} ({@code rows x cols}, row-major,
 * the layout of {@code fcN.weight}) maps a change of its input activity {@code Δa = a_test −
 * a_train} exactly to a change of its weights acting on the training activity: {@code Δw = (W Δa)
 * a_trainᵀ / |a_train|²}, so that {@code (W + Δw) a_train = W a_test}. The bias is untouched, so
 * the identity holds with or without one.
 */
public final class DualWeights {
  private DualWeights() {}

  /**
   * The dual weights {@code Δw = (W Δa) aᵀ / |a|²} of {@code a = train}, {@code Δa = test − train},
   * row-major {@code rows x cols}; null when {@code |a|² = 0} (no weight change acts on a zero
   * activity, so the pair has no dual weights).
   */
  public static double[] of(double[] w, int rows, int cols, double[] train, double[] test) {
    check(w, rows, cols, train, test);
    double norm2 = 0;
    for (double v : train) {
      norm2 += v * v;
    }
    if (norm2 == 0) {
      return null;
    }
    double[] dw = new double[rows * cols];
    for (int r = 0; r < rows; r++) {
      double s = 0;
      int base = r * cols;
      for (int c = 0; c < cols; c++) {
        s += w[base + c] * (test[c] - train[c]);
      }
      double scale = s / norm2;
      for (int c = 0; c < cols; c++) {
        dw[base + c] = scale * train[c];
      }
    }
    return dw;
  }

  /**
   * The error of the identity {@code (W + Δw) a_train = W a_test}: {@code max_r |((W + Δw)
   * a_train)_r − (W a_test)_r| / max(1, max_r |(W a_test)_r|)}, relative to the pre-activations'
   * scale (absolute below 1).
   */
  public static double identityError(
      double[] w, double[] dw, int rows, int cols, double[] train, double[] test) {
    check(w, rows, cols, train, test);
    if (dw.length != w.length) {
      throw new IllegalArgumentException(
          "Dual weights have " + dw.length + " values, the layer " + w.length);
    }
    double maxError = 0;
    double scale = 1;
    for (int r = 0; r < rows; r++) {
      double dual = 0;
      double direct = 0;
      int base = r * cols;
      for (int c = 0; c < cols; c++) {
        dual += (w[base + c] + dw[base + c]) * train[c];
        direct += w[base + c] * test[c];
      }
      maxError = Math.max(maxError, Math.abs(dual - direct));
      scale = Math.max(scale, Math.abs(direct));
    }
    return maxError / scale;
  }

  private static void check(double[] w, int rows, int cols, double[] train, double[] test) {
    if (rows <= 0 || cols <= 0 || w.length != (long) rows * cols) {
      throw new IllegalArgumentException(
          "A layer of " + rows + " x " + cols + " weights cannot hold " + w.length + " values");
    }
    if (train.length != cols || test.length != cols) {
      throw new IllegalArgumentException(
          "Activities have "
              + train.length
              + " and "
              + test.length
              + " values; the layer reads "
              + cols);
    }
  }
}
