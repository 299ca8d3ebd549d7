package org.sgdlens.curvature;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Hutchinson's trace estimator: {@code tr(H) ≈ (1/m) sum_i z_i^T H z_i} over {@code m} seeded
 * Rademacher probes ({@code z_i} entries ±1 with probability 1/2), each {@code z^T H z} an unbiased
 * estimate of the trace. The standard error is the sample standard deviation of the {@code m}
 * values (ddof 1) over {@code sqrt(m)}. Probes go to the operator in batches of its preferred size.
 */
public final class Hutchinson {
  private Hutchinson() {}

  /**
   * A trace estimate with its standard error.
   *
   * @param trace the estimate, the mean of {@code samples}
   * @param standardError {@code sd(samples) / sqrt(m)}, NaN for one probe
   * @param samples {@code z_i^T H z_i} per probe, in probe order
   */
  public record Estimate(double trace, double standardError, double[] samples) {
    public int probes() {
      return samples.length;
    }
  }

  /** The trace estimate from {@code probes} Rademacher probes drawn from {@code seed}. */
  public static Estimate trace(HessianOperator op, int probes, long seed) {
    if (probes < 1) {
      throw new IllegalArgumentException(
          String.format(Locale.ROOT, "probes is %d; give at least 1 (2 for an error)", probes));
    }
    int p = op.dimension();
    SplittableRandom random = new SplittableRandom(seed);
    int batch = Math.max(1, op.preferredBatch());
    double[] samples = new double[probes];
    for (int from = 0; from < probes; from += batch) {
      int count = Math.min(batch, probes - from);
      double[][] z = new double[count][];
      for (int j = 0; j < count; j++) {
        z[j] = rademacher(p, random);
      }
      double[][] hz = op.apply(z);
      for (int j = 0; j < count; j++) {
        samples[from + j] = Tridiagonal.dot(z[j], hz[j]);
      }
    }
    return new Estimate(mean(samples), standardError(samples), samples);
  }

  static double[] rademacher(int p, SplittableRandom random) {
    double[] z = new double[p];
    for (int i = 0; i < p; i++) {
      z[i] = random.nextBoolean() ? 1 : -1;
    }
    return z;
  }

  static double mean(double[] x) {
    double s = 0;
    for (double v : x) {
      s += v;
    }
    return s / x.length;
  }

  /** Sample standard deviation (ddof 1) over sqrt(n); NaN for n < 2. */
  static double standardError(double[] x) {
    int n = x.length;
    if (n < 2) {
      return Double.NaN;
    }
    double mean = mean(x);
    double ss = 0;
    for (double v : x) {
      ss += (v - mean) * (v - mean);
    }
    return Math.sqrt(ss / (n - 1) / n);
  }
}
