package org.sgdlens.curvature;

import java.util.Locale;

/**
 * The dense Hessian (block) of a small layer: column {@code i} is {@code H e_i}, {@code P}
 * Hessian-vector products against the unit vectors in batches of the operator's preferred size. The
 * exact Hessian is symmetric; the computed one differs by rounding, so the result is the
 * symmetrised {@code (M + M^T)/2} and the asymmetry {@code max_ij |M_ij - M_ji|} is reported, with
 * its ratio to {@code max_ij |M_ij|}. Memory: {@code P^2} doubles (200 MB at the limit).
 */
public final class DenseHessian {
  private DenseHessian() {}

  /** Largest P built densely. */
  public static final int MAX_DIMENSION = 5000;

  /**
   * A symmetrised dense Hessian block.
   *
   * @param matrix row-major {@code P x P}, symmetric
   * @param asymmetry {@code max_ij |M_ij - M_ji|} before symmetrising
   * @param relativeAsymmetry asymmetry over {@code max_ij |M_ij|} (0 for a zero matrix)
   */
  public record Dense(int p, double[] matrix, double asymmetry, double relativeAsymmetry) {
    public double get(int row, int col) {
      return matrix[row * p + col];
    }
  }

  public static Dense of(HessianOperator op) {
    int p = op.dimension();
    if (p > MAX_DIMENSION) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "The operator has P=%d; DenseHessian builds at most P=%d (select a smaller layer, or"
                  + " use Lanczos, Hutchinson or SpectralDensity)",
              p,
              MAX_DIMENSION));
    }
    double[] m = new double[p * p];
    int batch = Math.max(1, op.preferredBatch());
    for (int from = 0; from < p; from += batch) {
      int count = Math.min(batch, p - from);
      double[][] units = new double[count][p];
      for (int j = 0; j < count; j++) {
        units[j][from + j] = 1;
      }
      double[][] columns = op.apply(units);
      for (int j = 0; j < count; j++) {
        int col = from + j;
        for (int row = 0; row < p; row++) {
          m[row * p + col] = columns[j][row];
        }
      }
    }
    double largest = 0;
    for (double v : m) {
      largest = Math.max(largest, Math.abs(v));
    }
    double asymmetry = 0;
    for (int r = 0; r < p; r++) {
      for (int c = r + 1; c < p; c++) {
        double a = m[r * p + c];
        double b = m[c * p + r];
        asymmetry = Math.max(asymmetry, Math.abs(a - b));
        double mean = 0.5 * (a + b);
        m[r * p + c] = mean;
        m[c * p + r] = mean;
      }
    }
    return new Dense(p, m, asymmetry, largest == 0 ? 0 : asymmetry / largest);
  }
}
