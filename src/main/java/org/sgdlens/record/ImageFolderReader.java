package org.sgdlens.record;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * Reads an image folder as DJL's {@code ImageFolder} lays it out: one sub-folder per class, the
 * classes numbered in the sorted order of the folder names, with a {@code train/} and a {@code
 * test/} folder of that layout under {@code dataset.path}. Files are taken in sorted name order
 * (DJL lists them in file-system order, which differs between machines), so the sample order and
 * every seeded choice made from it are the same everywhere.
 *
 * <p>Images are decoded with javax.imageio (PNG, JPEG, BMP, GIF, WBMP), 8 bits a channel, all of
 * one size; no resizing. Grayscale images give one channel, colour images three (alpha dropped);
 * {@code dataset.image_shape} can ask for three channels of grayscale images (replicated). Pixels
 * are divided by 255, as IDX pixels are.
 */
final class ImageFolderReader {
  static final String TRAIN = "train";
  static final String TEST = "test";

  /** File extensions read, DJL ImageFolder's. */
  static final Set<String> EXTENSIONS = Set.of(".png", ".jpg", ".jpeg", ".bmp", ".gif", ".wbmp");

  private ImageFolderReader() {}

  static TrainingData.Raw read(Path root, List<Integer> imageShape) {
    Path trainDir = root.resolve(TRAIN);
    Path testDir = root.resolve(TEST);
    if (!Files.isDirectory(trainDir) || !Files.isDirectory(testDir)) {
      throw new IllegalArgumentException(
          "Image folder "
              + root
              + " needs a "
              + TRAIN
              + "/ and a "
              + TEST
              + "/ folder, each with one sub-folder of images per class (e.g. "
              + TRAIN
              + "/cat/001.png); set dataset.path to the folder that holds them");
    }
    if (!imageShape.isEmpty()
        && (imageShape.size() != 3 || (imageShape.get(0) != 1 && imageShape.get(0) != 3))) {
      throw new IllegalArgumentException(
          "dataset.image_shape "
              + imageShape
              + " is not [channels, height, width] with 1 or 3 channels; leave it empty to take"
              + " the shape of the first image");
    }
    List<String> classes = subFolders(trainDir);
    if (classes.isEmpty()) {
      throw new IllegalArgumentException(
          trainDir + " has no class sub-folders; put each class's images in a folder of its own");
    }
    for (String testClass : subFolders(testDir)) {
      if (!classes.contains(testClass)) {
        throw new IllegalArgumentException(
            "Test class folder "
                + testDir.resolve(testClass)
                + " has no training folder in "
                + trainDir
                + "; the test set's classes must be among the training classes "
                + classes);
      }
    }
    Decoder decoder = new Decoder(imageShape);
    Split train = readSplit(trainDir, classes, decoder, true);
    Split test = readSplit(testDir, classes, decoder, false);
    return TrainingData.Raw.of(
        "Image folder " + root,
        decoder.shape(),
        train.pixels,
        train.labels,
        test.pixels,
        test.labels);
  }

  private static List<String> subFolders(Path dir) {
    try (Stream<Path> list = Files.list(dir)) {
      return list.filter(Files::isDirectory)
          .map(p -> p.getFileName().toString())
          .filter(name -> !name.startsWith("."))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list " + dir + ": " + e.getMessage(), e);
    }
  }

  private static List<Path> images(Path classDir) {
    try (Stream<Path> list = Files.list(classDir)) {
      return list.filter(Files::isRegularFile)
          .filter(
              p -> {
                String name = p.getFileName().toString();
                int dot = name.lastIndexOf('.');
                return !name.startsWith(".")
                    && dot >= 0
                    && EXTENSIONS.contains(name.substring(dot).toLowerCase(Locale.ROOT));
              })
          .sorted(java.util.Comparator.comparing(p -> p.getFileName().toString()))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list " + classDir + ": " + e.getMessage(), e);
    }
  }

  private record Split(float[] pixels, int[] labels) {}

