package org.sgdlens.kernel;

import dev.ludovic.netlib.blas.BLAS;

/**
 * The snapshot (Gram) method of PCA for a window of T weight vectors of length P much larger than
 * T. The centred T×T Gram matrix {@code G = Xc Xcᵀ} is a sum over disjoint blocks of coordinates,
 * so it accumulates block by block; its eigenpairs {@code (λ_i, u_i)} give the sample variances
 * {@code σ_i² = λ_i/(T−1)} and the principal directions {@code p_i = Xcᵀ u_i / sqrt(λ_i)}, which
 * are again computed block by block. No step ever needs a whole P-vector.
 */
public final class SnapshotPca {
  /** Columns handed to BLAS at once: bounds the double copy of a block to T × 2048 values. */
  private static final int PANEL = 2048;

  private SnapshotPca() {}

  /**
   * The PCA spectrum of a window.
   *
   * @param snapshots T
   * @param variances σ_i², descending, i = 0..rank-1
   * @param timeScores unit eigenvectors of the Gram matrix: {@code timeScores[i*T + t] = u_i[t]};
   *     the projection of snapshot t on p_i is {@code sqrt(λ_i) u_i[t]}
   * @param totalVariance trace of the sample covariance (sum of all variances)
   */
  public record Spectrum(
      int snapshots, double[] variances, double[] timeScores, double totalVariance) {
    public int rank() {
      return variances.length;
    }
  }

  /** Mean over snapshots of one block of coordinates. */
  public static double[] blockMean(float[][] snapshots) {
    int length = checkBlock(snapshots);
    double[] mean = new double[length];
    for (float[] s : snapshots) {
      for (int k = 0; k < length; k++) {
        mean[k] += s[k];
      }
    }
    for (int k = 0; k < length; k++) {
      mean[k] /= snapshots.length;
    }
    return mean;
  }

  /**
   * Adds one block's share of the centred Gram matrix: {@code gram[i*T+j] += Σ_k (x_i[k] − m[k])
   * (x_j[k] − m[k])}, m the block's mean over the T snapshots. {@code gram} is full and symmetric.
   */
  public static void addCenteredGram(float[][] snapshots, double[] gram) {
    int t = snapshots.length;
    int length = checkBlock(snapshots);
    if (gram.length != (long) t * t) {
      throw new IllegalArgumentException("Gram has " + gram.length + " values, expected " + t * t);
    }
    double[] mean = blockMean(snapshots);
    double[] upper = new double[t * t];
    double[] panel = new double[Math.min(PANEL, Math.max(1, length)) * t];
    BLAS blas = BLAS.getInstance();
    for (int start = 0; start < length; start += PANEL) {
      int width = Math.min(PANEL, length - start);
      fillCenteredPanel(snapshots, mean, start, width, panel);
      // panel is width×T column-major (column t = centred snapshot t): upper += panelᵀ panel.
      blas.dsyrk("U", "T", t, width, 1.0, panel, width, 1.0, upper, t);
    }
    for (int j = 0; j < t; j++) {
      for (int i = 0; i <= j; i++) {
        double v = upper[i + j * t];
        gram[i * t + j] += v;
        if (i != j) {
          gram[j * t + i] += v;
        }
      }
    }
  }

  /**
   * Eigen-decomposes a centred Gram matrix into the window's spectrum. At most {@code maxRank}
   * components are kept (a centred window of T snapshots of P values has rank ≤ min(T−1, P)), and
   * only those are computed ({@link SymmetricEigen#leading}); the total variance is the trace
   * either way. Signs are fixed so that each component's time score correlates positively with
   * time.
   */
  public static Spectrum spectrum(double[] gram, int snapshots, int maxRank) {
    if (snapshots < 2) {
      throw new IllegalArgumentException(
          "A window needs at least 2 snapshots for a sample variance, got " + snapshots);
    }
    int rank = Math.max(0, Math.min(maxRank, snapshots - 1));
    // Only the kept eigenpairs: a few leading ones of a long window need no full decomposition.
    SymmetricEigen.Decomposition eigen =
        rank > 0 ? SymmetricEigen.leading(gram, snapshots, rank) : null;
    double trace = 0;
    for (int i = 0; i < snapshots; i++) {
      trace += gram[i * snapshots + i];
    }
    double[] variances = new double[rank];
    double[] scores = new double[rank * snapshots];
    double[] component = new double[snapshots];
    for (int k = 0; k < rank; k++) {
      variances[k] = Math.max(0.0, eigen.values()[k]) / (snapshots - 1);
      for (int t = 0; t < snapshots; t++) {
        component[t] = eigen.vector(k, t);
      }
      double sign = timeSign(component);
      for (int t = 0; t < snapshots; t++) {
        scores[k * snapshots + t] = sign * eigen.vector(k, t);
      }
    }
    return new Spectrum(snapshots, variances, scores, trace / (snapshots - 1));
  }

