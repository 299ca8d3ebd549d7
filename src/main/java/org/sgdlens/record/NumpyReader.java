package org.sgdlens.record;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Reads NumPy arrays: {@code .npy} files (format versions 1 to 3) and {@code .npz} archives of them
 * (np.savez and np.savez_compressed). Numeric arrays only, C order, little-endian: uint8, int32,
 * int64, float32 and float64. Anything else (Fortran order, pickled objects, structured or
 * big-endian dtypes) is refused with the file, the dtype and the NumPy call that fixes it.
 *
 * <p>DJL's {@code NDList.decode} reads the same files, but only into a native engine's memory, with
 * a generic "Invalid numpy header" for the cases above and arrays capped at 2 GB of bytes; this
 * reader keeps the data source free of the engine and its errors specific.
 */
final class NumpyReader {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*('([^']*)'|\\[)");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  /** The dtypes read, as NumPy's array-protocol strings. */
  static final List<String> DTYPES = List.of("|u1", "<i4", "<i8", "<f4", "<f8");

  private NumpyReader() {}

  /** One array: its dtype, shape and little-endian data; {@code source} names it in errors. */
  record Array(String source, String dtype, long[] shape, ByteBuffer data) {
    long count() {
      long n = 1;
      for (long s : shape) {
        n *= s;
      }
      return n;
    }

    boolean integer() {
      return dtype.charAt(1) != 'f';
    }

    double get(int i) {
      return switch (dtype) {
        case "|u1" -> data.get(i) & 0xFF;
        case "<i4" -> data.getInt(i * 4);
        case "<i8" -> data.getLong(i * 8);
        case "<f4" -> data.getFloat(i * 4);
        case "<f8" -> data.getDouble(i * 8);
        default -> throw new IllegalStateException(dtype);
      };
    }

    /**
     * The values as features: float arrays as stored (float64 rounded to float32), integer arrays
     * as 8-bit pixels divided by 255, exactly as IDX and CIFAR pixels are.
     */
    float[] features() {
      int n = Math.toIntExact(count());
      float[] out = new float[n];
      switch (dtype) {
        case "<f4" -> data.asFloatBuffer().get(out);
        case "<f8" -> {
          for (int i = 0; i < n; i++) {
            out[i] = (float) data.getDouble(i * 8);
          }
        }
        default -> {
          for (int i = 0; i < n; i++) {
            double v = get(i);
            if (v < 0 || v > 255) {
              throw new IllegalArgumentException(
                  source
                      + " ("
                      + dtype
                      + ") holds the value "
                      + (long) v
                      + " at flat index "
                      + i
                      + "; integer features are read as 8-bit pixels (0 to 255, divided by 255):"
                      + " save other features as float32 (x.astype(np.float32))");
            }
            out[i] = (int) v / 255f;
          }
        }
      }
      return out;
    }

    /** The values as class labels; integer dtypes only. */
    int[] labels() {
      if (!integer()) {
        throw new IllegalArgumentException(
            source
                + " has dtype "
                + dtype
                + " but labels must be integers; save them with y.astype(np.int64)");
      }
      int n = Math.toIntExact(count());
      int[] out = new int[n];
      for (int i = 0; i < n; i++) {
        double v = get(i);
        if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
          throw new IllegalArgumentException(
              source + " holds the label " + (long) v + "; labels must be class indices 0..C-1");
        }
        out[i] = (int) v;
      }
      return out;
    }
  }

  /** Reads one {@code .npy} stream. */
  static Array read(InputStream in, String source) throws IOException {
    byte[] magic = in.readNBytes(MAGIC.length + 2);
    if (magic.length < MAGIC.length + 2 || !Arrays.equals(magic, 0, MAGIC.length, MAGIC, 0, 6)) {
      throw new IllegalArgumentException(
          source + " is not a .npy file (no \\x93NUMPY magic); write it with np.save");
    }
    int major = magic[MAGIC.length];
    byte[] lengthBytes = in.readNBytes(major == 1 ? 2 : 4);
    ByteBuffer lb = ByteBuffer.wrap(lengthBytes).order(ByteOrder.LITTLE_ENDIAN);
    long headerLength =
        major == 1 ? Short.toUnsignedInt(lb.getShort()) : Integer.toUnsignedLong(lb.getInt());
    if (major < 1 || major > 3 || headerLength > 1 << 20) {
      throw new IllegalArgumentException(
          source + " has .npy format version " + major + ", not 1, 2 or 3; write it with np.save");
    }
    String header =
        new String(
            in.readNBytes((int) headerLength),
            major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    Matcher descr = DESCR.matcher(header);
    Matcher fortran = FORTRAN.matcher(header);
    Matcher shapeMatch = SHAPE.matcher(header);
    if (!descr.find() || !fortran.find() || !shapeMatch.find()) {
      throw new IllegalArgumentException(
          source + " has a .npy header NumPy does not write: " + header.trim());
    }
    if (descr.group(2) == null) {
      throw new IllegalArgumentException(
          source
              + " holds a structured dtype (a record array); save each field as its own"
              + " numeric array");
    }
    String dtype = descr.group(2);
    if (dtype.equals("|O") || dtype.equals("O")) {
      throw new IllegalArgumentException(
          source
              + " holds pickled Python objects (dtype "
              + dtype
              + "), which are never unpickled here; save a numeric array, e.g."
              + " np.save(f, np.asarray(x, dtype=np.float32))");
    }
    if (dtype.equals("<u1") || dtype.equals("u1")) {
      dtype = "|u1";
    }
    if (dtype.startsWith(">")) {
      throw new IllegalArgumentException(
          source
              + " has the big-endian dtype "
              + dtype
              + "; save it little-endian, e.g. x.astype('<"
              + dtype.substring(1)
              + "')");
    }
    if (!DTYPES.contains(dtype)) {
      throw new IllegalArgumentException(
          source
              + " has dtype "
              + dtype
              + ", which is not read; use uint8 (|u1), int32 (<i4), int64 (<i8), float32 (<f4)"
              + " or float64 (<f8), e.g. x.astype(np.float32)");
    }
    if (fortran.group(1).equals("True")) {
      throw new IllegalArgumentException(
          source
              + " is in Fortran (column-major) order; save it in C order with"
              + " np.save(f, np.ascontiguousarray(x))");
    }
    List<Long> dims = new ArrayList<>();
    for (String token : shapeMatch.group(1).split(",")) {
      if (!token.isBlank()) {
        dims.add(Long.parseLong(token.trim()));
      }
    }
    long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
    long count = 1;
    for (long s : shape) {
      count *= s;
    }
    int itemSize = dtype.charAt(2) - '0';
    long bytes = count * itemSize;
    if (bytes > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          source + " holds " + bytes + " bytes, more than one Java array takes; split the array");
    }
    byte[] data = in.readNBytes((int) bytes);
    if (data.length != bytes) {
      throw new IllegalArgumentException(
          source
              + " is truncated: its header says shape "
              + Arrays.toString(shape)
              + " of "
              + dtype
              + " ("
              + bytes
              + " bytes) but "
              + data.length
              + " bytes follow; write the file again");
    }
    return new Array(
        source,
        dtype,
        shape,
        ByteBuffer.wrap(data).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN));
  }

  /**
   * The training and test sets of a {@code .npz} file or a folder of {@code .npy} files, with the
   * array names of {@code dataset.arrays}.
   */
  static TrainingData.Raw readDataset(Path path, RunConfig.DataConfig d) {
    RunConfig.NumpyArrays names = d.arrays;
    try {
      Array trainX;
      Array trainY;
      Array testX;
      Array testY;
      if (Files.isDirectory(path)) {
        trainX = readFile(path, names.trainFeatures);
        trainY = readFile(path, names.trainLabels);
        testX = readFile(path, names.testFeatures);
        testY = readFile(path, names.testLabels);
      } else if (Files.isRegularFile(path)) {
        try (ZipFile zip = new ZipFile(path.toFile())) {
          trainX = readEntry(zip, path, names.trainFeatures);
          trainY = readEntry(zip, path, names.trainLabels);
          testX = readEntry(zip, path, names.testFeatures);
          testY = readEntry(zip, path, names.testLabels);
        } catch (java.util.zip.ZipException e) {
          throw new IllegalArgumentException(
              path
                  + " is not a .npz (zip) archive ("
                  + e.getMessage()
                  + "); point dataset.path at a file written by np.savez, or a folder of .npy files");
        }
      } else {
        throw new IllegalArgumentException(
            "NumPy dataset "
                + path
                + " does not exist; set dataset.path to a .npz file or a folder of .npy files");
      }
      int[] shape = sampleShape(trainX, d.imageShape, d.channelsLast);
      int[] testShape = sampleShape(testX, d.imageShape, d.channelsLast);
      if (!Arrays.equals(shape, testShape)) {
        throw new IllegalArgumentException(
            testX.source()
                + " has samples of shape "
                + Arrays.toString(testShape)
                + " but "
                + trainX.source()
                + " has "
                + Arrays.toString(shape)
                + "; both splits need the same sample shape");
      }
      float[] trainFeatures = trainX.features();
      int[] trainLabels = labels(trainY, trainX);
      float[] testFeatures = testX.features();
      int[] testLabels = labels(testY, testX);
      return TrainingData.Raw.of(
          "NumPy dataset " + path, shape, trainFeatures, trainLabels, testFeatures, testLabels);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + path + ": " + e.getMessage(), e);
    }
  }

  private static Array readFile(Path dir, String name) throws IOException {
    Path file = dir.resolve(name + ".npy");
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(
          "No "
              + name
              + ".npy in "
              + dir
              + "; save the array there with np.save, or name the files in dataset.arrays");
    }
    try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      return read(in, file.toString());
    }
  }

  private static Array readEntry(ZipFile zip, Path file, String name) throws IOException {
    ZipEntry entry = zip.getEntry(name + ".npy");
    if (entry == null) {
      List<String> keys = new ArrayList<>();
      zip.stream()
          .map(ZipEntry::getName)
          .map(n -> n.endsWith(".npy") ? n.substring(0, n.length() - 4) : n)
          .forEach(keys::add);
      throw new IllegalArgumentException(
          file
              + " has no array '"
              + name
              + "' (it holds "
              + keys
              + "); name the arrays in dataset.arrays (train_features, train_labels,"
              + " test_features, test_labels)");
    }
    try (InputStream in = zip.getInputStream(entry)) {
      return read(in, file + "[" + name + "]");
    }
  }

  /**
   * A sample's shape: the array's shape after the first axis ([C, H, W] of an (N, H, W, C) array
   * with channels last), or dataset.image_shape.
   */
  private static int[] sampleShape(Array features, List<Integer> imageShape, boolean channelsLast) {
    long[] s = features.shape();
    if (s.length < 2) {
      throw new IllegalArgumentException(
          features.source()
              + " has shape "
              + Arrays.toString(s)
              + "; features need one row per sample, (N, F) or (N, [C,] H, W)");
    }
    long perSample = features.count() / Math.max(1, s[0]);
    if (!imageShape.isEmpty()) {
      long product = 1;
      for (int v : imageShape) {
        product *= v;
      }
      if (product != perSample) {
        throw new IllegalArgumentException(
            "dataset.image_shape "
                + imageShape
                + " holds "
                + product
                + " values but a sample of "
                + features.source()
                + " (shape "
                + Arrays.toString(s)
                + ") holds "
                + perSample
                + "; give a shape of the samples' size or leave image_shape empty");
      }
      return imageShape.stream().mapToInt(Integer::intValue).toArray();
    }
    if (s.length == 3) {
      return new int[] {1, Math.toIntExact(s[1]), Math.toIntExact(s[2])};
    }
    if (s.length == 4 && channelsLast) {
      return new int[] {Math.toIntExact(s[3]), Math.toIntExact(s[1]), Math.toIntExact(s[2])};
    }
    int[] out = new int[s.length - 1];
    for (int i = 1; i < s.length; i++) {
      out[i - 1] = Math.toIntExact(s[i]);
    }
    return out;
  }

  private static int[] labels(Array labels, Array features) {
    long[] s = labels.shape();
    boolean column = s.length == 1 || (s.length == 2 && s[1] == 1);
    if (!column) {
      throw new IllegalArgumentException(
          labels.source()
              + " has shape "
              + Arrays.toString(s)
              + "; labels need shape (N,) or (N, 1): one class index per sample (not one-hot:"
              + " use y.argmax(axis=1))");
    }
    if (s[0] != features.shape()[0]) {
      throw new IllegalArgumentException(
          labels.source()
              + " holds "
              + s[0]
              + " labels but "
              + features.source()
              + " holds "
              + features.shape()[0]
              + " samples; give one label per sample");
    }
    return labels.labels();
  }
}
