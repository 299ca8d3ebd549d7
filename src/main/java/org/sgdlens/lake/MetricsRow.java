package org.sgdlens.lake;

/**
 * The whole-dataset metrics of one recorded step, in {@code metrics}; the clean/mislabeled columns
 * are null for a run without label noise, {@code minibatchLoss} when the step had no minibatch.
 */
public record MetricsRow(
    long step,
    double epoch,
    double trainLoss,
    double trainAccuracy,
    Double cleanAccuracy,
    Double mislabeledFit,
    Double mislabeledTrueAccuracy,
    double testLoss,
    double testAccuracy,
    Double minibatchLoss,
    double wallSeconds)
    implements TableRow {
  @Override
  public String table() {
    return Tables.METRICS;
  }

  @Override
  public Object[] values() {
    return new Object[] {
      step,
      epoch,
      trainLoss,
      trainAccuracy,
      cleanAccuracy,
      mislabeledFit,
      mislabeledTrueAccuracy,
      testLoss,
      testAccuracy,
      minibatchLoss,
      wallSeconds
    };
  }
}
