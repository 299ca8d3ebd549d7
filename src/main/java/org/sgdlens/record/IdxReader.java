package org.sgdlens.record;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** Reads MNIST-format IDX files (plain or .gz): unsigned-byte images and labels. */
public final class IdxReader {
  private static final int UBYTE_IMAGES = 0x00000803;
  private static final int UBYTE_LABELS = 0x00000801;

  private IdxReader() {}

  /** Images scaled to [0, 1], row-major, {@code count x rows x cols}. */
  public record Images(int count, int rows, int cols, float[] pixels) {}

  public static Images readImages(Path file) throws IOException {
    try (DataInputStream in = open(file)) {
      int magic = in.readInt();
      if (magic != UBYTE_IMAGES) {
        throw new IOException(
            file
                + " is not an IDX image file (magic 0x"
                + Integer.toHexString(magic)
                + ", expected 0x803)");
      }
      int count = in.readInt();
      int rows = in.readInt();
      int cols = in.readInt();
      byte[] raw = new byte[count * rows * cols];
      in.readFully(raw);
      float[] pixels = new float[raw.length];
      for (int i = 0; i < raw.length; i++) {
        pixels[i] = (raw[i] & 0xFF) / 255f;
      }
      return new Images(count, rows, cols, pixels);
    }
  }

  public static int[] readLabels(Path file) throws IOException {
    try (DataInputStream in = open(file)) {
      int magic = in.readInt();
      if (magic != UBYTE_LABELS) {
        throw new IOException(
            file
                + " is not an IDX label file (magic 0x"
                + Integer.toHexString(magic)
                + ", expected 0x801)");
      }
      int count = in.readInt();
      byte[] raw = new byte[count];
      in.readFully(raw);
      int[] labels = new int[count];
      for (int i = 0; i < count; i++) {
        labels[i] = raw[i] & 0xFF;
      }
      return labels;
    }
  }

  private static DataInputStream open(Path file) throws IOException {
    InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
    if (file.getFileName().toString().endsWith(".gz")) {
      raw = new GZIPInputStream(raw, 1 << 16);
    }
    return new DataInputStream(raw);
  }

  /** The IDX file for a base name, plain or gzipped, in a folder. */
  public static Path find(Path dir, String base) {
    for (String name : new String[] {base, base + ".gz"}) {
      Path p = dir.resolve(name);
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        "No "
            + base
            + "[.gz] in "
            + dir
            + "; point dataset.path at a folder of MNIST-format IDX"
            + " files, or install Fashion-MNIST with: sudo apt-get install -y dataset-fashion-mnist");
  }
}
