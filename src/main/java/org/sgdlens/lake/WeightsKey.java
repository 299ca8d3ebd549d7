package org.sgdlens.lake;

/** The key of a recorded weight snapshot in {@code weights}. */
public record WeightsKey(long step) implements VectorKey {
  @Override
  public String table() {
    return Tables.WEIGHTS;
  }

  @Override
  public Object[] prefix() {
    return new Object[] {step};
  }
}
