package org.sgdlens.kernel;

/**
 * Two-component Gaussian mixture on one variable fitted by expectation-maximisation: used on log
 * per-sample losses, where the high-loss component's weight is a label-free estimate of the noise
 * fraction. Deterministic: several quantile-based starts, the best log-likelihood wins.
 *
 * @param weightLow weight of the component with the lower mean
 * @param logLikelihood total log-likelihood of the data under the fit
 */
public record TwoGaussianMixture(
    double weightLow,
    double meanLow,
    double sdLow,
    double weightHigh,
    double meanHigh,
    double sdHigh,
    double logLikelihood,
    int iterations,
    boolean converged) {

  private static final double[][] STARTS = {{0.25, 0.75}, {0.05, 0.95}, {0.5, 0.9}, {0.1, 0.5}};
  private static final double LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

  /**
   * Fits with at most 300 iterations per start and a log-likelihood tolerance of 1e-9 per point.
   */
  public static TwoGaussianMixture fit(double[] x) {
    return fit(x, 300, 1e-9);
  }

  /**
   * @param x data, finite values only
   * @param maxIterations EM iterations per start
   * @param tolerance stop when the log-likelihood per point changes by less than this
   */
  public static TwoGaussianMixture fit(double[] x, int maxIterations, double tolerance) {
    if (x.length < 4) {
      throw new IllegalArgumentException(
          "A two-component mixture needs at least 4 values, got " + x.length);
    }
    double mean = 0;
    for (double v : x) {
      if (!Double.isFinite(v)) {
        throw new IllegalArgumentException(
            "Mixture input has the non-finite value " + v + "; floor losses before taking logs");
      }
      mean += v;
    }
    mean /= x.length;
    double var = 0;
    for (double v : x) {
      var += (v - mean) * (v - mean);
    }
    var /= x.length;
    if (var == 0) {
      double ll = x.length * (-LOG_SQRT_2PI);
      return new TwoGaussianMixture(1, mean, 0, 0, mean, 0, ll, 0, true);
    }
    // A floor keeps a component from collapsing onto a single repeated value.
    double varFloor = 1e-6 * var;
    double[] sorted = x.clone();
    java.util.Arrays.sort(sorted);
    TwoGaussianMixture best = null;
    for (double[] start : STARTS) {
      double m1 = Quantiles.ofSorted(sorted, start[0]);
      double m2 = Quantiles.ofSorted(sorted, start[1]);
      if (m1 == m2) {
        continue;
      }
      TwoGaussianMixture fit = em(x, m1, m2, var / 4, varFloor, maxIterations, tolerance);
      if (best == null || fit.logLikelihood > best.logLikelihood) {
        best = fit;
      }
    }
    if (best == null) {
      // Over half the values are one number: put the rest in the second component.
      best =
          em(x, sorted[0], sorted[sorted.length - 1], var / 4, varFloor, maxIterations, tolerance);
    }
    return best;
  }

  private static TwoGaussianMixture em(
      double[] x, double m1, double m2, double var0, double varFloor, int maxIter, double tol) {
    int n = x.length;
    double w1 = 0.5;
    double w2 = 0.5;
    double v1 = var0;
    double v2 = var0;
    double previous = Double.NEGATIVE_INFINITY;
    double ll = Double.NEGATIVE_INFINITY;
    int iter = 0;
    boolean converged = false;
    double[] r2 = new double[n];
    while (iter < maxIter) {
      iter++;
      ll = 0;
      double lw1 = Math.log(w1) - 0.5 * Math.log(v1) - LOG_SQRT_2PI;
      double lw2 = Math.log(w2) - 0.5 * Math.log(v2) - LOG_SQRT_2PI;
      for (int i = 0; i < n; i++) {
        double a = lw1 - (x[i] - m1) * (x[i] - m1) / (2 * v1);
        double b = lw2 - (x[i] - m2) * (x[i] - m2) / (2 * v2);
        double max = Math.max(a, b);
        double lse = max + Math.log(Math.exp(a - max) + Math.exp(b - max));
        ll += lse;
        r2[i] = Math.exp(b - lse);
      }
      if (Math.abs(ll - previous) <= tol * n) {
        converged = true;
        break;
      }
      previous = ll;
      double n2 = 0;
      double s2 = 0;
      double s1 = 0;
      for (int i = 0; i < n; i++) {
        n2 += r2[i];
        s2 += r2[i] * x[i];
        s1 += (1 - r2[i]) * x[i];
      }
      double n1 = n - n2;
      if (n1 < 1e-9 || n2 < 1e-9) {
        break; // one component emptied: the data look unimodal from this start
      }
      m1 = s1 / n1;
      m2 = s2 / n2;
      double q1 = 0;
      double q2 = 0;
      for (int i = 0; i < n; i++) {
        q1 += (1 - r2[i]) * (x[i] - m1) * (x[i] - m1);
        q2 += r2[i] * (x[i] - m2) * (x[i] - m2);
      }
      v1 = Math.max(q1 / n1, varFloor);
      v2 = Math.max(q2 / n2, varFloor);
      w1 = n1 / n;
      w2 = n2 / n;
    }
    if (m1 <= m2) {
      return new TwoGaussianMixture(
          w1, m1, Math.sqrt(v1), w2, m2, Math.sqrt(v2), ll, iter, converged);
    }
    return new TwoGaussianMixture(
        w2, m2, Math.sqrt(v2), w1, m1, Math.sqrt(v1), ll, iter, converged);
  }

  /** Posterior probability that {@code x} comes from the high component. */
  public double posteriorHigh(double x) {
    double a = logWeighted(weightLow, meanLow, sdLow, x);
    double b = logWeighted(weightHigh, meanHigh, sdHigh, x);
    if (a == Double.NEGATIVE_INFINITY && b == Double.NEGATIVE_INFINITY) {
      return x > meanHigh ? 1 : 0;
    }
    double max = Math.max(a, b);
    return Math.exp(b - max) / (Math.exp(a - max) + Math.exp(b - max));
  }

  /**
   * The value between the two means where the weighted densities are equal (posterior 1/2); NaN
   * when one component dominates over the whole interval.
   */
  public double threshold() {
    double lo = meanLow;
    double hi = meanHigh;
    if (!(hi > lo) || sdLow == 0 || sdHigh == 0) {
      return Double.NaN;
    }
    double flo = posteriorHigh(lo) - 0.5;
    double fhi = posteriorHigh(hi) - 0.5;
    if (flo > 0 || fhi < 0) {
      return Double.NaN;
    }
    for (int i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, Math.abs(hi)); i++) {
      double mid = 0.5 * (lo + hi);
      if (posteriorHigh(mid) < 0.5) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return 0.5 * (lo + hi);
  }

  /**
   * Ashman's D = sqrt(2) |mu_high - mu_low| / sqrt(s_low^2 + s_high^2); D &gt; 2: well separated.
   */
  public double separation() {
    double s = Math.sqrt(sdLow * sdLow + sdHigh * sdHigh);
    return s == 0 ? Double.NaN : Math.sqrt(2) * Math.abs(meanHigh - meanLow) / s;
  }

  /**
   * Sarle's bimodality coefficient from population moments (what Spark SQL's skewness and kurtosis
   * return), after the small-sample corrections: (G1^2 + 1) / (G2 + 3 (n-1)^2 / ((n-2) (n-3))).
   * Values above 5/9 (a uniform distribution) suggest bimodality.
   *
   * @param skewness population skewness m3 / m2^1.5
   * @param excessKurtosis population excess kurtosis m4 / m2^2 - 3
   * @param n sample size, at least 4
   */
  public static double bimodalityCoefficient(double skewness, double excessKurtosis, long n) {
    if (n < 4) {
      return Double.NaN;
    }
    double g1 = sampleSkewness(skewness, n);
    double g2 = sampleExcessKurtosis(excessKurtosis, n);
    return (g1 * g1 + 1) / (g2 + 3.0 * (n - 1) * (n - 1) / ((double) (n - 2) * (n - 3)));
  }

  /** Bias-corrected sample skewness G1 from the population skewness g1 (n &gt;= 3). */
  public static double sampleSkewness(double skewness, long n) {
    return n < 3 ? Double.NaN : skewness * Math.sqrt((double) n * (n - 1)) / (n - 2);
  }

  /** Bias-corrected sample excess kurtosis G2 from the population excess kurtosis (n &gt;= 4). */
  public static double sampleExcessKurtosis(double excessKurtosis, long n) {
    return n < 4
        ? Double.NaN
        : ((n + 1) * excessKurtosis + 6) * (n - 1) / ((double) (n - 2) * (n - 3));
  }

  private static double logWeighted(double w, double m, double sd, double x) {
    if (w <= 0) {
      return Double.NEGATIVE_INFINITY;
    }
    if (sd == 0) {
      return x == m ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
    }
    return Math.log(w) - Math.log(sd) - LOG_SQRT_2PI - (x - m) * (x - m) / (2 * sd * sd);
  }
}