  private static Split readSplit(
      Path dir, List<String> classes, Decoder decoder, boolean everyClass) {
    List<Path> files = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    for (int c = 0; c < classes.size(); c++) {
      Path classDir = dir.resolve(classes.get(c));
      if (!Files.isDirectory(classDir) && !everyClass) {
        continue; // a class with no test samples
      }
      List<Path> found = images(classDir);
      if (found.isEmpty()) {
        throw new IllegalArgumentException(
            "Class folder "
                + classDir
                + " has no images ("
                + String.join(", ", new java.util.TreeSet<>(EXTENSIONS))
                + "); add its images or remove the folder");
      }
      for (Path f : found) {
        files.add(f);
        labels.add(c);
      }
    }
    // The first image fixes the shape (unless image_shape did); then one array for the split.
    float[] pixels = null;
    for (int i = 0; i < files.size(); i++) {
      float[] image = decoder.decode(files.get(i));
      if (pixels == null) {
        pixels = new float[Math.multiplyExact(files.size(), decoder.features())];
      }
      System.arraycopy(image, 0, pixels, i * image.length, image.length);
    }
    return new Split(
        pixels != null ? pixels : new float[0],
        labels.stream().mapToInt(Integer::intValue).toArray());
  }

  /** Decodes images to C x H x W floats; the first image fixes the shape unless it is given. */
  private static final class Decoder {
    private int channels;
    private int height;
    private int width;
    private Path first;

    Decoder(List<Integer> imageShape) {
      if (!imageShape.isEmpty()) {
        channels = imageShape.get(0);
        height = imageShape.get(1);
        width = imageShape.get(2);
      }
    }

    int[] shape() {
      return new int[] {channels, height, width};
    }

    int features() {
      return channels * height * width;
    }

    float[] decode(Path file) {
      BufferedImage image;
      try {
        image = ImageIO.read(file.toFile());
      } catch (IOException e) {
        throw new IllegalArgumentException(
            file + " cannot be decoded (" + e.getMessage() + "); replace or remove it", e);
      }
      if (image == null) {
        throw new IllegalArgumentException(
            file
                + " is not an image javax.imageio reads (PNG, JPEG, BMP, GIF); convert or remove it");
      }
      Raster raster = image.getRaster();
      boolean indexed = image.getColorModel() instanceof IndexColorModel;
      boolean gray = !indexed && raster.getNumBands() <= 2;
      for (int b = 0; b < raster.getNumBands(); b++) {
        if (!indexed && raster.getSampleModel().getSampleSize(b) > 8) {
          throw new IllegalArgumentException(
              file
                  + " has "
                  + raster.getSampleModel().getSampleSize(b)
                  + "-bit samples; only 8-bit images are read: convert it to 8 bits a channel");
        }
      }
      if (channels == 0) {
        channels = gray ? 1 : 3;
        height = image.getHeight();
        width = image.getWidth();
        first = file;
      }
      if (image.getHeight() != height || image.getWidth() != width) {
        throw new IllegalArgumentException(
            file
                + " is "
                + image.getWidth()
                + "x"
                + image.getHeight()
                + " but the images are "
                + width
                + "x"
                + height
                + (first != null ? " (as " + first + ")" : " (dataset.image_shape)")
                + "; resize every image to one size first");
      }
      if (channels == 1 && !gray) {
        throw new IllegalArgumentException(
            file
                + " is a colour image in a grayscale set"
                + (first != null ? " (" + first + " is grayscale)" : "")
                + "; convert it to grayscale, or set dataset.image_shape: [3, "
                + height
                + ", "
                + width
                + "] to read every image as colour");
      }
      int plane = height * width;
      float[] out = new float[channels * plane];
      for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          int at = y * width + x;
          if (gray) {
            float v = raster.getSample(x, y, 0) / 255f;
            for (int c = 0; c < channels; c++) {
              out[c * plane + at] = v;
            }
          } else {
            int rgb = image.getRGB(x, y);
            out[at] = ((rgb >> 16) & 0xFF) / 255f;
            out[plane + at] = ((rgb >> 8) & 0xFF) / 255f;
            out[2 * plane + at] = (rgb & 0xFF) / 255f;
          }
        }
      }
      return out;
    }
  }
}
