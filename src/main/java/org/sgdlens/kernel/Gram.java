package org.sgdlens.kernel;

import dev.ludovic.netlib.blas.BLAS;

/**
 * Inner products of float vectors accumulated in double: the per-chunk piece of a Gram matrix.
 * Summing the pieces of every chunk of a vector gives its full Gram matrix, so no task ever holds a
 * whole P-length vector.
 */
public final class Gram {
  private Gram() {}

  /**
   * Symmetric Gram matrix {@code out[i][j] = <v_i, v_j>} of vectors of equal length: one BLAS
   * {@code dsyrk} over the vectors widened to double (the native BLAS where one is installed: this
   * is most of order-params' CPU).
   *
   * @throws IllegalArgumentException if the vectors differ in length
   */
  public static double[][] of(float[][] vectors) {
    int n = vectors.length;
    double[][] out = new double[n][n];
    if (n == 0) {
      return out;
    }
    int len = vectors[0].length;
    double[] a = columns(vectors, len, null);
    double[] c = new double[n * n];
    // a is this thread's reused buffer, possibly longer than n * len: BLAS reads only n columns.
    if (len > 0) {
      BLAS.getInstance().dsyrk("U", "T", n, len, 1.0, a, len, 0.0, c, n);
    }
    for (int j = 0; j < n; j++) {
      for (int i = 0; i <= j; i++) {
        out[i][j] = c[i + j * n];
        out[j][i] = out[i][j];
      }
    }
    return out;
  }

  /**
   * Cross Gram matrix {@code out[i][j] = <a_i, b_j>}; every vector must have the same length. One
   * BLAS {@code dgemm} over the vectors widened to double.
   */
  public static double[][] cross(float[][] a, float[][] b) {
    double[][] out = new double[a.length][b.length];
    if (a.length == 0 || b.length == 0) {
      return out;
    }
    int len = a[0].length;
    if (b[0].length != len) {
      throw new IllegalArgumentException(
          "Vectors of length " + len + " and " + b[0].length + " cannot be multiplied");
    }
    double[] da = columns(a, len, new double[a.length * len]);
    double[] db = columns(b, len, new double[b.length * len]);
    double[] c = new double[a.length * b.length];
    if (len > 0) {
      BLAS.getInstance()
          .dgemm("T", "N", a.length, b.length, len, 1.0, da, len, db, len, 0.0, c, a.length);
    }
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < b.length; j++) {
        out[i][j] = c[i + j * a.length];
      }
    }
    return out;
  }

  /** Number of NaN or infinite values: a diverged run's gradients have some. */
  public static long nonFinite(float[] values) {
    long count = 0;
    for (float v : values) {
      if (!Float.isFinite(v)) {
        count++;
      }
    }
    return count;
  }

  /** Element-wise {@code target += piece}. */
  public static void addInto(double[][] target, double[][] piece) {
    for (int i = 0; i < target.length; i++) {
      for (int j = 0; j < target[i].length; j++) {
        target[i][j] += piece[i][j];
      }
    }
  }

  /**
   * Each thread's widening buffer, reused: a chunk's 2M vectors in double are tens of MB, which the
   * JVM would otherwise allocate (and zero) as a humongous object per chunk. A task thread keeps
   * its largest one (one chunk group: 2M × chunk doubles) for its life.
   */
  private static final ThreadLocal<double[]> BUFFER = ThreadLocal.withInitial(() -> new double[0]);

  /**
   * The vectors as the columns of a column-major {@code len × n} double matrix, in {@code into}, or
   * with null in this thread's buffer (valid until its next use on this thread).
   */
  private static double[] columns(float[][] vectors, int len, double[] into) {
    long need = (long) vectors.length * len;
    if (need > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          vectors.length + " vectors of " + len + " values exceed one array; use smaller chunks");
    }
    double[] out = into == null ? BUFFER.get() : into;
    if (into == null && out.length < need) {
      out = new double[(int) need];
      BUFFER.set(out);
    }
    for (int i = 0; i < vectors.length; i++) {
      if (vectors[i].length != len) {
        throw new IllegalArgumentException(
            "Vector "
                + i
                + " has length "
                + vectors[i].length
                + " but vector 0 has "
                + len
                + "; all members of an ensemble must share the chunk grid");
      }
      int base = i * len;
      for (int k = 0; k < len; k++) {
        out[base + k] = vectors[i][k];
      }
    }
    return out;
  }
}
