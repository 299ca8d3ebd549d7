package org.sgdlens.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every dataset format round-trips the real Fashion-MNIST exactly: the test writes the first 500
 * training and 100 test samples in each format and loads them back through {@link
 * TrainingData#load}, with the same samples as IDX files as the oracle.
 */
class DataSourcesTest {
  private static final int TRAIN = 500;
  private static final int TEST = 100;

  private static FashionMnistSlice slice;

  @TempDir Path dir;

  @BeforeAll
  static void readFashionMnist() {
    assumeTrue(
        Files.isDirectory(FashionMnistSlice.DATA), "sudo apt-get install -y dataset-fashion-mnist");
    slice = FashionMnistSlice.read(TRAIN, TEST);
  }

  private static RunConfig config(String name, Path path) {
    RunConfig c = new RunConfig();
    c.dataset.name = name;
    c.dataset.path = path.toString();
    c.sgd.seed = 7;
    return c;
  }

  private TrainingData idx(FashionMnistSlice s, double noise) throws IOException {
    RunConfig c = config("idx", s.writeIdx(Files.createTempDirectory(dir, "idx")));
    c.noise.fraction = noise;
    return TrainingData.load(c);
  }

  /** Features, labels, shape and classes of {@code actual} equal the IDX oracle's exactly. */
  private static void assertSameSamples(TrainingData actual, TrainingData expected, String format) {
    assertThat(actual.trainX()).as(format + " training features").isEqualTo(expected.trainX());
    assertThat(actual.trueLabels())
        .as(format + " training labels")
        .isEqualTo(expected.trueLabels());
    assertThat(actual.givenLabels()).as(format + " given labels").isEqualTo(expected.givenLabels());
    assertThat(actual.testX()).as(format + " test features").isEqualTo(expected.testX());
    assertThat(actual.testLabels()).as(format + " test labels").isEqualTo(expected.testLabels());
    assertThat(actual.sampleIndex()).as(format + " sample_index").isEqualTo(expected.sampleIndex());
    assertThat(actual.classes()).as(format + " classes").isEqualTo(expected.classes());
  }

  @Test
  void theIdxOracleIsTheFirstSamplesOfFashionMnist() throws IOException {
    TrainingData full = TrainingData.load(config("fashion-mnist", FashionMnistSlice.DATA));
    TrainingData small = idx(slice, 0);
    assertThat(small.trainSize()).isEqualTo(TRAIN);
    assertThat(small.classes()).isEqualTo(10);
    assertThat(java.util.Arrays.copyOf(full.trainX(), TRAIN * 784)).isEqualTo(small.trainX());
    assertThat(java.util.Arrays.copyOf(full.testLabels(), TEST)).isEqualTo(small.testLabels());
  }

  @Test
  void cifarBinaryRoundTripsAgainstIdx() throws IOException {
    RunConfig c = config("cifar10", slice.writeCifar(dir.resolve("cifar"), 1, 5));
    c.dataset.imageShape = new ArrayList<>(List.of(1, 28, 28));
    TrainingData cifar = TrainingData.load(c);
    assertSameSamples(cifar, idx(slice, 0), "cifar10");
    assertThat(cifar.inputShape()).containsExactly(1, 28, 28);
  }

  @Test
  void cifarWithThreeReplicatedChannelsHoldsTheIdxImageInEachChannel() throws IOException {
    RunConfig c = config("cifar10", slice.writeCifar(dir.resolve("cifar3"), 3, 2));
    c.dataset.imageShape = new ArrayList<>(List.of(3, 28, 28));
    TrainingData cifar = TrainingData.load(c);
    TrainingData oracle = idx(slice, 0);
    assertThat(cifar.inputShape()).containsExactly(3, 28, 28);
    for (int i = 0; i < TRAIN; i++) {
      for (int ch = 0; ch < 3; ch++) {
        assertThat(
                java.util.Arrays.copyOfRange(
                    cifar.trainX(), (3 * i + ch) * 784, (3 * i + ch + 1) * 784))
            .isEqualTo(java.util.Arrays.copyOfRange(oracle.trainX(), i * 784, (i + 1) * 784));
      }
    }
    assertThat(cifar.trueLabels()).isEqualTo(oracle.trueLabels());
  }

  @Test
  void aTruncatedCifarFileIsNamedWithItsSizeAndTheFix() throws IOException {
    Path cifar = slice.writeCifar(dir.resolve("cut"), 3, 1);
    Path batch = cifar.resolve("data_batch_1.bin");
    byte[] bytes = Files.readAllBytes(batch);
    Files.write(batch, java.util.Arrays.copyOf(bytes, bytes.length - 100));
    RunConfig c = config("cifar10", cifar);
    c.dataset.imageShape = new ArrayList<>(List.of(3, 28, 28));
    assertThatThrownBy(() -> TrainingData.load(c))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(batch.toString())
        .hasMessageContaining((bytes.length - 100) + " bytes")
        .hasMessageContaining("2353-byte records")
        .hasMessageContaining("truncated");
    c.dataset.imageShape = new ArrayList<>();
    Files.write(batch, bytes);
    assertThatThrownBy(() -> TrainingData.load(c))
        .as("28x28 records read as CIFAR-10's 3x32x32")
        .hasMessageContaining("3073-byte records")
        .hasMessageContaining("dataset.image_shape");
  }

  @Test
  void numpyNpyFoldersAndNpzFilesRoundTripAgainstIdxInEveryDtype() throws IOException {
    TrainingData oracle = idx(slice, 0);
    for (FashionMnistSlice.NpyFeatures type : FashionMnistSlice.NpyFeatures.values()) {
      Path folder = slice.writeNpyFolder(dir.resolve("npy-" + type), type);
      TrainingData fromNpy = TrainingData.load(config("numpy", folder));
      assertSameSamples(fromNpy, oracle, ".npy " + type);
      assertThat(fromNpy.inputShape()).as("(N, 28, 28) is one channel").containsExactly(1, 28, 28);
      for (boolean compressed : new boolean[] {false, true}) {
        Path npz = slice.writeNpz(dir.resolve(type + "-" + compressed + ".npz"), type, compressed);
        assertSameSamples(
            TrainingData.load(config("numpy", npz)), oracle, ".npz " + type + " " + compressed);
      }
    }
  }

  @Test
  void numpyArrayNamesAndSampleShapeAreConfigurable() throws IOException {
    java.util.Map<String, byte[]> renamed = new java.util.LinkedHashMap<>();
    java.util.Map<String, byte[]> keras = slice.npyArrays(FashionMnistSlice.NpyFeatures.UINT8);
    renamed.put("train_images", keras.get("x_train"));
    renamed.put("train_labels", keras.get("y_train"));
    renamed.put("test_images", keras.get("x_test"));
    renamed.put("test_labels", keras.get("y_test"));
    Path npz = FashionMnistSlice.writeNpz(dir.resolve("renamed.npz"), renamed, false);
    RunConfig c = config("numpy", npz);
    assertThatThrownBy(() -> TrainingData.load(c))
        .hasMessageContaining(npz.toString())
        .hasMessageContaining("no array 'x_train'")
        .hasMessageContaining("train_images")
        .hasMessageContaining("dataset.arrays");
    c.dataset.arrays.trainFeatures = "train_images";
    c.dataset.arrays.trainLabels = "train_labels";
    c.dataset.arrays.testFeatures = "test_images";
    c.dataset.arrays.testLabels = "test_labels";
    c.dataset.imageShape = new ArrayList<>(List.of(784));
    TrainingData flat = TrainingData.load(c);
    assertThat(flat.inputShape()).containsExactly(784);
    assertThat(flat.trainX()).isEqualTo(idx(slice, 0).trainX());
  }

  @Test
  void badNumpyInputIsNamedWithTheFix() throws IOException {
    Path folder = slice.writeNpyFolder(dir.resolve("bad"), FashionMnistSlice.NpyFeatures.UINT8);
    Path labels = folder.resolve("y_train.npy");
    Files.write(labels, FashionMnistSlice.npy("<f2", new long[] {TRAIN}, new byte[2 * TRAIN]));
    assertThatThrownBy(() -> TrainingData.load(config("numpy", folder)))
        .as("a dtype that is not read")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(labels.toString())
        .hasMessageContaining("<f2")
        .hasMessageContaining("float32");
    Files.write(
        labels, FashionMnistSlice.npyLabels(java.util.Arrays.copyOf(slice.trainLabels, 499)));
    assertThatThrownBy(() -> TrainingData.load(config("numpy", folder)))
        .as("fewer labels than samples")
        .hasMessageContaining(labels.toString())
        .hasMessageContaining("499 labels")
        .hasMessageContaining("500 samples");
    Files.write(labels, FashionMnistSlice.npyLabels(slice.trainLabels));
    Path features = folder.resolve("x_train.npy");
    byte[] bytes = Files.readAllBytes(features);
    Files.write(features, java.util.Arrays.copyOf(bytes, bytes.length - 1));
    assertThatThrownBy(() -> TrainingData.load(config("numpy", folder)))
        .as("a truncated array")
        .hasMessageContaining(features.toString())
        .hasMessageContaining("truncated");
  }

  @Test
  void anImageFolderOfPngsRoundTripsAgainstIdxInFolderOrder() throws IOException {
    Path root = slice.writeImageFolder(dir.resolve("images"));
    TrainingData folder = TrainingData.load(config("image-folder", root));
    FashionMnistSlice ordered = slice.inFolderOrder();
    assertSameSamples(folder, idx(ordered, 0), "image folder");
    assertThat(folder.inputShape()).containsExactly(1, 28, 28);

    RunConfig colour = config("image-folder", root);
    colour.dataset.imageShape = new ArrayList<>(List.of(3, 28, 28));
    TrainingData rgb = TrainingData.load(colour);
    float[] gray = folder.trainX();
    for (int ch = 0; ch < 3; ch++) {
      assertThat(
              java.util.Arrays.copyOfRange(
                  rgb.trainX(), (3 * 7 + ch) * 784, (3 * 7 + ch + 1) * 784))
          .as("grayscale replicated to channel " + ch)
          .isEqualTo(java.util.Arrays.copyOfRange(gray, 7 * 784, 8 * 784));
    }
  }

  @Test
  void colourPngsGiveTheirRedGreenAndBlueChannelsInChwOrder() throws IOException {
    Path classDir = Files.createDirectories(dir.resolve("rgb/train/a"));
    Files.createDirectories(dir.resolve("rgb/test/a"));
    java.awt.image.BufferedImage png =
        new java.awt.image.BufferedImage(3, 2, java.awt.image.BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 2; y++) {
      for (int x = 0; x < 3; x++) {
        png.setRGB(x, y, (10 * x + y) << 16 | (100 + x) << 8 | (200 + y));
      }
    }
    javax.imageio.ImageIO.write(png, "png", classDir.resolve("1.png").toFile());
    javax.imageio.ImageIO.write(png, "png", dir.resolve("rgb/test/a/1.png").toFile());
    Files.createDirectories(dir.resolve("rgb/train/b"));
    javax.imageio.ImageIO.write(png, "png", dir.resolve("rgb/train/b/1.png").toFile());
    TrainingData data = TrainingData.load(config("image-folder", dir.resolve("rgb")));
    assertThat(data.inputShape()).containsExactly(3, 2, 3);
    assertThat(data.trueLabels()).containsExactly(0, 1);
    float[] expected = new float[36];
    for (int y = 0; y < 2; y++) {
      for (int x = 0; x < 3; x++) {
        expected[y * 3 + x] = (10 * x + y) / 255f;
        expected[6 + y * 3 + x] = (100 + x) / 255f;
        expected[12 + y * 3 + x] = (200 + y) / 255f;
      }
    }
    System.arraycopy(expected, 0, expected, 18, 18);
    assertThat(data.trainX()).isEqualTo(expected);
  }

  @Test
  void badImageFoldersAreNamedWithTheFix() throws IOException {
    Path root = slice.writeImageFolder(dir.resolve("bad"));
    Path empty = Files.createDirectories(root.resolve("train/99-empty"));
    assertThatThrownBy(() -> TrainingData.load(config("image-folder", root)))
        .as("an empty class folder")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(empty.toString())
        .hasMessageContaining("has no images")
        .hasMessageContaining("remove the folder");
    Files.delete(empty);
    Path odd = root.resolve("train/3/99999.png");
    javax.imageio.ImageIO.write(
        new java.awt.image.BufferedImage(5, 5, java.awt.image.BufferedImage.TYPE_BYTE_GRAY),
        "png",
        odd.toFile());
    assertThatThrownBy(() -> TrainingData.load(config("image-folder", root)))
        .as("an image of another size")
        .hasMessageContaining(odd.toString())
        .hasMessageContaining("5x5")
        .hasMessageContaining("28x28");
    Files.delete(odd);
    assertThatThrownBy(() -> TrainingData.load(config("image-folder", root.resolve("train"))))
        .as("no train/ and test/")
        .hasMessageContaining("needs a train/ and a test/ folder");
  }

  @Test
  void parquetTablesRoundTripAgainstIdxInEveryLayout() throws IOException {
    TrainingData oracle = idx(slice, 0);
    for (FashionMnistSlice.ParquetFeatures layout : FashionMnistSlice.ParquetFeatures.values()) {
      Path root = slice.writeParquet(dir.resolve("pq-" + layout), layout, "y");
      RunConfig c = config("parquet", root);
      c.dataset.labelColumn = "y";
      if (layout == FashionMnistSlice.ParquetFeatures.INT_COLUMNS) {
        List<String> pixels = new ArrayList<>();
        for (int j = 0; j < 784; j++) {
          pixels.add("p" + j);
        }
        c.dataset.featureColumns = pixels;
      }
      c.dataset.imageShape = new ArrayList<>(List.of(1, 28, 28));
      assertSameSamples(TrainingData.load(c), oracle, "parquet " + layout);
      assertThat(TrainingData.load(c).inputShape()).containsExactly(1, 28, 28);
    }
  }

  @Test
  void badParquetInputIsNamedWithTheFix() throws IOException {
    Path root =
        slice.writeParquet(
            dir.resolve("pq-bad"), FashionMnistSlice.ParquetFeatures.FLOAT_ARRAY, "y");
    RunConfig c = config("parquet", root);
    assertThatThrownBy(() -> TrainingData.load(c))
        .as("the default label column is missing")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(root.resolve("train/part-00000.parquet").toString())
        .hasMessageContaining("no column 'label'")
        .hasMessageContaining("[features, y]")
        .hasMessageContaining("dataset.label_column");
    c.dataset.labelColumn = "y";
    c.dataset.imageShape = new ArrayList<>(List.of(3, 28, 28));
    assertThatThrownBy(() -> TrainingData.load(c))
        .as("a shape of another size")
        .hasMessageContaining("dataset.image_shape [3, 28, 28] holds 2352")
        .hasMessageContaining("784 features");
  }

  /** A config of the noisy, subset run the label-noise test makes from every source. */
  private static RunConfig noisy(RunConfig c) {
    c.noise.fraction = 0.3;
    c.dataset.perClass = 20;
    c.dataset.testSize = 50;
    return c;
  }

  @Test
  void labelNoiseSubsetsAndTheTestSubsetAreTheSameForEverySource() throws IOException {
    TrainingData oracle =
        TrainingData.load(noisy(config("idx", slice.writeIdx(dir.resolve("idx-noisy")))));
    assertThat(oracle.mislabeledCount()).as("rho 0.3 of 200 samples").isEqualTo(60);
    RunConfig cifar = noisy(config("cifar10", slice.writeCifar(dir.resolve("c"), 1, 3)));
    cifar.dataset.imageShape = new ArrayList<>(List.of(1, 28, 28));
    RunConfig parquet =
        noisy(
            config(
                "parquet",
                slice.writeParquet(
                    dir.resolve("p"), FashionMnistSlice.ParquetFeatures.FLOAT_ARRAY, "label")));
    parquet.dataset.imageShape = new ArrayList<>(List.of(1, 28, 28));
    java.util.Map<String, RunConfig> sources = new java.util.LinkedHashMap<>();
    sources.put("cifar10", cifar);
    sources.put(
        "npy",
        noisy(
            config(
                "numpy",
                slice.writeNpyFolder(dir.resolve("n"), FashionMnistSlice.NpyFeatures.UINT8))));
    sources.put(
        "npz",
        noisy(
            config(
                "numpy",
                slice.writeNpz(
                    dir.resolve("z.npz"), FashionMnistSlice.NpyFeatures.FLOAT32, true))));
    sources.put("parquet", parquet);
    for (java.util.Map.Entry<String, RunConfig> e : sources.entrySet()) {
      TrainingData data = TrainingData.load(e.getValue());
      assertSameSamples(data, oracle, e.getKey() + " with noise");
      assertThat(data.sourceIndex())
          .as(e.getKey() + " source index")
          .isEqualTo(oracle.sourceIndex());
    }
    // An image folder's sample order is its own; the same order as IDX files gives the same draw.
    TrainingData folder =
        TrainingData.load(noisy(config("image-folder", slice.writeImageFolder(dir.resolve("f")))));
    TrainingData folderOracle =
        TrainingData.load(noisy(config("idx", slice.inFolderOrder().writeIdx(dir.resolve("fo")))));
    assertSameSamples(folder, folderOracle, "image folder with noise");
    assertThat(folder.sourceIndex()).isEqualTo(folderOracle.sourceIndex());
  }

  @Test
  void perChannelNormalisationIsTheStatedFormulaAndOffLeavesFeaturesAsRead() throws IOException {
    RunConfig c = config("cifar10", slice.writeCifar(dir.resolve("norm"), 3, 1));
    c.dataset.imageShape = new ArrayList<>(List.of(3, 28, 28));
    TrainingData raw = TrainingData.load(c);
    c.dataset.mean = new ArrayList<>(List.of(0.5, 0.25, 0.0));
    c.dataset.std = new ArrayList<>(List.of(0.5, 2.0, 0.3));
    TrainingData normalised = TrainingData.load(c);
    float[] mean = {0.5f, 0.25f, 0f};
    float[] std = {0.5f, 2f, 0.3f};
    for (int i = 0; i < raw.trainX().length; i++) {
      int channel = (i % (3 * 784)) / 784;
      assertThat(normalised.trainX()[i])
          .as("x = (x - mean[c]) / std[c] at " + i)
          .isEqualTo((raw.trainX()[i] - mean[channel]) / std[channel]);
    }
    assertThat(normalised.testX()[3 * 784 - 1]).isEqualTo((raw.testX()[3 * 784 - 1] - 0f) / 0.3f);
    c.dataset.mean = new ArrayList<>(List.of(0.5, 0.5));
    assertThatThrownBy(() -> TrainingData.load(c))
        .hasMessageContaining("dataset.mean [0.5, 0.5] has 2 values")
        .hasMessageContaining("3 channel(s)");
  }

  @Test
  void channelsLastArraysAreTransposedToChannelsFirst() throws IOException {
    // Three distinct channels of each Fashion-MNIST image, stored (N, H, W, C) as Keras does.
    int n = 20;
    java.nio.ByteBuffer hwc = java.nio.ByteBuffer.allocate(n * 784 * 3);
    float[] expected = new float[n * 3 * 784];
    for (int i = 0; i < n; i++) {
      for (int p = 0; p < 784; p++) {
        int v = slice.trainImages[i][p] & 0xFF;
        int[] channel = {v, 255 - v, v / 2};
        for (int c = 0; c < 3; c++) {
          hwc.put((byte) channel[c]);
          expected[(i * 3 + c) * 784 + p] = channel[c] / 255f;
        }
      }
    }
    java.util.Map<String, byte[]> arrays = new java.util.LinkedHashMap<>();
    arrays.put("x_train", FashionMnistSlice.npy("|u1", new long[] {n, 28, 28, 3}, hwc.array()));
    arrays.put(
        "y_train", FashionMnistSlice.npyLabels(java.util.Arrays.copyOf(slice.trainLabels, n)));
    arrays.put("x_test", FashionMnistSlice.npy("|u1", new long[] {n, 28, 28, 3}, hwc.array()));
    arrays.put(
        "y_test", FashionMnistSlice.npyLabels(java.util.Arrays.copyOf(slice.trainLabels, n)));
    RunConfig c = config("numpy", FashionMnistSlice.writeNpz(dir.resolve("hwc.npz"), arrays, true));
    c.dataset.channelsLast = true;
    TrainingData data = TrainingData.load(c);
    assertThat(data.inputShape()).containsExactly(3, 28, 28);
    assertThat(data.trainX()).isEqualTo(expected);
    assertThat(data.testX()).isEqualTo(expected);

    RunConfig idxLast = config("idx", slice.writeIdx(dir.resolve("idx-last")));
    idxLast.dataset.channelsLast = true;
    assertThatThrownBy(() -> TrainingData.load(idxLast))
        .hasMessageContaining("dataset.channels_last applies to numpy and parquet");
  }
}
