package org.sgdlens.lake;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Packs float vectors into fixed-size chunks of little-endian float32 bytes, the layout of the
 * {@code values} column of {@code weights} and {@code gradients} (docs/vector-encoding.md says
 * why). A vector of P values becomes ceil(P / chunkSize) rows, so no row grows with P.
 */
public final class VectorChunks {
  /** Default chunk length in floats: 256 KiB per row. */
  public static final int DEFAULT_CHUNK = 65_536;

  private VectorChunks() {}

  public static int chunkCount(long length, int chunkSize) {
    return (int) ((length + chunkSize - 1) / chunkSize);
  }

  public static byte[] pack(float[] values, int from, int length) {
    ByteBuffer buffer = ByteBuffer.allocate(length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    buffer.asFloatBuffer().put(values, from, length);
    return buffer.array();
  }

  /** A buffer for {@link #packInto} of chunks up to {@code chunkSize} floats. */
  public static ByteBuffer buffer(int chunkSize) {
    return ByteBuffer.allocate(chunkSize * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * Packs like {@link #pack} into {@code buffer} (from {@link #buffer}) and returns it, positioned
   * at the packed bytes: the value of a binary column for a writer that copies it.
   */
  public static ByteBuffer packInto(ByteBuffer buffer, float[] values, int from, int length) {
    buffer.clear();
    buffer.asFloatBuffer().put(values, from, length);
    buffer.limit(length * Float.BYTES);
    return buffer;
  }

  public static float[] unpack(byte[] bytes) {
    float[] values = new float[bytes.length / Float.BYTES];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
    return values;
  }

  /** Reads the floats of a packed chunk straight into doubles, for accumulations. */
  public static void unpackInto(byte[] bytes, double[] target) {
    var floats = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    for (int i = 0; i < target.length && floats.hasRemaining(); i++) {
      target[i] = floats.get();
    }
  }
}
