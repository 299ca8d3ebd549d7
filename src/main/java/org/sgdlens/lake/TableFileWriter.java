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

  /**
   * The same rows for a vector packed as little-endian float32 bytes. {@code release} runs once the
   * writer no longer reads {@code packed}: at once for a writer that copies, after the row group is
   * written for one that holds it by reference.
   */
  void writeVector(Object[] prefix, byte[] packed, int chunk, Runnable release);

  long rows();

  /** Receives the chunks of a vector: the row's key columns and the chunk's float range. */
  @FunctionalInterface
  interface ChunkSink {
    void chunk(Object[] key, int from, int length);
  }

  /**
   * Splits a vector of {@code size} floats into chunks, keyed {prefix..., chunk, offset, length}.
   */
  static void chunks(Object[] prefix, int size, int chunk, ChunkSink sink) {
    int chunks = VectorChunks.chunkCount(size, chunk);
    for (int c = 0; c < chunks; c++) {
      int from = c * chunk;
      int length = Math.min(chunk, size - from);
      Object[] key = java.util.Arrays.copyOf(prefix, prefix.length + 3);
      key[prefix.length] = c;
      key[prefix.length + 1] = (long) from;
      key[prefix.length + 2] = length;
      sink.chunk(key, from, length);
    }
  }

  /** The number of floats in a packed vector; fails if its bytes are not whole floats. */
  static int packedLength(byte[] packed) {
    if (packed.length % Float.BYTES != 0) {
      throw new IllegalArgumentException(
          "A packed vector has "
              + packed.length
              + " bytes, not a whole number of float32 values;"
              + " pack 4 bytes per float");
    }
    return packed.length / Float.BYTES;
  }

  /** Bytes written or buffered so far (uncompressed). */
  long dataSize();

  Path path();

  @Override
  void close();
}
