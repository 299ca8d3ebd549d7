package org.sgdlens.kernel;

/**
 * The trained model's loss as a function of the recorded weights: the landscape kernel only needs
 * to evaluate {@code L(w)}. Implementations may hold native resources (a DJL model); they are not
 * thread-safe and are closed after use.
 */
public interface LossOracle extends AutoCloseable {
  /** The final recorded weights {@code w0}, the origin of every loss profile. */
  float[] origin();

  /** Mean training loss with the recorded weights set to {@code recordedWeights}. */
  double loss(float[] recordedWeights);

  @Override
  default void close() {}
}
