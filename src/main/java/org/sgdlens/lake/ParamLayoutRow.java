package org.sgdlens.lake;

/**
 * One parameter tensor in {@code param_layout}; {@code paramOffset} is its offset in the flattened
 * parameter vector, {@code weightsOffset} its offset in the recorded weight vector, -1 when it is
 * not recorded.
 */
public record ParamLayoutRow(
    int position,
    String name,
    String shape,
    long paramOffset,
    long size,
    long weightsOffset,
    boolean trainable)
    implements TableRow {
  @Override
  public String table() {
    return Tables.PARAM_LAYOUT;
  }

  @Override
  public Object[] values() {
    return new Object[] {position, name, shape, paramOffset, size, weightsOffset, trainable};
  }
}
