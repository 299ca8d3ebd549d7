package org.sgdlens.kernel;

import dev.ludovic.netlib.blas.BLAS;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * SGD noise covariance against curvature in one layer block (docs/curvature.md section 5): the
 * layouts of the per-sample sums a {@link LayerCurvatureProbe} returns, their accumulation, and the
 * driver's combination into {@code H = U Λ Uᵀ}, the Fisher {@code F}, the minibatch noise
 * covariance {@code C}, {@code E[h²]}, their diagonals in H's eigenbasis, the power-law fits, the
 * relative commutator and the Frobenius cosines. Primitive arrays in and out; matrices are
 * row-major {@code p × p} (all symmetric, so row- and column-major coincide).
 */
public final class NoiseCurvatureStats {
  private NoiseCurvatureStats() {}

  /** Relative eigenvalue floor of the default fit range: λ_i ≥ floor · λ_max. */
  public static final double FLOOR_DEFAULT = 1e-6;

  /** Confidence level of the slope intervals. */
  public static final double CONFIDENCE = 0.95;

  // ---- layouts ----

  /** count, Σ l, Σ g (p), Σ g gᵀ (p²), Σ h (p²). */
  public static int firstPassLength(int p) {
    return 2 + p + 2 * p * p;
  }

  /** Σ |h u_i|² (p), then Σ h² (p²) when full. */
  public static int secondPassLength(int p, boolean full) {
    return p + (full ? p * p : 0);
  }

  static int gradientOffset() {
    return 2;
  }

  static int outerOffset(int p) {
    return 2 + p;
  }

  static int hessianOffset(int p) {
    return 2 + p + p * p;
  }

  /** {@code a += b}, elementwise; returns {@code a} (Spark's reduce and treeAggregate combiner). */
  public static double[] add(double[] a, double[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException(
          "Partial sums of " + a.length + " and " + b.length + " values cannot be added");
    }
    for (int i = 0; i < a.length; i++) {
      a[i] += b[i];
    }
    return a;
  }

  /**
   * {@code target[offset ..] += Σ_r v_r v_rᵀ} over the rows of {@code vectors} ({@code m × p},
   * row-major in {@code packed}), through BLAS {@code dsyrk} on the upper triangle; call {@link
   * #symmetrize} once all rows are in.
   */
  public static void addGram(double[] target, int offset, double[] packed, int m, int p) {
    if (m == 0) {
      return;
    }
    if (packed.length < (long) m * p) {
      throw new IllegalArgumentException(
          "packed has " + packed.length + " values for " + m + " vectors of " + p);
    }
    // Row-major m×p is column-major p×m (A); A Aᵀ = Σ_r v_r v_rᵀ.
    BLAS.getInstance().dsyrk("U", "N", p, m, 1.0, packed, 0, p, 1.0, target, offset, p);
  }

  /** Copies the upper triangle (column-major, as dsyrk leaves it) onto the lower one. */
  public static void symmetrize(double[] target, int offset, int p) {
    for (int j = 0; j < p; j++) {
      for (int i = 0; i < j; i++) {
        target[offset + j + i * p] = target[offset + i + j * p];
      }
    }
  }

  /** The rows of a matrix packed row-major, the layout {@link #addGram} takes. */
  public static double[] pack(double[][] rows, int p) {
    double[] out = new double[rows.length * p];
    for (int r = 0; r < rows.length; r++) {
      System.arraycopy(rows[r], 0, out, r * p, p);
    }
    return out;
  }

  // ---- the driver's combination ----

  /** The moments of pass 1 as means over the N rows. */
  public record Moments(
      int p,
      long n,
      double loss,
      double[] meanGradient,
      double[] fisher,
      double[] gradientCovariance,
      double[] hessian) {}

