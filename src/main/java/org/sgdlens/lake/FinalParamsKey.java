package org.sgdlens.lake;

/** The key of the run's final parameter vector in {@code final_params}: only the run itself. */
public record FinalParamsKey() implements VectorKey {
  @Override
  public String table() {
    return Tables.FINAL_PARAMS;
  }

  @Override
  public Object[] prefix() {
    return new Object[] {};
  }
}
