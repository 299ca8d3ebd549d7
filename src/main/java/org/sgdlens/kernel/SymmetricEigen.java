package org.sgdlens.kernel;

import dev.ludovic.netlib.lapack.LAPACK;
import org.netlib.util.intW;

/**
 * Eigen-decomposition of a dense symmetric matrix through LAPACK {@code dsyevd} (netlib: the native
 * OpenBLAS/LAPACK when installed, its Java translation otherwise).
 */
public final class SymmetricEigen {
  private SymmetricEigen() {}

  /**
   * Eigenpairs of a symmetric matrix, largest eigenvalue first.
   *
   * @param values eigenvalues, descending
   * @param vectors eigenvector {@code k} is {@code vectors[k*n .. k*n+n)}, unit length
   */
  public record Decomposition(int n, double[] values, double[] vectors) {
    public double vector(int k, int i) {
      return vectors[k * n + i];
    }
  }

  /**
   * Decomposes an {@code n×n} symmetric matrix given in full (row- or column-major, which are the
   * same for a symmetric matrix). Only the upper triangle (column-major) is read; the input is not
   * modified.
   */
  public static Decomposition decompose(double[] matrix, int n) {
    if (n < 1 || matrix.length != (long) n * n) {
      throw new IllegalArgumentException(
          "Matrix has " + matrix.length + " values, expected n*n with n=" + n);
    }
    double[] a = matrix.clone();
    double[] w = new double[n];
    intW info = new intW(0);
    LAPACK lapack = LAPACK.getInstance();
    double[] workQuery = new double[1];
    int[] iworkQuery = new int[1];
    lapack.dsyevd("V", "U", n, a, n, w, workQuery, -1, iworkQuery, -1, info);
    checkInfo(info);
    double[] work = new double[Math.max(1, (int) workQuery[0])];
    int[] iwork = new int[Math.max(1, iworkQuery[0])];
    lapack.dsyevd("V", "U", n, a, n, w, work, work.length, iwork, iwork.length, info);
    checkInfo(info);
    // dsyevd returns ascending values and eigenvectors as columns (column-major): reverse both.
    double[] values = new double[n];
    double[] vectors = new double[n * n];
    for (int k = 0; k < n; k++) {
      int src = n - 1 - k;
      values[k] = w[src];
      System.arraycopy(a, src * n, vectors, k * n, n);
    }
    return new Decomposition(n, values, vectors);
  }

  private static void checkInfo(intW info) {
    if (info.val != 0) {
      throw new ArithmeticException("LAPACK dsyevd failed with info=" + info.val);
    }
  }
}
