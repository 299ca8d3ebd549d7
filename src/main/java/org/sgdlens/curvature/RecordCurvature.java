package org.sgdlens.curvature;

import org.sgdlens.kernel.CurvatureOracle;
import org.sgdlens.record.CurvatureSchedule;
import org.sgdlens.record.RunConfig;
import org.sgdlens.record.TrainingCurvature;
import org.sgdlens.record.TrainingData;

/**
 * The engine behind {@code record.curvature}, found by the recorder through {@link
 * java.util.ServiceLoader} (META-INF/services): the same oracle as each task of jobs/curvature
 * ({@link RunCurvature#oracle}), so a snapshot measured during training and the same snapshot
 * measured afterwards with the same settings give the same rows.
 */
public final class RecordCurvature implements TrainingCurvature {
  @Override
  public CurvatureOracle open(RunConfig config, TrainingData data) {
    TrainingCurvature.check(config);
    CurvatureSchedule c = config.record.curvature;
    try {
      return open(config, data, c);
    } catch (IllegalArgumentException e) {
      if (c.layer == null) {
        throw e;
      }
      throw new IllegalArgumentException(
          "record.curvature.layer '" + c.layer + "': " + e.getMessage(), e);
    }
  }

  private static CurvatureOracle open(RunConfig config, TrainingData data, CurvatureSchedule c) {
    return RunCurvature.oracle(
        config.runId == null || config.runId.isEmpty() ? config.name : config.runId,
        config,
        data,
        new RunCurvature.Settings(
            c.layer == null ? java.util.List.of() : java.util.List.of(c.layer),
            c.topK,
            c.lanczosSteps,
            c.traceProbes,
            c.densityProbes,
            c.densitySteps,
            c.subset,
            c.seed));
  }
}
