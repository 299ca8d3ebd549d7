package org.sgdlens.kernel;

/**
 * Per-sample curvature sums of one parameter block over chosen training rows, the two passes of the
 * noise-curvature job (docs/curvature.md section 5). An implementation holds one model and its
 * training rows {@code 0 .. samples()-1}; each Spark task opens one from a {@link
 * LayerCurvatureProbeFactory}, and the driver adds the tasks' arrays with {@link
 * NoiseCurvatureStats#add}. Sums, never means, so that partial results over disjoint rows add up to
 * the whole.
 */
public interface LayerCurvatureProbe extends AutoCloseable {
  /** N, the number of training rows the loss averages over. */
  int samples();

  /** P_S, the length of the block's vectors. */
  int dimension();

  /** B, the minibatch size of the run the noise covariance is stated for. */
  int batchSize();

  /**
   * Pass 1 over {@code rows} (indices into {@code 0 .. samples()-1}), laid out as {@link
   * NoiseCurvatureStats#firstPassLength}: the count, {@code Σ l_n}, {@code Σ g_n}, {@code Σ g_n
   * g_nᵀ} and {@code Σ h_n} (row-major {@code P_S × P_S}).
   */
  double[] firstPass(int[] rows);

  /**
   * Pass 2 over {@code rows} for the orthonormal {@code basis} (vectors of length P_S): {@code Σ_n
   * |h_n u_i|²} for each {@code u_i}, then, when {@code full} and the basis is complete, {@code Σ_n
   * Σ_i (h_n u_i)(h_n u_i)ᵀ = Σ_n h_n²} (row-major {@code P_S × P_S}); see {@link
   * NoiseCurvatureStats#secondPassLength}.
   */
  double[] secondPass(int[] rows, double[][] basis, boolean full);

  @Override
  void close();
}