  /**
   * Means of pass 1: {@code F = (1/N) Σ g gᵀ}, {@code Σ_g = F − ḡḡᵀ} (the population covariance of
   * the per-sample gradients), {@code H = (1/N) Σ h_n} (symmetrized).
   */
  public static Moments moments(double[] sums, int p) {
    if (sums.length != firstPassLength(p)) {
      throw new IllegalArgumentException(
          "Pass-1 sums have " + sums.length + " values; expected " + firstPassLength(p));
    }
    long n = Math.round(sums[0]);
    if (n < 1) {
      throw new IllegalArgumentException("Pass 1 covered no training rows");
    }
    double[] g = new double[p];
    for (int i = 0; i < p; i++) {
      g[i] = sums[gradientOffset() + i] / n;
    }
    double[] f = new double[p * p];
    double[] sigma = new double[p * p];
    double[] h = new double[p * p];
    int fo = outerOffset(p);
    int ho = hessianOffset(p);
    for (int i = 0; i < p; i++) {
      for (int j = 0; j < p; j++) {
        double fij = 0.5 * (sums[fo + i * p + j] + sums[fo + j * p + i]) / n;
        f[i * p + j] = fij;
        sigma[i * p + j] = fij - g[i] * g[j];
        h[i * p + j] = 0.5 * (sums[ho + i * p + j] + sums[ho + j * p + i]) / n;
      }
    }
    return new Moments(p, n, sums[1] / n, g, f, sigma, h);
  }

  /**
   * The factor of the covariance of a minibatch-mean gradient of size B drawn without replacement
   * from N samples: {@code Cov(g^μ) = (1/B)·(N−B)/(N−1)·Σ_g}.
   *
   * @throws IllegalArgumentException unless 1 ≤ B ≤ N and N ≥ 2
   */
  public static double minibatchFactor(long n, int batch) {
    if (n < 2) {
      throw new IllegalArgumentException(
          "The noise covariance needs at least 2 training samples, got N = " + n);
    }
    if (batch < 1 || batch > n) {
      throw new IllegalArgumentException(
          "Batch size B = "
              + batch
              + " is not in 1.."
              + n
              + " (N, the training samples); the run's sgd.batch_size must fit the training set");
    }
    return (double) (n - batch) / ((double) batch * (n - 1));
  }

  /** One power-law fit {@code log y_i = a + γ log λ_i} over the chosen eigen-indices. */
  public record GammaFit(
      int points,
      double gamma,
      double low,
      double high,
      double stdErr,
      double r2,
      double intercept) {}

  /** The indices and the rule that chose them. */
  public record FitRange(int[] indices, String description) {}

  /**
   * The 0-based eigen-indices of the fit: for {@code spec} "auto" (or blank), every i with {@code
   * λ_i > 0} and {@code λ_i ≥ floor · λ_max}; otherwise 1-based indices like "1-50" or "2,5,7-9"
   * (restricted to those with λ_i > 0).
   */
  public static FitRange fitRange(double[] lambda, String spec, double floor) {
    double max = lambda.length == 0 ? 0 : lambda[0];
    List<Integer> chosen = new ArrayList<>();
    String description;
    if (spec == null || spec.isBlank() || spec.trim().equals("auto")) {
      if (!(floor > 0 && floor < 1)) {
        throw new IllegalArgumentException(
            "--floor " + floor + " is not in (0, 1); give a relative floor such as 1e-6");
      }
      for (int i = 0; i < lambda.length; i++) {
        if (lambda[i] > 0 && lambda[i] >= floor * max) {
          chosen.add(i);
        }
      }
      description =
          String.format(
              Locale.ROOT,
              "auto: lambda_i >= %.3g * lambda_max = %.6g (%d of %d)",
              floor,
              floor * max,
              chosen.size(),
              lambda.length);
    } else {
      for (int[] r : ranges(spec)) {
        if (r[1] > lambda.length) {
          throw new IllegalArgumentException(
              "--gamma-range '"
                  + spec
                  + "' reaches eigen-index "
                  + r[1]
                  + " but the layer has "
                  + lambda.length
                  + "; give indices within 1-"
                  + lambda.length
                  + " or auto");
        }
        for (int i = r[0] - 1; i < r[1]; i++) {
          if (lambda[i] > 0 && !chosen.contains(i)) {
            chosen.add(i);
          }
        }
      }
      chosen.sort(null);
      description =
          String.format(
              Locale.ROOT,
              "%s, lambda_i > 0 (%d of %d)",
              spec.trim(),
              chosen.size(),
              lambda.length);
    }
    return new FitRange(chosen.stream().mapToInt(Integer::intValue).toArray(), description);
  }

