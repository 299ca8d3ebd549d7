package org.sgdlens.curvature;

import java.util.List;
import org.sgdlens.kernel.NoiseCurvatureStats;

/**
 * The per-sample sums of the noise-curvature passes for one parameter block on one engine
 * (docs/curvature.md section 5): pass 1 gives {@code Σ l_n}, {@code Σ g_n}, {@code Σ g_n g_nᵀ} and
 * {@code Σ h_n}, pass 2 {@code Σ_n |h_n u_i|²} (and {@code Σ_n h_n²} when asked) over a subset of
 * the training rows. Sums over disjoint subsets add up to the sums over their union, so a Spark
 * task computes one subset and the driver adds them. Layouts: {@link
 * NoiseCurvatureStats#firstPassLength}, {@link NoiseCurvatureStats#secondPassLength}.
 */
public final class LayerMoments {
  /** HVPs per backward pass when the Hessian block of a subset is built densely. */
  static final int DENSE_BATCH = 16;

  /** Largest number of values of one block of per-sample rows held at once (32 MB of doubles). */
  static final long BLOCK_VALUES = 1L << 22;

  private final MlpHessian engine;
  private final double[] weights;
  private final Samples data;
  private final List<String> layer;
  private final int p;

  /**
   * @param data the training rows; pass indices are positions in {@code data.rows()}
   * @param layer the block, e.g. {@code List.of("fc2.weight")}
   */
  public LayerMoments(MlpHessian engine, double[] weights, Samples data, List<String> layer) {
    this.engine = engine;
    this.weights = weights.clone();
    this.data = data;
    this.layer = List.copyOf(layer);
    this.p = engine.selectionSize(layer);
    if (p > DenseHessian.MAX_DIMENSION) {
      throw new IllegalArgumentException(
          "Layer "
              + layer
              + " has P_S = "
              + p
              + " parameters; the noise-curvature job builds P_S x P_S matrices for at most "
              + DenseHessian.MAX_DIMENSION
              + "; choose a smaller layer (for example fc2.weight of a narrow hidden layer)");
    }
  }

  public int dimension() {
    return p;
  }

  public int samples() {
    return data.count();
  }

  /** The rows at these positions of {@code data.rows()}. */
  private Samples subset(int[] positions, int from, int to) {
    int[] rows = new int[to - from];
    for (int i = from; i < to; i++) {
      rows[i - from] = data.rows()[positions[i]];
    }
    return new Samples(data.x(), data.labels(), rows);
  }

  private int blockRows() {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, BLOCK_VALUES / Math.max(1, p)));
  }

  /** Pass 1 over the rows at {@code positions}. */
  public double[] firstPass(int[] positions) {
    double[] out = new double[NoiseCurvatureStats.firstPassLength(p)];
    if (positions.length == 0) {
      return out;
    }
    int outer = 2 + p;
    int hessian = 2 + p + p * p;
    int block = blockRows();
    for (int from = 0; from < positions.length; from += block) {
      int to = Math.min(positions.length, from + block);
      Samples rows = subset(positions, from, to);
      int count = to - from;
      out[0] += count;
      out[1] += engine.loss(weights, rows) * count;
      double[][] g = engine.perSampleGradients(weights, rows, layer);
      for (double[] gn : g) {
        for (int a = 0; a < p; a++) {
          out[2 + a] += gn[a];
        }
      }
      NoiseCurvatureStats.addGram(out, outer, NoiseCurvatureStats.pack(g, p), count, p);
      // Σ_n h_n = count · (Hessian block of the subset's mean loss).
      double[] h = DenseHessian.of(engine.operator(weights, rows, layer, DENSE_BATCH)).matrix();
      for (int i = 0; i < h.length; i++) {
        out[hessian + i] += count * h[i];
      }
    }
    NoiseCurvatureStats.symmetrize(out, outer, p);
    return out;
  }

  /**
   * Pass 2 over the rows at {@code positions} for the vectors {@code basis}: {@code Σ_n |h_n
   * u_i|²}, then {@code Σ_n Σ_i (h_n u_i)(h_n u_i)ᵀ} when {@code full} (which is {@code Σ_n h_n²}
   * for a complete orthonormal basis).
   */
  public double[] secondPass(int[] positions, double[][] basis, boolean full) {
    if (full && basis.length != p) {
      throw new IllegalArgumentException(
          "E[h^2] in full needs a complete basis of " + p + " vectors, got " + basis.length);
    }
    double[] out = new double[NoiseCurvatureStats.secondPassLength(p, full)];
    if (positions.length == 0) {
      return out;
    }
    int block = blockRows();
    for (int from = 0; from < positions.length; from += block) {
      int to = Math.min(positions.length, from + block);
      Samples rows = subset(positions, from, to);
      for (int i = 0; i < basis.length; i++) {
        double[][] r = engine.perSampleHvp(weights, rows, layer, basis[i]);
        double s = 0;
        for (double[] rn : r) {
          for (double v : rn) {
            s += v * v;
          }
        }
        out[i] += s;
        if (full) {
          NoiseCurvatureStats.addGram(out, p, NoiseCurvatureStats.pack(r, p), r.length, p);
        }
      }
    }
    if (full) {
      NoiseCurvatureStats.symmetrize(out, p, p);
    }
    return out;
  }

  /** Every row of {@code data}: positions {@code 0 .. N-1}. */
  public static int[] allPositions(int n) {
    int[] all = new int[n];
    for (int i = 0; i < n; i++) {
      all[i] = i;
    }
    return all;
  }
}
