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

  /** Receives the chunks of a vector: the row's key columns and the chunk's float range. */
  @FunctionalInterface
  interface ChunkSink {
    void chunk(Object[] key, int from, int length);
  }

  /** Splits a vector into chunks, keyed {prefix..., chunk, offset, length}. */
  static void chunks(Object[] prefix, float[] vector, int chunk, ChunkSink sink) {
    int chunks = VectorChunks.chunkCount(vector.length, chunk);
    for (int c = 0; c < chunks; c++) {
      int from = c * chunk;
      int length = Math.min(chunk, vector.length - from);
      Object[] key = java.util.Arrays.copyOf(prefix, prefix.length + 3);
      key[prefix.length] = c;
      key[prefix.length + 1] = (long) from;
      key[prefix.length + 2] = length;
      sink.chunk(key, from, length);
    }
  }

  /** Bytes written or buffered so far (uncompressed). */
  long dataSize();

  Path path();

  @Override
  void close();
}
