package org.sgdlens.kernel;

/**
 * The curvature of a run's training loss at recorded weights, as the curvature job needs it: one
 * call per weight snapshot. Implementations hold native resources (a DJL engine and the run's
 * training set); they are not thread-safe and are closed after use.
 */
public interface CurvatureOracle extends AutoCloseable {
  /** The estimates at the weights {@code recordedWeights} (the recorded vector of one step). */
  Estimates at(float[] recordedWeights);

  @Override
  default void close() {}

  /**
   * One snapshot's curvature.
   *
   * @param loss mean training loss L(w) on the rows used
   * @param params P_S, the number of parameters the Hessian (block) acts on
   * @param rows training rows the loss is averaged over
   * @param eigenvalues the k largest Ritz values of the Hessian (block), descending
   * @param residuals {@code |H y_i - θ_i y_i|} of each Ritz pair
   * @param lanczosSteps Lanczos steps taken
   * @param trace Hutchinson estimate of tr(H)
   * @param traceStandardError its standard error over the probes
   * @param probes Rademacher probes of the trace
   * @param grid evaluation points of the spectral density, empty when it was not asked for
   * @param density the density on {@code grid}
   */
  record Estimates(
      double loss,
      int params,
      int rows,
      double[] eigenvalues,
      double[] residuals,
      int lanczosSteps,
      double trace,
      double traceStandardError,
      int probes,
      double[] grid,
      double[] density) {}
}
