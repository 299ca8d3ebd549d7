package org.sgdlens.kernel;

/**
 * Opens a {@link LayerCurvatureProbe} where it is used: shipped to each Spark task, which opens one
 * probe (loading the model and its data once). Implementations handed to Spark must also implement
 * {@code java.io.Serializable}, which the kernel cannot name beyond the marker (the noise-curvature
 * job checks it).
 */
@FunctionalInterface
public interface LayerCurvatureProbeFactory {
  LayerCurvatureProbe open();
}
