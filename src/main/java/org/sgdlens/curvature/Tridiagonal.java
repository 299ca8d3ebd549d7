package org.sgdlens.curvature;

import dev.ludovic.netlib.lapack.LAPACK;
import java.util.SplittableRandom;
import org.netlib.util.intW;

/**
 * Lanczos tridiagonalisation with full reorthogonalisation, run for several start vectors in
 * lock-step so that each step is one batched {@link HessianOperator#apply}, and the symmetric
 * tridiagonal eigenproblem through LAPACK {@code dstev}.
 */
final class Tridiagonal {
  private Tridiagonal() {}

  /**
   * One Lanczos run: {@code T = Q^T H Q} with diagonal {@code alpha[0..m)}, off-diagonal {@code
   * beta[0..m-1)}, basis {@code q[0..m)} (orthonormal rows of length P). An off-diagonal 0 marks a
   * restart after an invariant subspace was found (the new vector is random, orthogonal to the
   * basis).
   */
  record Run(double[] alpha, double[] beta, double[][] q) {
    int steps() {
      return alpha.length;
    }
  }

  /** Eigenpairs of a tridiagonal matrix, ascending; eigenvector {@code i} is column {@code i}. */
  record Eigen(int m, double[] values, double[] vectors) {
    double vector(int i, int row) {
      return vectors[i * m + row];
    }
  }

  /**
   * {@code steps} Lanczos steps (at most P) from each unit start vector, the runs advancing
   * together. Each new vector is orthogonalised twice against the whole basis (classical
   * Gram-Schmidt, twice is enough), so the basis stays orthonormal to rounding.
   */
  static Run[] run(HessianOperator op, double[][] starts, int steps, long seed) {
    int p = op.dimension();
    int m = Math.min(steps, p);
    int runs = starts.length;
    double[][] alpha = new double[runs][m];
    double[][] beta = new double[runs][Math.max(0, m - 1)];
    double[][][] q = new double[runs][m][];
    SplittableRandom random = new SplittableRandom(seed);
    for (int r = 0; r < runs; r++) {
      q[r][0] = starts[r].clone();
    }
    double[][] current = new double[runs][];
    for (int j = 0; j < m; j++) {
      for (int r = 0; r < runs; r++) {
        current[r] = q[r][j];
      }
      double[][] w = op.apply(current);
      for (int r = 0; r < runs; r++) {
        double[] v = w[r];
        alpha[r][j] = dot(q[r][j], v);
        if (j == m - 1) {
          continue;
        }
        orthogonalise(v, q[r], j + 1);
        orthogonalise(v, q[r], j + 1);
        double norm = Math.sqrt(dot(v, v));
        double scale = 0;
        for (int i = 0; i <= j; i++) {
          scale = Math.max(scale, Math.abs(alpha[r][i]));
          if (i < j) {
            scale = Math.max(scale, Math.abs(beta[r][i]));
          }
        }
        if (norm <= 1e-12 * Math.max(scale, Double.MIN_NORMAL)) {
          // Invariant subspace: continue in a random direction orthogonal to it (T splits).
          beta[r][j] = 0;
          v = randomUnitOrthogonal(p, q[r], j + 1, random);
        } else {
          beta[r][j] = norm;
          for (int i = 0; i < p; i++) {
            v[i] /= norm;
          }
        }
        q[r][j + 1] = v;
      }
    }
    Run[] out = new Run[runs];
    for (int r = 0; r < runs; r++) {
      out[r] = new Run(alpha[r], beta[r], q[r]);
    }
    return out;
  }

  /** All eigenpairs of the tridiagonal matrix (LAPACK dstev, ascending). */
  static Eigen eigen(double[] alpha, double[] beta) {
    int m = alpha.length;
    double[] d = alpha.clone();
    double[] e = new double[Math.max(1, m - 1)];
    System.arraycopy(beta, 0, e, 0, m - 1);
    double[] z = new double[m * m];
    double[] work = new double[Math.max(1, 2 * m - 2)];
    intW info = new intW(0);
    LAPACK.getInstance().dstev("V", m, d, e, z, m, work, info);
    if (info.val != 0) {
      throw new ArithmeticException("LAPACK dstev failed with info=" + info.val);
    }
    return new Eigen(m, d, z);
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  private static void orthogonalise(double[] v, double[][] basis, int count) {
    double[] c = new double[count];
    for (int i = 0; i < count; i++) {
      c[i] = dot(basis[i], v);
    }
    for (int i = 0; i < count; i++) {
      double[] b = basis[i];
      double ci = c[i];
      for (int t = 0; t < v.length; t++) {
        v[t] -= ci * b[t];
      }
    }
  }

  private static double[] randomUnitOrthogonal(
      int p, double[][] basis, int count, SplittableRandom random) {
    while (true) {
      double[] v = new double[p];
      for (int i = 0; i < p; i++) {
        v[i] = random.nextGaussian();
      }
      orthogonalise(v, basis, count);
      orthogonalise(v, basis, count);
      double norm = Math.sqrt(dot(v, v));
      if (norm > 1e-8) {
        for (int i = 0; i < p; i++) {
          v[i] /= norm;
        }
        return v;
      }
    }
  }
}
