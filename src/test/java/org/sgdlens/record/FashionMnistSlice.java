package org.sgdlens.record;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * The first samples of the real Fashion-MNIST (Debian's dataset-fashion-mnist) as raw bytes, and
 * writers of the same samples in each format the train job reads. The IDX copy is the oracle the
 * other formats are compared with.
 */
final class FashionMnistSlice {
  static final Path DATA = Path.of(RunConfig.DataConfig.PATH_DEFAULT);
  static final int ROWS = 28;
  static final int COLS = 28;
  static final int PIXELS = ROWS * COLS;

  final byte[][] trainImages;
  final int[] trainLabels;
  final byte[][] testImages;
  final int[] testLabels;

  private FashionMnistSlice(byte[][] trainImages, int[] trainLabels, byte[][] testImages, int[] y) {
    this.trainImages = trainImages;
    this.trainLabels = trainLabels;
    this.testImages = testImages;
    this.testLabels = y;
  }

  static FashionMnistSlice read(int train, int test) {
    return new FashionMnistSlice(
        images(DATA.resolve("train-images-idx3-ubyte.gz"), train),
        labels(DATA.resolve("train-labels-idx1-ubyte.gz"), train),
        images(DATA.resolve("t10k-images-idx3-ubyte.gz"), test),
        labels(DATA.resolve("t10k-labels-idx1-ubyte.gz"), test));
  }

  /** The same samples with the training set in another order (e.g. an image folder's). */
  FashionMnistSlice withTrainOrder(int[] order) {
    byte[][] x = new byte[order.length][];
    int[] y = new int[order.length];
    for (int i = 0; i < order.length; i++) {
      x[i] = trainImages[order[i]];
      y[i] = trainLabels[order[i]];
    }
    return new FashionMnistSlice(x, y, testImages, testLabels);
  }

  private static DataInputStream open(Path file) throws IOException {
    return new DataInputStream(
        new GZIPInputStream(new BufferedInputStream(Files.newInputStream(file))));
  }

  private static byte[][] images(Path file, int n) {
    try (DataInputStream in = open(file)) {
      in.readInt();
      int count = in.readInt();
      if (in.readInt() != ROWS || in.readInt() != COLS || count < n) {
        throw new IllegalStateException(file + " is not Fashion-MNIST");
      }
      byte[][] out = new byte[n][PIXELS];
      for (byte[] image : out) {
        in.readFully(image);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int[] labels(Path file, int n) {
    try (DataInputStream in = open(file)) {
      in.readInt();
      in.readInt();
      int[] out = new int[n];
      for (int i = 0; i < n; i++) {
        out[i] = in.readUnsignedByte();
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Plain (not gzipped) IDX files, as the originals are laid out. */
  Path writeIdx(Path dir) throws IOException {
    Files.createDirectories(dir);
    writeIdxImages(dir.resolve("train-images-idx3-ubyte"), trainImages);
    writeIdxLabels(dir.resolve("train-labels-idx1-ubyte"), trainLabels);
    writeIdxImages(dir.resolve("t10k-images-idx3-ubyte"), testImages);
    writeIdxLabels(dir.resolve("t10k-labels-idx1-ubyte"), testLabels);
    return dir;
  }

  private static void writeIdxImages(Path file, byte[][] images) throws IOException {
    try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(file))) {
      out.writeInt(0x803);
      out.writeInt(images.length);
      out.writeInt(ROWS);
      out.writeInt(COLS);
      for (byte[] image : images) {
        out.write(image);
      }
    }
  }

  private static void writeIdxLabels(Path file, int[] labels) throws IOException {
    try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(file))) {
      out.writeInt(0x801);
      out.writeInt(labels.length);
      for (int y : labels) {
        out.writeByte(y);
      }
    }
  }

  /**
   * CIFAR binary batches: the training set split over {@code batches} data_batch_N.bin files, one
   * label byte then {@code channels} copies of the 28x28 image per record.
   */
  Path writeCifar(Path dir, int channels, int batches) throws IOException {
    Files.createDirectories(dir);
    int per = (trainImages.length + batches - 1) / batches;
    for (int b = 0; b < batches; b++) {
      int from = b * per;
      int to = Math.min(trainImages.length, from + per);
      try (OutputStream out =
          Files.newOutputStream(dir.resolve("data_batch_" + (b + 1) + ".bin"))) {
        writeCifarRecords(out, trainImages, trainLabels, from, to, channels);
      }
    }
    try (OutputStream out = Files.newOutputStream(dir.resolve("test_batch.bin"))) {
      writeCifarRecords(out, testImages, testLabels, 0, testImages.length, channels);
    }
    return dir;
  }

  private static void writeCifarRecords(
      OutputStream out, byte[][] images, int[] labels, int from, int to, int channels)
      throws IOException {
    for (int i = from; i < to; i++) {
      out.write(labels[i]);
      for (int c = 0; c < channels; c++) {
        out.write(images[i]);
      }
    }
  }
}
