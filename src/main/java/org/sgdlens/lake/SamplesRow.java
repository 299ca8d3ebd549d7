package org.sgdlens.lake;

/** One training sample in {@code samples}, with its given (possibly noisy) and true label. */
public record SamplesRow(
    int sampleIndex, int sourceIndex, int givenLabel, int trueLabel, boolean mislabeled)
    implements TableRow {
  @Override
  public String table() {
    return Tables.SAMPLES;
  }

  @Override
  public Object[] values() {
    return new Object[] {sampleIndex, sourceIndex, givenLabel, trueLabel, mislabeled};
  }
}
