package org.sgdlens.record;

import java.util.ServiceLoader;
import org.sgdlens.kernel.CurvatureOracle;

/**
 * The Hessian engine the recorder measures {@code record.curvature} with. record does not depend on
 * the engine (org.sgdlens.curvature, which depends on record); the engine registers itself as a
 * {@link ServiceLoader} provider of this interface, so every launch path that has the project's jar
 * (jobs/train, sweeps in Spark tasks, a user's loop with {@link RecordingListener}) finds it.
 */
public interface TrainingCurvature {
  /**
   * Opens an oracle for the run's network on its training set (given labels, no augmentation), with
   * the settings of {@code config.record.curvature}; refuses a model it cannot differentiate twice,
   * naming it.
   */
  CurvatureOracle open(RunConfig config, TrainingData data);

  /** The registered engine. */
  static TrainingCurvature engine() {
    return ServiceLoader.load(TrainingCurvature.class, TrainingCurvature.class.getClassLoader())
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "record.curvature is set but no curvature engine is on the class path (the"
                        + " provider org.sgdlens.curvature.RecordCurvature in the sgdlens jar's"
                        + " META-INF/services); run with the sgdlens jar, or unset"
                        + " record.curvature"));
  }

  /** Checks before any data is loaded that the run's model has the exact Hessian engine. */
  static void check(RunConfig config) {
    if (!"mlp".equals(config.model.kind)) {
      throw new IllegalArgumentException(
          "record.curvature is set for model.kind "
              + config.model.kind
              + "; curvature is measured only for the built-in MLP (model.kind mlp: Linear layers"
              + " with relu, tanh or sigmoid, cross_entropy or mse), whose Hessian"
              + " org.sgdlens.curvature.MlpHessian computes exactly; unset record.curvature or"
              + " train model.kind mlp");
    }
  }
}