  /**
   * Checks a {@code --gamma-range} before any data is read: "auto" (or blank), or 1-based ranges
   * like "1-50" or "2,5,7-9".
   */
  public static void checkRange(String spec) {
    if (!(spec == null || spec.isBlank() || spec.trim().equals("auto"))) {
      ranges(spec);
    }
  }

  /** The 1-based inclusive ranges of a spec such as "2,5,7-9". */
  private static List<int[]> ranges(String spec) {
    List<int[]> out = new ArrayList<>();
    for (String part : spec.split(",")) {
      String s = part.trim();
      if (s.isEmpty()) {
        continue;
      }
      int from;
      int to;
      try {
        int dash = s.indexOf('-', 1);
        from = Integer.parseInt(dash < 0 ? s : s.substring(0, dash).trim());
        to = dash < 0 ? from : Integer.parseInt(s.substring(dash + 1).trim());
      } catch (NumberFormatException e) {
        from = -1;
        to = -1;
      }
      if (from < 1 || to < from) {
        throw new IllegalArgumentException(
            "--gamma-range '"
                + spec
                + "' has '"
                + s
                + "', which is not a range of 1-based eigen-indices; give e.g. 1-50, 2,5,7-9"
                + " or auto");
      }
      out.add(new int[] {from, to});
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(
          "--gamma-range '" + spec + "' selects nothing; give e.g. 1-50 or auto");
    }
    return out;
  }

  /**
   * Least-squares {@code log y_i = a + γ log λ_i} over the range's indices where {@code y_i > 0};
   * null when fewer than 3 such points remain.
   */
  public static GammaFit fit(double[] lambda, double[] y, int[] indices) {
    List<double[]> points = new ArrayList<>();
    for (int i : indices) {
      if (lambda[i] > 0 && y[i] > 0 && Double.isFinite(y[i])) {
        points.add(new double[] {lambda[i], y[i]});
      }
    }
    if (points.size() < 3) {
      return null;
    }
    double[] x = new double[points.size()];
    double[] v = new double[points.size()];
    for (int k = 0; k < x.length; k++) {
      x[k] = points.get(k)[0];
      v[k] = points.get(k)[1];
    }
    PowerLawFit.Fit f = PowerLawFit.logLog(x, v, CONFIDENCE);
    return new GammaFit(
        f.n(), f.slope(), f.slopeLow(), f.slopeHigh(), f.slopeStdErr(), f.r2(), f.intercept());
  }

  /** Diagonal {@code (Uᵀ M U)_ii = u_iᵀ M u_i} for the eigenvectors of {@code eigen}. */
  public static double[] diagonalIn(SymmetricEigen.Decomposition eigen, double[] matrix) {
    int p = eigen.n();
    double[] out = new double[p];
    double[] mu = new double[p];
    for (int k = 0; k < p; k++) {
      int base = k * p;
      for (int r = 0; r < p; r++) {
        double s = 0;
        int row = r * p;
        for (int c = 0; c < p; c++) {
          s += matrix[row + c] * eigen.vectors()[base + c];
        }
        mu[r] = s;
      }
      double d = 0;
      for (int r = 0; r < p; r++) {
        d += eigen.vectors()[base + r] * mu[r];
      }
      out[k] = d;
    }
    return out;
  }

  /** {@code ‖AB − BA‖_F / (‖A‖_F ‖B‖_F)} for symmetric A and B (0 when either is zero). */
  public static double relativeCommutator(double[] a, double[] b, int p) {
    double[] ab = new double[p * p];
    BLAS.getInstance().dgemm("N", "N", p, p, p, 1.0, a, p, b, p, 0.0, ab, p);
    // For symmetric A and B, BA = (AB)ᵀ.
    double s = 0;
    for (int i = 0; i < p; i++) {
      for (int j = 0; j < p; j++) {
        double d = ab[i * p + j] - ab[j * p + i];
        s += d * d;
      }
    }
    double denominator = norm(a) * norm(b);
    return denominator == 0 ? 0 : Math.sqrt(s) / denominator;
  }

