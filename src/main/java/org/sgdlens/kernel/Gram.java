package org.sgdlens.kernel;

/**
 * Inner products of float vectors accumulated in double: the per-chunk piece of a Gram matrix.
 * Summing the pieces of every chunk of a vector gives its full Gram matrix, so no task ever holds a
 * whole P-length vector.
 */
public final class Gram {
  private Gram() {}

  /**
   * Symmetric Gram matrix {@code out[i][j] = <v_i, v_j>} of vectors of equal length.
   *
   * @throws IllegalArgumentException if the vectors differ in length
   */
  public static double[][] of(float[][] vectors) {
    int n = vectors.length;
    double[][] asDouble = toDouble(vectors);
    double[][] out = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = i; j < n; j++) {
        double dot = dot(asDouble[i], asDouble[j]);
        out[i][j] = dot;
        out[j][i] = dot;
      }
    }
    return out;
  }

  /** Cross Gram matrix {@code out[i][j] = <a_i, b_j>}; every vector must have the same length. */
  public static double[][] cross(float[][] a, float[][] b) {
    double[][] da = toDouble(a);
    double[][] db = toDouble(b);
    if (da.length > 0 && db.length > 0 && da[0].length != db[0].length) {
      throw new IllegalArgumentException(
          "Vectors of length " + da[0].length + " and " + db[0].length + " cannot be multiplied");
    }
    double[][] out = new double[a.length][b.length];
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < b.length; j++) {
        out[i][j] = dot(da[i], db[j]);
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

  private static double[][] toDouble(float[][] vectors) {
    double[][] out = new double[vectors.length][];
    for (int i = 0; i < vectors.length; i++) {
      if (i > 0 && vectors[i].length != vectors[0].length) {
        throw new IllegalArgumentException(
            "Vector "
                + i
                + " has length "
                + vectors[i].length
                + " but vector 0 has "
                + vectors[0].length
                + "; all members of an ensemble must share the chunk grid");
      }
      double[] d = new double[vectors[i].length];
      for (int k = 0; k < d.length; k++) {
        d[k] = vectors[i][k];
      }
      out[i] = d;
    }
    return out;
  }

  private static double dot(double[] x, double[] y) {
    // Four independent accumulators let the JIT pipeline the multiply-adds.
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int k = 0;
    int end = x.length - 3;
    for (; k < end; k += 4) {
      s0 += x[k] * y[k];
      s1 += x[k + 1] * y[k + 1];
      s2 += x[k + 2] * y[k + 2];
      s3 += x[k + 3] * y[k + 3];
    }
    for (; k < x.length; k++) {
      s0 += x[k] * y[k];
    }
    return (s0 + s1) + (s2 + s3);
  }
}
