package org.sgdlens.curvature;

/**
 * A symmetric linear operator {@code v -> H v} on {@code R^P}, applied to a batch of vectors at
 * once (the engine gets {@code k} Hessian-vector products from one backward pass). The algorithms
 * of this package ({@link Lanczos}, {@link Hutchinson}, {@link SpectralDensity}, {@link
 * DenseHessian}) see the Hessian only through it.
 */
public interface HessianOperator {
  /** The dimension {@code P}. */
  int dimension();

  /**
   * {@code H v_j} for each vector {@code v_j} of length {@link #dimension()}; the inputs are not
   * modified.
   */
  double[][] apply(double[][] vectors);

  /** How many vectors one {@link #apply} call should carry (memory grows with it). */
  default int preferredBatch() {
    return 8;
  }

  /** The operator of an explicit symmetric matrix, row-major {@code P x P} (tests, small cases). */
  static HessianOperator ofMatrix(double[] matrix, int p) {
    if (matrix.length != (long) p * p) {
      throw new IllegalArgumentException(
          "Matrix has " + matrix.length + " values, expected P*P with P=" + p);
    }
    return new HessianOperator() {
      @Override
      public int dimension() {
        return p;
      }

      @Override
      public double[][] apply(double[][] vectors) {
        double[][] out = new double[vectors.length][p];
        for (int j = 0; j < vectors.length; j++) {
          double[] v = vectors[j];
          for (int r = 0; r < p; r++) {
            double s = 0;
            int base = r * p;
            for (int c = 0; c < p; c++) {
              s += matrix[base + c] * v[c];
            }
            out[j][r] = s;
          }
        }
        return out;
      }
    };
  }
}