  /**
   * The sign convention of every PCA direction sgdlens stores: +1 or −1 so that the projections of
   * the window's snapshots on the direction increase with time (a positive correlation with the
   * snapshot index). An eigenvector's sign is arbitrary; this makes both PCA methods, and reruns,
   * store the same direction.
   *
   * @param scores the projection of snapshot t (time order) on one component, t = 0..T−1
   * @return −1 when the projections decrease with time, +1 otherwise (also for no trend)
   */
  public static double timeSign(double[] scores) {
    double centre = (scores.length - 1) / 2.0;
    double trend = 0;
    for (int t = 0; t < scores.length; t++) {
      trend += (t - centre) * scores[t];
    }
    return trend < 0 ? -1.0 : 1.0;
  }

  /**
   * Coefficients that turn centred snapshots into unit directions: {@code c[i*T+t] = u_i[t] /
   * sqrt((T−1) σ_i²)}, for the first {@code components} components. A component with zero variance
   * has no direction; its coefficients are zero.
   */
  public static double[] directionCoefficients(Spectrum spectrum, int components) {
    int t = spectrum.snapshots();
    if (components > spectrum.rank()) {
      throw new IllegalArgumentException(
          "Asked for " + components + " directions but the window has rank " + spectrum.rank());
    }
    double[] c = new double[components * t];
    for (int i = 0; i < components; i++) {
      double norm = Math.sqrt((t - 1) * spectrum.variances()[i]);
      if (norm > 0) {
        for (int s = 0; s < t; s++) {
          c[i * t + s] = spectrum.timeScores()[i * t + s] / norm;
        }
      }
    }
    return c;
  }

  /**
   * One block of the principal directions: {@code out[i][k] = Σ_t c[i*T+t] (x_t[k] − m[k])}, with c
   * from {@link #directionCoefficients}.
   */
  public static float[][] recoverDirections(
      float[][] snapshots, double[] coefficients, int components) {
    int t = snapshots.length;
    int length = checkBlock(snapshots);
    if (coefficients.length != (long) components * t) {
      throw new IllegalArgumentException(
          "Coefficients have "
              + coefficients.length
              + " values, expected components*T = "
              + components * t);
    }
    double[] mean = blockMean(snapshots);
    float[][] out = new float[components][length];
    double[] panel = new double[Math.min(PANEL, Math.max(1, length)) * t];
    double[] product = new double[Math.min(PANEL, Math.max(1, length)) * components];
    BLAS blas = BLAS.getInstance();
    for (int start = 0; start < length; start += PANEL) {
      int width = Math.min(PANEL, length - start);
      fillCenteredPanel(snapshots, mean, start, width, panel);
      // product (width×K) = panel (width×T) · C (T×K, column i = c[i*T ..]).
      blas.dgemm(
          "N", "N", width, components, t, 1.0, panel, width, coefficients, t, 0.0, product, width);
      for (int i = 0; i < components; i++) {
        for (int k = 0; k < width; k++) {
          out[i][start + k] = (float) product[k + i * width];
        }
      }
    }
    return out;
  }

  private static void fillCenteredPanel(
      float[][] snapshots, double[] mean, int start, int width, double[] panel) {
    for (int s = 0; s < snapshots.length; s++) {
      float[] x = snapshots[s];
      int base = s * width;
      for (int k = 0; k < width; k++) {
        panel[base + k] = x[start + k] - mean[start + k];
      }
    }
  }

  private static int checkBlock(float[][] snapshots) {
    if (snapshots.length == 0) {
      throw new IllegalArgumentException("A block needs at least one snapshot");
    }
    int length = snapshots[0].length;
    for (float[] s : snapshots) {
      if (s == null || s.length != length) {
        throw new IllegalArgumentException(
            "Snapshots of one block must all have " + length + " values");
      }
    }
    return length;
  }
}
