package org.sgdlens.lake;

import java.sql.Timestamp;

/**
 * One run of a sweep in {@code sweep_summary}: its settings and training numbers from {@code runs}
 * (the training numbers null unless committed) and the headline result of each analysis.
 */
public record SweepSummaryRow(
    String runId,
    String sweep,
    String variedJson,
    String status,
    String dataset,
    String model,
    Double noiseFraction,
    Double learningRate,
    Integer batchSize,
    Double momentum,
    Double weightDecay,
    Long seed,
    Long steps,
    Double finalTrainLoss,
    Double finalTestAccuracy,
    Boolean diverged,
    Long tSep,
    Double maxAuroc,
    Long phaseIiSteps,
    Long phaseIiStepsLabelFree,
    Double cleaningF1,
    Double psi,
    Double psiCiLow,
    Double psiCiHigh,
    Timestamp updatedAt)
    implements ResultRow {
  @Override
  public String table() {
    return Tables.SWEEP_SUMMARY;
  }

  @Override
  public Object[] columns() {
    return new Object[] {
      runId,
      sweep,
      variedJson,
      status,
      dataset,
      model,
      noiseFraction,
      learningRate,
      batchSize,
      momentum,
      weightDecay,
      seed,
      steps,
      finalTrainLoss,
      finalTestAccuracy,
      diverged,
      tSep,
      maxAuroc,
      phaseIiSteps,
      phaseIiStepsLabelFree,
      cleaningF1,
      psi,
      psiCiLow,
      psiCiHigh,
      updatedAt
    };
  }
}
