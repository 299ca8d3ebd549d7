package org.sgdlens.lake;

import java.io.Closeable;
import org.apache.hadoop.fs.Path;

/** One Parquet file of a lake table being written, by rows or by whole chunked vectors. */
interface TableFileWriter extends Closeable {
  /** A row of the table's file columns, as {@link RowWriteSupport} documents. */
  void write(Object[] row);

  /**
   * The rows {prefix..., chunk, offset, length, values} of a vector in chunks of {@code chunk}
   * floats, for tables ending in those four columns.
   */
  void writeVector(Object[] prefix, float[] vector, int chunk);

  long rows();

  /** Bytes written or buffered so far (uncompressed). */
  long dataSize();

  Path path();

  @Override
  void close();
}
