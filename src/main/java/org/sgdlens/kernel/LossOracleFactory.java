package org.sgdlens.kernel;

/**
 * Creates a {@link LossOracle} where it is used: a factory is shipped to each Spark task, which
 * opens one oracle (loading the model once) and evaluates all of its directions with it. The kernel
 * stays free of java.io, so implementations handed to Spark must also implement {@code
 * java.io.Serializable} (the landscape job checks it).
 */
@FunctionalInterface
public interface LossOracleFactory {
  LossOracle open();
}
