package org.sgdlens.kernel;

import java.io.Serializable;

/**
 * Creates a {@link LossOracle} where it is used: a factory is serialized to each Spark task, which
 * opens one oracle (loading the model once) and evaluates all of its directions with it.
 */
@FunctionalInterface
public interface LossOracleFactory extends Serializable {
  LossOracle open();
}