  /** Frobenius (or Euclidean) cosine {@code ⟨a, b⟩ / (‖a‖ ‖b‖)}; NaN when either is zero. */
  public static double cosine(double[] a, double[] b) {
    double dot = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
    }
    double denominator = norm(a) * norm(b);
    return denominator == 0 ? Double.NaN : dot / denominator;
  }

  static double norm(double[] a) {
    double s = 0;
    for (double v : a) {
      s += v * v;
    }
    return Math.sqrt(s);
  }

  /**
   * Everything the job reports for one layer.
   *
   * @param lambda eigenvalues of H, descending ({@code h_ii})
   * @param c diagonal of {@code UᵀCU}
   * @param f diagonal of {@code UᵀFU}
   * @param eh2 diagonal of {@code Uᵀ E[h²] U}
   * @param expectedHessianSquare {@code E[h²]} in full, null when only its diagonal was computed
   * @param cosineCEh2 Frobenius cosine of C and E[h²]; NaN when E[h²] was not computed in full
   */
  public record Result(
      int p,
      long n,
      int batch,
      double loss,
      double factor,
      SymmetricEigen.Decomposition eigen,
      double[] lambda,
      double[] c,
      double[] f,
      double[] eh2,
      double[] hessian,
      double[] fisher,
      double[] covariance,
      double[] expectedHessianSquare,
      FitRange range,
      GammaFit gammaC,
      GammaFit gammaF,
      GammaFit gammaEh2,
      double commutator,
      double cosineCH,
      double cosineCEh2,
      double cosineCHDiagonal,
      double cosineCEh2Diagonal) {}

  /**
   * Combines the summed passes into the result.
   *
   * @param eigen the eigen-decomposition of {@code moments.hessian()} the second pass was run with
   * @param second pass-2 sums with this eigenbasis (full or not)
   */
  public static Result combine(
      Moments moments,
      SymmetricEigen.Decomposition eigen,
      double[] second,
      boolean full,
      int batch,
      String rangeSpec,
      double floor) {
    int p = moments.p();
    if (second.length != secondPassLength(p, full)) {
      throw new IllegalArgumentException(
          "Pass-2 sums have " + second.length + " values; expected " + secondPassLength(p, full));
    }
    long n = moments.n();
    double factor = minibatchFactor(n, batch);
    double[] cov = new double[p * p];
    for (int i = 0; i < cov.length; i++) {
      cov[i] = factor * moments.gradientCovariance()[i];
    }
    double[] lambda = eigen.values().clone();
    double[] c = diagonalIn(eigen, cov);
    double[] f = diagonalIn(eigen, moments.fisher());
    double[] eh2 = new double[p];
    for (int i = 0; i < p; i++) {
      eh2[i] = second[i] / n;
    }
    double[] e2 = null;
    if (full) {
      e2 = new double[p * p];
      for (int i = 0; i < p; i++) {
        for (int j = 0; j < p; j++) {
          e2[i * p + j] = 0.5 * (second[p + i * p + j] + second[p + j * p + i]) / n;
        }
      }
    }
    FitRange range = fitRange(lambda, rangeSpec, floor);
    return new Result(
        p,
        n,
        batch,
        moments.loss(),
        factor,
        eigen,
        lambda,
        c,
        f,
        eh2,
        moments.hessian(),
        moments.fisher(),
        cov,
        e2,
        range,
        fit(lambda, c, range.indices()),
        fit(lambda, f, range.indices()),
        fit(lambda, eh2, range.indices()),
        relativeCommutator(cov, moments.hessian(), p),
        cosine(cov, moments.hessian()),
        e2 == null ? Double.NaN : cosine(cov, e2),
        cosine(c, lambda),
        cosine(c, eh2));
  }

  /** The eigenbasis as the vectors pass 2 takes, {@code u_i = basis[i]}. */
  public static double[][] basis(SymmetricEigen.Decomposition eigen) {
    int p = eigen.n();
    double[][] out = new double[p][p];
    for (int k = 0; k < p; k++) {
      System.arraycopy(eigen.vectors(), k * p, out[k], 0, p);
    }
    return out;
  }
}
