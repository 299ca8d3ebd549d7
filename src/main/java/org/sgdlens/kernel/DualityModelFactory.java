package org.sgdlens.kernel;

/**
 * Opens a {@link DualityModel} where it is used: shipped to each Spark task, which opens one
 * (loading the model and its data once). Implementations handed to Spark must also implement {@code
 * java.io.Serializable} (the duality job checks it).
 */
@FunctionalInterface
public interface DualityModelFactory {
  DualityModel open();
}
