package org.sgdlens.curvature;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The top-k eigenpairs (largest algebraic eigenvalues) of a symmetric operator by the Lanczos
 * method with full reorthogonalisation: {@code m} steps from a seeded Gaussian unit vector build an
 * orthonormal Krylov basis {@code Q} and the tridiagonal {@code T = Q^T H Q}; the eigenpairs {@code
 * (θ_i, s_i)} of {@code T} (LAPACK dstev) give the Ritz values {@code θ_i} and vectors {@code y_i =
 * Q s_i}. Each returned pair carries its true residual {@code |H y_i - θ_i y_i|}, from one batched
 * operator call. Memory: {@code m} vectors of length P. With {@code m = P} the result is the exact
 * eigendecomposition up to rounding.
 */
public final class Lanczos {
  private Lanczos() {}

  /**
   * Eigenpairs, largest eigenvalue first.
   *
   * @param values Ritz values, descending
   * @param vectors unit Ritz vectors, {@code vectors[i]} for {@code values[i]}
   * @param residuals {@code |H y_i - θ_i y_i|}
   * @param steps Lanczos steps taken (the Krylov dimension m)
   */
  public record Result(double[] values, double[][] vectors, double[] residuals, int steps) {}

  /** Steps unless given: {@code min(P, max(2k + 20, 3k))}. */
  public static int defaultSteps(int k, int p) {
    return Math.min(p, Math.max(2 * k + 20, 3 * k));
  }

  /** {@link #topK(HessianOperator, int, int, long)} with {@link #defaultSteps}. */
  public static Result topK(HessianOperator op, int k, long seed) {
    return topK(op, k, defaultSteps(k, op.dimension()), seed);
  }

  /** The {@code k} largest Ritz pairs after {@code steps} Lanczos steps from a seeded start. */
  public static Result topK(HessianOperator op, int k, int steps, long seed) {
    int p = op.dimension();
    if (k < 1 || k > p) {
      throw new IllegalArgumentException(
          String.format(Locale.ROOT, "k is %d; ask for 1..P eigenpairs, P=%d", k, p));
    }
    if (steps < k) {
      throw new IllegalArgumentException(
          String.format(Locale.ROOT, "steps is %d; Lanczos needs at least k=%d steps", steps, k));
    }
    SplittableRandom random = new SplittableRandom(seed);
    double[] start = new double[p];
    for (int i = 0; i < p; i++) {
      start[i] = random.nextGaussian();
    }
    normalise(start);
    Tridiagonal.Run run = Tridiagonal.run(op, new double[][] {start}, steps, random.nextLong())[0];
    int m = run.steps();
    Tridiagonal.Eigen eigen = Tridiagonal.eigen(run.alpha(), run.beta());
    double[] values = new double[k];
    double[][] vectors = new double[k][p];
    for (int i = 0; i < k; i++) {
      int col = m - 1 - i;
      values[i] = eigen.values()[col];
      for (int j = 0; j < m; j++) {
        double s = eigen.vector(col, j);
        double[] qj = run.q()[j];
        double[] y = vectors[i];
        for (int t = 0; t < p; t++) {
          y[t] += s * qj[t];
        }
      }
      normalise(vectors[i]);
    }
    double[] residuals = new double[k];
    double[][] hy = new double[k][];
    int batch = Math.max(1, op.preferredBatch());
    for (int from = 0; from < k; from += batch) {
      int count = Math.min(batch, k - from);
      double[][] chunk = new double[count][];
      System.arraycopy(vectors, from, chunk, 0, count);
      System.arraycopy(op.apply(chunk), 0, hy, from, count);
    }
    for (int i = 0; i < k; i++) {
      double s = 0;
      for (int t = 0; t < p; t++) {
        double r = hy[i][t] - values[i] * vectors[i][t];
        s += r * r;
      }
      residuals[i] = Math.sqrt(s);
    }
    return new Result(values, vectors, residuals, m);
  }

  private static void normalise(double[] v) {
    double norm = Math.sqrt(Tridiagonal.dot(v, v));
    for (int i = 0; i < v.length; i++) {
      v[i] /= norm;
    }
  }
}
