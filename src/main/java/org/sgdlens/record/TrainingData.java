package org.sgdlens.record;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.sgdlens.kernel.LabelNoise;
import org.sgdlens.kernel.Permutations;

/**
 * The data of one run after subset selection and label noise: training features with given and true
 * labels (ground truth kept per sample), and the test set.
 *
 * @param sampleIndex stable index of each kept training sample in the run's (pre-exclusion) set
 * @param sourceIndex index of each kept training sample in the source file
 */
public record TrainingData(
    int features,
    int[] inputShape,
    int classes,
    float[] trainX,
    int[] givenLabels,
    int[] trueLabels,
    int[] sampleIndex,
    int[] sourceIndex,
    float[] testX,
    int[] testLabels) {

  public int trainSize() {
    return givenLabels.length;
  }

  public int testSize() {
    return testLabels.length;
  }

  public boolean mislabeled(int i) {
    return givenLabels[i] != trueLabels[i];
  }

  public int mislabeledCount() {
    int c = 0;
    for (int i = 0; i < trainSize(); i++) {
      if (mislabeled(i)) {
        c++;
      }
    }
    return c;
  }

  /** Loads, subsets, corrupts labels and applies exclusions as the config says. */
  public static TrainingData load(RunConfig config) {
    RunConfig.DataConfig d = config.dataset;
    Raw raw = normalised(channelsFirst(read(d, config.sgd.seed), d), d);
    long seed = config.sgd.seed;
    int[] keep =
        d.perClass > 0
            ? perClassSubset(raw.trainLabels, raw.classes, d.perClass, seed)
            : identity(raw.trainLabels.length);
    int n = keep.length;
    float[] x = new float[n * raw.features];
    int[] trueLabels = new int[n];
    for (int i = 0; i < n; i++) {
      System.arraycopy(raw.trainX, keep[i] * raw.features, x, i * raw.features, raw.features);
      trueLabels[i] = raw.trainLabels[keep[i]];
    }
    long noiseSeed = Permutations.mix(config.noise.seed >= 0 ? config.noise.seed : seed, 0x4E01);
    int[] given =
        switch (config.noise.kind) {
          case "symmetric", "none" ->
              LabelNoise.symmetric(trueLabels, raw.classes, config.noise.fraction, noiseSeed);
          case "asymmetric" ->
              LabelNoise.asymmetric(
                  trueLabels,
                  pairs(config.noise.pairs, raw.classes),
                  config.noise.fraction,
                  noiseSeed);
          default ->
              throw new IllegalArgumentException(
                  "Unknown noise.kind '" + config.noise.kind + "'; use symmetric or asymmetric");
        };

    Set<Integer> excluded = excluded(d.excludeSamples);
    List<Integer> kept = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      boolean drop = excluded.contains(i) || (d.onlyClean && given[i] != trueLabels[i]);
      if (!drop) {
        kept.add(i);
      }
    }
    float[] tx = raw.testX;
    int[] ty = raw.testLabels;
    if (d.testSize > 0 && d.testSize < ty.length) {
      int[] perm = Permutations.permutation(ty.length, seed, 0x7E57);
      float[] sx = new float[d.testSize * raw.features];
      int[] sy = new int[d.testSize];
      for (int i = 0; i < d.testSize; i++) {
        System.arraycopy(tx, perm[i] * raw.features, sx, i * raw.features, raw.features);
        sy[i] = ty[perm[i]];
      }
      tx = sx;
      ty = sy;
    }
    int m = kept.size();
    float[] kx = new float[m * raw.features];
    int[] kGiven = new int[m];
    int[] kTrue = new int[m];
    int[] kIndex = new int[m];
    int[] kSource = new int[m];
    for (int j = 0; j < m; j++) {
      int i = kept.get(j);
      System.arraycopy(x, i * raw.features, kx, j * raw.features, raw.features);
      kGiven[j] = given[i];
      kTrue[j] = trueLabels[i];
      kIndex[j] = i;
      kSource[j] = keep[i];
    }
    return new TrainingData(
        raw.features, raw.inputShape, raw.classes, kx, kGiven, kTrue, kIndex, kSource, tx, ty);
  }

  /** The dataset names {@code dataset.name} accepts. */
  public static final List<String> SOURCES =
      List.of(
          "fashion-mnist",
          "mnist",
          "idx",
          "cifar10",
          "image-folder",
          "numpy",
          "parquet",
          "synthetic");

  /** A source's samples as read, before subsets, noise and exclusions (one path for them all). */
  private static Raw read(RunConfig.DataConfig d, long seed) {
    return switch (d.name) {
      case "fashion-mnist", "mnist", "idx" -> readIdx(Path.of(d.path));
      case "cifar10" -> CifarReader.read(Path.of(d.path), d.imageShape);
      case "image-folder" -> ImageFolderReader.read(Path.of(d.path), d.imageShape);
      case "numpy" -> NumpyReader.readDataset(Path.of(d.path), d);
      case "parquet" -> ParquetSamplesReader.read(Path.of(d.path), d);
      case "synthetic" -> synthetic(d, seed);
      default ->
          throw new IllegalArgumentException(
              "Unknown dataset '"
                  + d.name
                  + "'; use one of "
                  + String.join(", ", SOURCES)
                  + " (docs/data.md)");
    };
  }

  /**
   * Samples of a source: row-major features ({@code features} floats a sample, shaped {@code
   * inputShape}) and labels in {@code [0, classes)}.
   */
  record Raw(
      int features,
      int[] inputShape,
      int classes,
      float[] trainX,
      int[] trainLabels,
      float[] testX,
      int[] testLabels) {

    /**
     * Checks a non-IDX source's arrays and takes {@code classes} as one more than the largest label
     * of either split; {@code source} names the files in error messages.
     */
    static Raw of(
        String source,
        int[] inputShape,
        float[] trainX,
        int[] trainLabels,
        float[] testX,
        int[] testLabels) {
      int features = 1;
      for (int s : inputShape) {
        features *= s;
      }
      if (trainLabels.length == 0) {
        throw new IllegalArgumentException(
            source + " holds no training samples; point dataset.path at a non-empty dataset");
      }
      if (trainX.length != (long) trainLabels.length * features
          || testX.length != (long) testLabels.length * features) {
        throw new IllegalStateException(
            source + ": features and labels disagree after reading (a bug in the reader)");
      }
      int classes = 0;
      for (int[] labels : new int[][] {trainLabels, testLabels}) {
        for (int y : labels) {
          if (y < 0) {
            throw new IllegalArgumentException(
                source
                    + " has the label "
                    + y
                    + "; labels must be class indices 0, 1, ..., C-1: map them before loading");
          }
          classes = Math.max(classes, y + 1);
        }
      }
      return new Raw(features, inputShape, classes, trainX, trainLabels, testX, testLabels);
    }

    /** Channels of a sample: the first axis of an image, 1 for flat features. */
    int channels() {
      return inputShape.length == 3 ? inputShape[0] : 1;
    }
  }

  /** Transposes H x W x C samples to C x H x W when {@code dataset.channels_last} says so. */
  static Raw channelsFirst(Raw raw, RunConfig.DataConfig d) {
    if (!d.channelsLast) {
      return raw;
    }
    if (!d.name.equals("numpy") && !d.name.equals("parquet")) {
      throw new IllegalArgumentException(
          "dataset.channels_last applies to numpy and parquet data, not "
              + d.name
              + ", whose layout is fixed; remove it");
    }
    int[] s = raw.inputShape;
    if (s.length != 3) {
      throw new IllegalArgumentException(
          "dataset.channels_last needs images, but the samples have shape "
              + java.util.Arrays.toString(s)
              + "; give (N, H, W, C) arrays or set dataset.image_shape to [C, H, W]");
    }
    int channels = s[0];
    int plane = s[1] * s[2];
    float[] sample = new float[raw.features];
    for (float[] x : new float[][] {raw.trainX, raw.testX}) {
      for (int base = 0; base < x.length; base += raw.features) {
        for (int p = 0; p < plane; p++) {
          for (int c = 0; c < channels; c++) {
            sample[c * plane + p] = x[base + p * channels + c];
          }
        }
        System.arraycopy(sample, 0, x, base, raw.features);
      }
    }
    return raw;
  }

  /**
   * Applies {@code dataset.mean} and {@code dataset.std} per channel: x = (x - mean[c]) / std[c].
   * Without them the features stay exactly as read (the IDX features of existing lakes).
   */
  static Raw normalised(Raw raw, RunConfig.DataConfig d) {
    if (d.mean.isEmpty() && d.std.isEmpty()) {
      return raw;
    }
    int channels = raw.channels();
    float[] mean = perChannel(d.mean, channels, 0, "mean", raw.inputShape);
    float[] std = perChannel(d.std, channels, 1, "std", raw.inputShape);
    for (int c = 0; c < channels; c++) {
      if (!(std[c] > 0)) {
        throw new IllegalArgumentException(
            "dataset.std " + d.std + " has a value that is not positive; give each std > 0");
      }
    }
    int plane = raw.features / channels;
    for (float[] x : new float[][] {raw.trainX, raw.testX}) {
      for (int i = 0; i < x.length; i++) {
        int c = (i % raw.features) / plane;
        x[i] = (x[i] - mean[c]) / std[c];
      }
    }
    return raw;
  }

  /**
   * The features of a black (all-zero) pixel after normalisation, per channel: what augmentation
   * pads images with, as torchvision pads before normalising.
   */
  static float[] blackPixel(RunConfig.DataConfig d, int[] inputShape) {
    int channels = inputShape.length == 3 ? inputShape[0] : 1;
    float[] mean = perChannel(d.mean, channels, 0, "mean", inputShape);
    float[] std = perChannel(d.std, channels, 1, "std", inputShape);
    float[] out = new float[channels];
    for (int c = 0; c < channels; c++) {
      out[c] = (0f - mean[c]) / std[c];
    }
    return out;
  }

  private static float[] perChannel(
      List<Double> values, int channels, float missing, String key, int[] inputShape) {
    float[] out = new float[channels];
    if (values.isEmpty()) {
      java.util.Arrays.fill(out, missing);
    } else if (values.size() == 1) {
      java.util.Arrays.fill(out, values.get(0).floatValue());
    } else if (values.size() == channels) {
      for (int c = 0; c < channels; c++) {
        out[c] = values.get(c).floatValue();
      }
    } else {
      throw new IllegalArgumentException(
          "dataset."
              + key
              + " "
              + values
              + " has "
              + values.size()
              + " values but the samples (shape "
              + java.util.Arrays.toString(inputShape)
              + ") have "
              + channels
              + " channel(s); give one value per channel, or one for all");
    }
    return out;
  }

  private static Raw readIdx(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException(
          "Dataset folder "
              + dir
              + " does not exist; install Fashion-MNIST with"
              + " 'sudo apt-get install -y dataset-fashion-mnist' or set dataset.path (--data-dir)"
              + " to a folder of MNIST-format IDX files");
    }
    try {
      IdxReader.Images train = IdxReader.readImages(IdxReader.find(dir, "train-images-idx3-ubyte"));
      int[] trainLabels = IdxReader.readLabels(IdxReader.find(dir, "train-labels-idx1-ubyte"));
      IdxReader.Images test = IdxReader.readImages(IdxReader.find(dir, "t10k-images-idx3-ubyte"));
      int[] testLabels = IdxReader.readLabels(IdxReader.find(dir, "t10k-labels-idx1-ubyte"));
      int classes = 0;
      for (int y : trainLabels) {
        classes = Math.max(classes, y + 1);
      }
      return new Raw(
          train.rows() * train.cols(),
          new int[] {1, train.rows(), train.cols()},
          classes,
          train.pixels(),
          trainLabels,
          test.pixels(),
          testLabels);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read IDX files in " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * A seeded Gaussian-mixture classification problem: class means on a sphere of radius 2, unit
   * noise. Small enough for tests, hard enough that label noise is memorised late.
   */
  private static Raw synthetic(RunConfig.DataConfig d, long seed) {
    int f = d.syntheticFeatures;
    int c = d.syntheticClasses;
    SplittableRandom random = new SplittableRandom(Permutations.mix(seed, 0x5E7));
    double[][] means = new double[c][f];
    for (int k = 0; k < c; k++) {
      double norm = 0;
      for (int j = 0; j < f; j++) {
        means[k][j] = gaussian(random);
        norm += means[k][j] * means[k][j];
      }
      for (int j = 0; j < f; j++) {
        means[k][j] *= 2 / Math.sqrt(norm);
      }
    }
    int[] trainLabels = new int[d.syntheticSamples];
    float[] trainX = sample(means, trainLabels, random);
    int[] testLabels = new int[d.syntheticTestSamples];
    float[] testX = sample(means, testLabels, random);
    return new Raw(f, new int[] {f}, c, trainX, trainLabels, testX, testLabels);
  }

  private static float[] sample(double[][] means, int[] labels, SplittableRandom random) {
    int f = means[0].length;
    float[] x = new float[labels.length * f];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = i % means.length;
      for (int j = 0; j < f; j++) {
        x[i * f + j] = (float) (means[labels[i]][j] + gaussian(random));
      }
    }
    return x;
  }

  private static double gaussian(SplittableRandom r) {
    double u = r.nextDouble();
    double v = r.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
  }

  private static int[] perClassSubset(int[] labels, int classes, int perClass, long seed) {
    int[] perm = Permutations.permutation(labels.length, seed, 0x5B5E7);
    int[] taken = new int[classes];
    List<Integer> keep = new ArrayList<>();
    for (int i : perm) {
      if (taken[labels[i]] < perClass) {
        taken[labels[i]]++;
        keep.add(i);
      }
    }
    for (int c = 0; c < classes; c++) {
      if (taken[c] < perClass) {
        throw new IllegalArgumentException(
            "dataset.per_class "
                + perClass
                + " exceeds the "
                + taken[c]
                + " samples of class "
                + c
                + "; use at most "
                + taken[c]);
      }
    }
    keep.sort(null);
    return keep.stream().mapToInt(Integer::intValue).toArray();
  }

  private static int[] identity(int n) {
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = i;
    }
    return out;
  }

  private static int[] pairs(String spec, int classes) {
    if (spec == null || spec.isBlank()) {
      return LabelNoise.shiftPairs(classes);
    }
    int[] target = LabelNoise.shiftPairs(classes);
    for (String pair : spec.split(",")) {
      String[] ab = pair.trim().split(":");
      if (ab.length != 2) {
        throw new IllegalArgumentException(
            "noise.pairs entry '" + pair + "' is not from:to; write e.g. 0:6,2:4");
      }
      target[Integer.parseInt(ab[0].trim())] = Integer.parseInt(ab[1].trim());
    }
    return target;
  }

  private static Set<Integer> excluded(String file) {
    if (file == null || file.isBlank()) {
      return Set.of();
    }
    Path path = Path.of(file);
    if (!Files.isRegularFile(path)) {
      throw new IllegalArgumentException(
          "dataset.exclude_samples file "
              + file
              + " does not exist; give the file the clean job"
              + " exported (one sample_index per line)");
    }
    try {
      Set<Integer> out = new HashSet<>();
      for (String line : Files.readAllLines(path)) {
        String t = line.trim();
        if (!t.isEmpty() && !t.startsWith("#")) {
          out.add(Integer.parseInt(t));
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
