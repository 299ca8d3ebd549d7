package org.sgdlens.lake;

import java.io.Closeable;
import java.util.List;
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

  /**
   * The rows of several vectors of one length, packed as little-endian float32, written chunk by
   * chunk: chunk 0 of every vector, then chunk 1 of every vector, and so on (the gradients of one
   * ensemble: order-params then finds every (step, chunk) group whole in one row group,
   * docs/lake.md "Gradient layout"). {@code release} runs once no vector is read any more. This
   * default writes the rows in that order through {@link #write}; a writer that controls its row
   * groups overrides it to keep each chunk's rows in one row group.
   */
  default void writeVectorGroup(
      List<Object[]> prefixes, List<byte[]> packed, int chunk, Runnable release) {
    int size = groupLength(prefixes, packed);
    int chunks = VectorChunks.chunkCount(size, chunk);
    for (int c = 0; c < chunks; c++) {
      for (int v = 0; v < packed.size(); v++) {
        int from = c * chunk;
        int length = Math.min(chunk, size - from);
        Object[] row = chunkKey(prefixes.get(v), c, from, length, 1);
        row[row.length - 1] =
            java.nio.ByteBuffer.wrap(packed.get(v), from * Float.BYTES, length * Float.BYTES);
        write(row);
      }
    }
    release.run();
  }

  /** The common length in floats of a group's packed vectors; fails when they differ. */
  static int groupLength(List<Object[]> prefixes, List<byte[]> packed) {
    if (prefixes.size() != packed.size() || packed.isEmpty()) {
      throw new IllegalArgumentException(
          "A vector group needs one key per vector and at least one vector; got "
              + prefixes.size()
              + " keys for "
              + packed.size()
              + " vectors");
    }
    int size = packedLength(packed.get(0));
    for (byte[] p : packed) {
      if (packedLength(p) != size) {
        throw new IllegalArgumentException(
            "The vectors of a group differ in length ("
                + size
                + " and "
                + packedLength(p)
                + " floats); write them separately");
      }
    }
    return size;
  }

  /** {prefix..., chunk, offset, length} followed by {@code extra} empty slots. */
  static Object[] chunkKey(Object[] prefix, int c, int from, int length, int extra) {
    Object[] key = java.util.Arrays.copyOf(prefix, prefix.length + 3 + extra);
    key[prefix.length] = c;
    key[prefix.length + 1] = (long) from;
    key[prefix.length + 2] = length;
    return key;
  }

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
      sink.chunk(chunkKey(prefix, c, from, length, 0), from, length);
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
