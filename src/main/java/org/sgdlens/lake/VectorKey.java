package org.sgdlens.lake;

/**
 * The key columns of a chunked vector table ({@code weights}, {@code gradients}, {@code
 * final_params}): the file columns before the trailing {@code chunk, offset, length, values}, which
 * {@link RunStaging#writeVector} adds per chunk. One record per table, checked against its schema
 * file by {@code TableRowsTest}.
 */
public interface VectorKey {
  /** The table the vector belongs to, a {@link Tables} name. */
  String table();

  /** The key columns' values in schema order. */
  Object[] prefix();
}
