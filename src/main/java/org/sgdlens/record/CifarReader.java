package org.sgdlens.record;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads CIFAR-10's binary distribution ({@code cifar-10-batches-bin}): {@code data_batch_N.bin}
 * files for training, in the order of N, and {@code test_batch.bin}. Each record is one label byte
 * followed by the image's bytes, channel-major (C x H x W: 1024 red, 1024 green, 1024 blue bytes
 * for CIFAR-10). Pixels are divided by 255, as IDX pixels are.
 */
final class CifarReader {
  /** CIFAR-10's record image: 3 channels of 32 x 32. */
  static final List<Integer> SHAPE_DEFAULT = List.of(3, 32, 32);

  static final String TEST_FILE = "test_batch.bin";

  private static final Pattern TRAIN_FILE = Pattern.compile("data_batch_(\\d+)\\.bin");

  private CifarReader() {}

  static TrainingData.Raw read(Path dir, List<Integer> imageShape) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException(
          "CIFAR folder "
              + dir
              + " does not exist; set dataset.path to the folder holding data_batch_1.bin ..."
              + " data_batch_5.bin and test_batch.bin (CIFAR-10's binary version)");
    }
    List<Integer> shape = imageShape.isEmpty() ? SHAPE_DEFAULT : imageShape;
    if (shape.size() != 3 || shape.stream().anyMatch(s -> s <= 0)) {
      throw new IllegalArgumentException(
          "dataset.image_shape "
              + imageShape
              + " is not [channels, height, width]; CIFAR-10's is [3, 32, 32]");
    }
    int[] inputShape = {shape.get(0), shape.get(1), shape.get(2)};
    int pixels = inputShape[0] * inputShape[1] * inputShape[2];
    List<Path> trainFiles = trainFiles(dir);
    Path testFile = dir.resolve(TEST_FILE);
    if (!Files.isRegularFile(testFile)) {
      throw new IllegalArgumentException(
          "No "
              + TEST_FILE
              + " in "
              + dir
              + "; the CIFAR-10 binary version ships it beside the"
              + " data_batch_N.bin files");
    }
    Batch train = readAll(trainFiles, pixels, shape);
    Batch test = readAll(List.of(testFile), pixels, shape);
    return TrainingData.Raw.of(
        "CIFAR folder " + dir, inputShape, train.pixels, train.labels, test.pixels, test.labels);
  }

  private static List<Path> trainFiles(Path dir) {
    List<Path> files = new ArrayList<>();
    try (Stream<Path> list = Files.list(dir)) {
      list.filter(p -> TRAIN_FILE.matcher(p.getFileName().toString()).matches())
          .forEach(files::add);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list " + dir + ": " + e.getMessage(), e);
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException(
          "No data_batch_N.bin in "
              + dir
              + "; point dataset.path at CIFAR-10's binary version (cifar-10-batches-bin)");
    }
    files.sort(java.util.Comparator.comparingInt(CifarReader::batchNumber));
    return files;
  }

  private static int batchNumber(Path file) {
    Matcher m = TRAIN_FILE.matcher(file.getFileName().toString());
    if (!m.matches()) {
      throw new IllegalStateException(file.toString());
    }
    return Integer.parseInt(m.group(1));
  }

  private record Batch(float[] pixels, int[] labels) {}

  private static Batch readAll(List<Path> files, int pixels, List<Integer> shape) {
    List<byte[]> contents = new ArrayList<>();
    long records = 0;
    int record = 1 + pixels;
    for (Path file : files) {
      byte[] bytes;
      try {
        bytes = Files.readAllBytes(file);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read " + file + ": " + e.getMessage(), e);
      }
      if (bytes.length == 0 || bytes.length % record != 0) {
        throw new IllegalArgumentException(
            file
                + " has "
                + bytes.length
                + " bytes, not a whole number of "
                + record
                + "-byte records (1 label byte + "
                + shape.get(0)
                + "x"
                + shape.get(1)
                + "x"
                + shape.get(2)
                + " pixel bytes): the file is truncated, or dataset.image_shape is not the"
                + " records' shape");
      }
      contents.add(bytes);
      records += bytes.length / record;
    }
    if (records * pixels > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          files + " hold " + records + " images, more than one Java array takes; use fewer");
    }
    float[] out = new float[(int) (records * pixels)];
    int[] labels = new int[(int) records];
    int n = 0;
    for (byte[] bytes : contents) {
      for (int at = 0; at < bytes.length; at += record, n++) {
        labels[n] = bytes[at] & 0xFF;
        int base = n * pixels;
        for (int j = 0; j < pixels; j++) {
          out[base + j] = (bytes[at + 1 + j] & 0xFF) / 255f;
        }
      }
    }
    return new Batch(out, labels);
  }
}
