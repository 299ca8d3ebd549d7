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

  /** How the test stores features in .npy: the dtype and the value of a pixel byte. */
  enum NpyFeatures {
    UINT8("|u1", 1),
    FLOAT32("<f4", 4),
    FLOAT64("<f8", 8);

    final String dtype;
    final int size;

    NpyFeatures(String dtype, int size) {
      this.dtype = dtype;
      this.size = size;
    }

    /** The IDX reader's value of a pixel, in this dtype. */
    void put(java.nio.ByteBuffer out, byte pixel) {
      switch (this) {
        case UINT8 -> out.put(pixel);
        case FLOAT32 -> out.putFloat((pixel & 0xFF) / 255f);
        case FLOAT64 -> out.putDouble((pixel & 0xFF) / 255f);
      }
    }
  }

  /** A .npy file as np.save writes it (format 1.0, header padded to 64 bytes). */
  static byte[] npy(String dtype, long[] shape, byte[] data) {
    StringBuilder dims = new StringBuilder();
    for (long s : shape) {
      dims.append(s).append(", ");
    }
    String shapeText =
        shape.length == 1
            ? "(" + shape[0] + ",)"
            : "(" + dims.substring(0, dims.length() - 2) + ")";
    String dict =
        "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': " + shapeText + ", }";
    int total = 10 + dict.length() + 1;
    int padded = (total + 63) / 64 * 64;
    String header = dict + " ".repeat(padded - total) + "\n";
    java.nio.ByteBuffer out =
        java.nio.ByteBuffer.allocate(10 + header.length() + data.length)
            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    out.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
    out.putShort((short) header.length());
    out.put(header.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    out.put(data);
    return out.array();
  }

  static byte[] npyImages(byte[][] images, NpyFeatures type) {
    java.nio.ByteBuffer data =
        java.nio.ByteBuffer.allocate(images.length * PIXELS * type.size)
            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (byte[] image : images) {
      for (byte pixel : image) {
        type.put(data, pixel);
      }
    }
    return npy(type.dtype, new long[] {images.length, ROWS, COLS}, data.array());
  }

  static byte[] npyLabels(int[] labels) {
    java.nio.ByteBuffer data =
        java.nio.ByteBuffer.allocate(labels.length * 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int y : labels) {
      data.putLong(y);
    }
    return npy("<i8", new long[] {labels.length}, data.array());
  }

  /** The four arrays under Keras' names (x_train, y_train, x_test, y_test), name to .npy bytes. */
  java.util.Map<String, byte[]> npyArrays(NpyFeatures type) {
    java.util.Map<String, byte[]> out = new java.util.LinkedHashMap<>();
    out.put("x_train", npyImages(trainImages, type));
    out.put("y_train", npyLabels(trainLabels));
    out.put("x_test", npyImages(testImages, type));
    out.put("y_test", npyLabels(testLabels));
    return out;
  }

  /** A folder of .npy files. */
  Path writeNpyFolder(Path dir, NpyFeatures type) throws IOException {
    Files.createDirectories(dir);
    for (java.util.Map.Entry<String, byte[]> e : npyArrays(type).entrySet()) {
      Files.write(dir.resolve(e.getKey() + ".npy"), e.getValue());
    }
    return dir;
  }

  /** A .npz archive, as np.savez (stored) or np.savez_compressed (deflated) writes it. */
  Path writeNpz(Path file, NpyFeatures type, boolean compressed) throws IOException {
    return writeNpz(file, npyArrays(type), compressed);
  }

  static Path writeNpz(Path file, java.util.Map<String, byte[]> arrays, boolean compressed)
      throws IOException {
    Files.createDirectories(file.getParent());
    try (java.util.zip.ZipOutputStream zip =
        new java.util.zip.ZipOutputStream(Files.newOutputStream(file))) {
      for (java.util.Map.Entry<String, byte[]> e : arrays.entrySet()) {
        java.util.zip.ZipEntry entry = new java.util.zip.ZipEntry(e.getKey() + ".npy");
        if (!compressed) {
          java.util.zip.CRC32 crc = new java.util.zip.CRC32();
          crc.update(e.getValue());
          entry.setMethod(java.util.zip.ZipEntry.STORED);
          entry.setSize(e.getValue().length);
          entry.setCrc(crc.getValue());
        }
        zip.putNextEntry(entry);
        zip.write(e.getValue());
        zip.closeEntry();
      }
    }
    return file;
  }

  /** The training set in an image folder's order: by class, then by IDX index (the file name). */
  int[] classMajorOrder(int[] labels) {
    Integer[] order = new Integer[labels.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, java.util.Comparator.comparingInt(i -> labels[i]));
    return java.util.Arrays.stream(order).mapToInt(Integer::intValue).toArray();
  }

  /**
   * train/ and test/ folders of grayscale PNGs, one sub-folder per class named by its digit, each
   * file named by its IDX index.
   */
  Path writeImageFolder(Path root) throws IOException {
    writePngs(root.resolve("train"), trainImages, trainLabels);
    writePngs(root.resolve("test"), testImages, testLabels);
    return root;
  }

  private static void writePngs(Path dir, byte[][] images, int[] labels) throws IOException {
    for (int i = 0; i < images.length; i++) {
      Path classDir = dir.resolve(Integer.toString(labels[i]));
      Files.createDirectories(classDir);
      java.awt.image.BufferedImage png =
          new java.awt.image.BufferedImage(COLS, ROWS, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
      png.getRaster().setDataElements(0, 0, COLS, ROWS, images[i]);
      javax.imageio.ImageIO.write(
          png,
          "png",
          classDir.resolve(String.format(java.util.Locale.ROOT, "%05d.png", i)).toFile());
    }
  }

  /** The same samples in the order an image folder reads them (train and test class-major). */
  FashionMnistSlice inFolderOrder() {
    FashionMnistSlice s = withTrainOrder(classMajorOrder(trainLabels));
    int[] testOrder = classMajorOrder(testLabels);
    byte[][] x = new byte[testOrder.length][];
    int[] y = new int[testOrder.length];
    for (int i = 0; i < testOrder.length; i++) {
      x[i] = testImages[testOrder[i]];
      y[i] = testLabels[testOrder[i]];
    }
    return new FashionMnistSlice(s.trainImages, s.trainLabels, x, y);
  }

  /** How the test lays out a Parquet table's features. */
  enum ParquetFeatures {
    /** Spark's array<float>: optional 3-level LIST of optional elements. */
    FLOAT_ARRAY,
    /** array<double>. */
    DOUBLE_ARRAY,
    /** One int32 column per pixel, p0 ... p783 (8-bit values). */
    INT_COLUMNS
  }

  static final String LABEL = "label";

  /**
   * train/ as a folder of two part files and test.parquet as one file, as parquet-java's example
   * writer writes them; labels in an int64 column named {@code labelColumn}.
   */
  Path writeParquet(Path root, ParquetFeatures layout, String labelColumn) throws IOException {
    Files.createDirectories(root.resolve("train"));
    int half = trainImages.length / 2;
    writeParquetFile(
        root.resolve("train/part-00000.parquet"),
        layout,
        labelColumn,
        trainImages,
        trainLabels,
        0,
        half);
    writeParquetFile(
        root.resolve("train/part-00001.parquet"),
        layout,
        labelColumn,
        trainImages,
        trainLabels,
        half,
        trainImages.length);
    writeParquetFile(
        root.resolve("test.parquet"),
        layout,
        labelColumn,
        testImages,
        testLabels,
        0,
        testImages.length);
    return root;
  }

  private static void writeParquetFile(
      Path file,
      ParquetFeatures layout,
      String labelColumn,
      byte[][] images,
      int[] labels,
      int from,
      int to)
      throws IOException {
    org.apache.parquet.schema.Types.MessageTypeBuilder schema =
        org.apache.parquet.schema.Types.buildMessage();
    org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName element =
        layout == ParquetFeatures.DOUBLE_ARRAY
            ? org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.DOUBLE
            : org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.FLOAT;
    if (layout == ParquetFeatures.INT_COLUMNS) {
      for (int j = 0; j < PIXELS; j++) {
        schema
            .required(org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT32)
            .named("p" + j);
      }
    } else {
      schema
          .optionalGroup()
          .as(org.apache.parquet.schema.LogicalTypeAnnotation.listType())
          .repeatedGroup()
          .optional(element)
          .named("element")
          .named("list")
          .named("features");
    }
    schema
        .required(org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT64)
        .named(labelColumn);
    org.apache.parquet.schema.MessageType type = schema.named("samples");
    org.apache.parquet.example.data.simple.SimpleGroupFactory groups =
        new org.apache.parquet.example.data.simple.SimpleGroupFactory(type);
    try (org.apache.parquet.hadoop.ParquetWriter<org.apache.parquet.example.data.Group> writer =
        org.apache.parquet.hadoop.example.ExampleParquetWriter.builder(
                new org.apache.hadoop.fs.Path(file.toUri()))
            .withType(type)
            .withConf(new org.apache.hadoop.conf.Configuration())
            .build()) {
      for (int i = from; i < to; i++) {
        org.apache.parquet.example.data.Group row = groups.newGroup();
        if (layout == ParquetFeatures.INT_COLUMNS) {
          for (int j = 0; j < PIXELS; j++) {
            row.append("p" + j, images[i][j] & 0xFF);
          }
        } else {
          org.apache.parquet.example.data.Group list = row.addGroup("features");
          for (byte pixel : images[i]) {
            float v = (pixel & 0xFF) / 255f;
            if (layout == ParquetFeatures.DOUBLE_ARRAY) {
              list.addGroup("list").append("element", (double) v);
            } else {
              list.addGroup("list").append("element", v);
            }
          }
        }
        row.append(labelColumn, (long) labels[i]);
        writer.write(row);
      }
    }
  }
}
