package org.sgdlens.lake;

/** One sample's loss and prediction at a recorded step, in {@code sample_losses}. */
public record SampleLossesRow(
    long step,
    int sampleIndex,
    int givenLabel,
    int trueLabel,
    boolean mislabeled,
    double loss,
    int predicted,
    boolean correct)
    implements TableRow {
  @Override
  public String table() {
    return Tables.SAMPLE_LOSSES;
  }

  @Override
  public Object[] values() {
    return new Object[] {
      step, sampleIndex, givenLabel, trueLabel, mislabeled, loss, predicted, correct
    };
  }
}
