package org.sgdlens.curvature;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The eigenvalue density {@code φ(t) = (1/P) sum_i δ(t - λ_i)} of a symmetric operator by
 * stochastic Lanczos quadrature (Ghorbani, Krishnan & Xiao 2019; Lin, Saad & Yang 2016). For each
 * of {@code n_v} probes {@code v = z / sqrt(P)} (z Rademacher, so |v| = 1), {@code m} Lanczos steps
 * from {@code v} (full reorthogonalisation) give a tridiagonal {@code T} with eigenpairs {@code
 * (θ_i, s_i)}; the Gauss quadrature nodes are {@code θ_i} and the weights {@code τ_i = s_{i,1}^2}
 * (they sum to 1), so that {@code v^T f(H) v ≈ sum_i τ_i f(θ_i)}. The density on a grid is {@code
 * φ_σ(t) = (1/n_v) sum_probes sum_i τ_i g_σ(t - θ_i)}, {@code g_σ} the Gaussian of standard
 * deviation σ. It integrates to 1 (up to the mass outside the grid) and its mean {@code (1/n_v) sum
 * sum τ_i θ_i = (1/n_v) sum v^T H v} is the Hutchinson estimate of {@code tr(H)/P}. The probes
 * advance in lock-step, one batched operator call per Lanczos step.
 */
public final class SpectralDensity {
  private SpectralDensity() {}

  /** Grid points unless given. */
  public static final int GRID_POINTS_DEFAULT = 1001;

  /** σ unless given, as a fraction of the spread of the nodes (max θ - min θ). */
  public static final double SIGMA_FRACTION_DEFAULT = 0.01;

  /**
   * Quadrature nodes and weights per probe and the broadened density on a grid.
   *
   * @param nodes Gauss nodes θ per probe, ascending
   * @param weights Gauss weights τ per probe (each row sums to 1)
   * @param sigma the broadening σ
   * @param grid evaluation points, evenly spaced from min θ - 5σ to max θ + 5σ
   * @param density φ_σ on the grid
   */
  public record Density(
      double[][] nodes, double[][] weights, double sigma, double[] grid, double[] density) {
    /** {@code (1/n_v) sum_probes sum_i τ_i θ_i}, the estimate of {@code tr(H)/P}. */
    public double mean() {
      double s = 0;
      for (double m : probeMeans()) {
        s += m;
      }
      return s / nodes.length;
    }

    /** Standard error of {@link #mean()} over the probes (ddof 1), NaN for one probe. */
    public double meanStandardError() {
      return Hutchinson.standardError(probeMeans());
    }

    /** {@code sum_i τ_i θ_i = v^T H v} per probe. */
    public double[] probeMeans() {
      double[] out = new double[nodes.length];
      for (int l = 0; l < nodes.length; l++) {
        for (int i = 0; i < nodes[l].length; i++) {
          out[l] += weights[l][i] * nodes[l][i];
        }
      }
      return out;
    }

    /** Trapezoid integral of {@code f(t) φ_σ(t)} over the grid. */
    public double integrate(java.util.function.DoubleUnaryOperator f) {
      double s = 0;
      for (int i = 1; i < grid.length; i++) {
        double h = grid[i] - grid[i - 1];
        s +=
            0.5
                * h
                * (f.applyAsDouble(grid[i]) * density[i]
                    + f.applyAsDouble(grid[i - 1]) * density[i - 1]);
      }
      return s;
    }
  }

  /** {@link #estimate(HessianOperator, int, int, long, double, int)} with the default grid. */
  public static Density estimate(HessianOperator op, int probes, int steps, long seed) {
    return estimate(op, probes, steps, seed, 0, GRID_POINTS_DEFAULT);
  }

  /**
   * The SLQ density from {@code probes} seeded probes of {@code steps} Lanczos steps each (at most
   * P). {@code sigma <= 0} picks {@link #SIGMA_FRACTION_DEFAULT} of the nodes' spread (1e-3 when
   * all nodes coincide).
   */
  public static Density estimate(
      HessianOperator op, int probes, int steps, long seed, double sigma, int gridPoints) {
    if (probes < 1 || steps < 1 || gridPoints < 2) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "probes=%d, steps=%d, grid points=%d; give probes and steps >= 1, grid points >= 2",
              probes,
              steps,
              gridPoints));
    }
    int p = op.dimension();
    SplittableRandom random = new SplittableRandom(seed);
    double[][] nodes = new double[probes][];
    double[][] weights = new double[probes][];
    int batch = Math.max(1, op.preferredBatch());
    double scale = 1 / Math.sqrt(p);
    for (int from = 0; from < probes; from += batch) {
      int count = Math.min(batch, probes - from);
      double[][] starts = new double[count][];
      for (int j = 0; j < count; j++) {
        starts[j] = Hutchinson.rademacher(p, random);
        for (int i = 0; i < p; i++) {
          starts[j][i] *= scale;
        }
      }
      Tridiagonal.Run[] runs = Tridiagonal.run(op, starts, steps, random.nextLong());
      for (int j = 0; j < count; j++) {
        Tridiagonal.Eigen eigen = Tridiagonal.eigen(runs[j].alpha(), runs[j].beta());
        int m = eigen.m();
        nodes[from + j] = eigen.values().clone();
        weights[from + j] = new double[m];
        for (int i = 0; i < m; i++) {
          double first = eigen.vector(i, 0);
          weights[from + j][i] = first * first;
        }
      }
    }
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (double[] row : nodes) {
      for (double t : row) {
        lo = Math.min(lo, t);
        hi = Math.max(hi, t);
      }
    }
    double s = sigma > 0 ? sigma : hi > lo ? SIGMA_FRACTION_DEFAULT * (hi - lo) : 1e-3;
    double[] grid = new double[gridPoints];
    double[] density = new double[gridPoints];
    double start = lo - 5 * s;
    double step = (hi - lo + 10 * s) / (gridPoints - 1);
    double norm = 1 / (s * Math.sqrt(2 * Math.PI) * probes);
    for (int g = 0; g < gridPoints; g++) {
      double t = start + g * step;
      grid[g] = t;
      double d = 0;
      for (int l = 0; l < probes; l++) {
        for (int i = 0; i < nodes[l].length; i++) {
          double u = (t - nodes[l][i]) / s;
          d += weights[l][i] * Math.exp(-0.5 * u * u);
        }
      }
      density[g] = d * norm;
    }
    return new Density(nodes, weights, s, grid, density);
  }
}
