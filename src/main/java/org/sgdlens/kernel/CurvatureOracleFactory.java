package org.sgdlens.kernel;

/**
 * Creates a {@link CurvatureOracle} where it is used: a factory is shipped to each Spark task,
 * which opens one oracle (loading the run's model and training set once) and evaluates all of its
 * weight snapshots with it. As for {@link LossOracleFactory}, implementations handed to Spark must
 * also implement {@code java.io.Serializable} (the curvature job checks it).
 */
@FunctionalInterface
public interface CurvatureOracleFactory {
  CurvatureOracle open();
}
