package org.sgdlens.kernel;

import dev.ludovic.netlib.lapack.LAPACK;
import org.netlib.util.intW;

/**
 * Eigen-decomposition of a dense symmetric matrix through LAPACK (netlib: the native
 * OpenBLAS/LAPACK when installed, its Java translation otherwise): every eigenpair by {@code
 * dsyevd} (divide and conquer), or only the k largest by {@code dsyevr} with {@code RANGE='I'}
 * (tridiagonal reduction, then MRRR for the k wanted pairs and a back-transform of k vectors
 * instead of n).
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

  /**
   * {@link #leading} asks {@code dsyevr} for k pairs only when k is at most n / this; for more, the
   * saving over {@code dsyevd}'s full decomposition is small and dsyevd is the better-tested route.
   */
  public static final int PARTIAL_MIN_RATIO = 4;

  /**
   * The {@code k} largest eigenpairs of an {@code n×n} symmetric matrix (same input contract as
   * {@link #decompose}), largest first. Uses {@code dsyevr} with {@code RANGE='I'} when {@code k ≤
   * n / }{@link #PARTIAL_MIN_RATIO}, otherwise {@link #decompose} truncated to k: the values and
   * vectors are those of the full decomposition either way, to rounding.
   *
   * @return a decomposition with {@code k} values and vectors
   */
  public static Decomposition leading(double[] matrix, int n, int k) {
    if (n < 1 || matrix.length != (long) n * n) {
      throw new IllegalArgumentException(
          "Matrix has " + matrix.length + " values, expected n*n with n=" + n);
    }
    if (k < 1 || k > n) {
      throw new IllegalArgumentException(
          "Asked for the "
              + k
              + " largest eigenpairs of a "
              + n
              + "x"
              + n
              + " matrix; give 1.."
              + n);
    }
    if ((long) k * PARTIAL_MIN_RATIO > n) {
      Decomposition full = decompose(matrix, n);
      return new Decomposition(
          n,
          java.util.Arrays.copyOf(full.values(), k),
          java.util.Arrays.copyOf(full.vectors(), k * n));
    }
    double[] a = matrix.clone();
    double[] w = new double[n];
    double[] z = new double[n * k];
    int[] isuppz = new int[2 * n]; // netlib checks 2n, though LAPACK needs 2k
    intW found = new intW(0);
    intW info = new intW(0);
    LAPACK lapack = LAPACK.getInstance();
    // ABSTOL = safe minimum: dsyevr's documented choice for eigenvalues to high relative accuracy.
    double abstol = lapack.dlamch("S");
    double[] workQuery = new double[1];
    int[] iworkQuery = new int[1];
    int il = n - k + 1;
    lapack.dsyevr(
        "V",
        "I",
        "U",
        n,
        a,
        n,
        0,
        0,
        il,
        n,
        abstol,
        found,
        w,
        z,
        n,
        isuppz,
        workQuery,
        -1,
        iworkQuery,
        -1,
        info);
    checkInfo("dsyevr", info);
    double[] work = new double[Math.max(1, (int) workQuery[0])];
    int[] iwork = new int[Math.max(1, iworkQuery[0])];
    lapack.dsyevr(
        "V",
        "I",
        "U",
        n,
        a,
        n,
        0,
        0,
        il,
        n,
        abstol,
        found,
        w,
        z,
        n,
        isuppz,
        work,
        work.length,
        iwork,
        iwork.length,
        info);
    checkInfo("dsyevr", info);
    if (found.val != k) {
      throw new ArithmeticException(
          "LAPACK dsyevr returned " + found.val + " eigenpairs for RANGE='I' " + il + ".." + n);
    }
    // Ascending values, vectors as the columns of z: reverse both.
    double[] values = new double[k];
    double[] vectors = new double[k * n];
    for (int i = 0; i < k; i++) {
      int src = k - 1 - i;
      values[i] = w[src];
      System.arraycopy(z, src * n, vectors, i * n, n);
    }
    return new Decomposition(n, values, vectors);
  }

  private static void checkInfo(intW info) {
    checkInfo("dsyevd", info);
  }

  private static void checkInfo(String routine, intW info) {
    if (info.val != 0) {
      throw new ArithmeticException("LAPACK " + routine + " failed with info=" + info.val);
    }
  }
}
