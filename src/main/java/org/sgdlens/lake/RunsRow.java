package org.sgdlens.lake;

import java.time.Instant;

/**
 * A run's row in {@code runs}, written last as the commit marker (or with {@link RunStatus#FAILED}
 * and a message). Components are the table's file columns in schema order; see {@code
 * schemas/runs.json} for each column's meaning.
 */
public record RunsRow(
    RunStatus status,
    Instant startedAt,
    Instant finishedAt,
    String dataset,
    String model,
    long numParams,
    long recordedParams,
    int trainSize,
    int testSize,
    double noiseFraction,
    String noiseKind,
    int numMislabeled,
    long seed,
    double learningRate,
    double momentum,
    double weightDecay,
    int batchSize,
    long steps,
    double epochs,
    String device,
    Double finalTrainLoss,
    Double finalTestAccuracy,
    boolean diverged,
    String message,
    String configJson,
    String divergedReason,
    String stopReason)
    implements TableRow {

  @Override
  public String table() {
    return Tables.RUNS;
  }

  @Override
  public Object[] values() {
    return new Object[] {
      status.name(),
      startedAt,
      finishedAt,
      dataset,
      model,
      numParams,
      recordedParams,
      trainSize,
      testSize,
      noiseFraction,
      noiseKind,
      numMislabeled,
      seed,
      learningRate,
      momentum,
      weightDecay,
      batchSize,
      steps,
      epochs,
      device,
      finalTrainLoss,
      finalTestAccuracy,
      diverged,
      message,
      configJson,
      divergedReason,
      stopReason
    };
  }
}
