package org.sgdlens.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.sgdlens.analysis.SparkTestBase;

/**
 * A Parquet dataset as a Spark shop has it, written by Spark itself ({@code array<float>} features,
 * an int label, several part files a split), read back by the recorder without Spark.
 */
class SparkWrittenParquetTest extends SparkTestBase {
  private static List<Row> rows(byte[][] images, int[] labels) {
    List<Row> out = new ArrayList<>();
    for (int i = 0; i < images.length; i++) {
      List<Float> pixels = new ArrayList<>();
      for (byte p : images[i]) {
        pixels.add((p & 0xFF) / 255f);
      }
      out.add(RowFactory.create(pixels, labels[i]));
    }
    return out;
  }

  @Test
  void sparksArrayOfFloatTablesRoundTripAgainstIdx() throws Exception {
    assumeTrue(Files.isDirectory(FashionMnistSlice.DATA), "apt-get install dataset-fashion-mnist");
    FashionMnistSlice slice = FashionMnistSlice.read(200, 50);
    StructType schema =
        new StructType()
            .add("features", DataTypes.createArrayType(DataTypes.FloatType), true)
            .add("label", DataTypes.IntegerType, false);
    Path root = tempDir.resolve("spark-fmnist");
    spark
        .createDataFrame(rows(slice.trainImages, slice.trainLabels), schema)
        .write()
        .parquet(root.resolve("train").toString());
    spark
        .createDataFrame(rows(slice.testImages, slice.testLabels), schema)
        .write()
        .parquet(root.resolve("test").toString());
    try (var parts = Files.list(root.resolve("train"))) {
      assertThat(parts.filter(p -> p.toString().endsWith(".parquet")).count())
          .as("Spark wrote several part files")
          .isGreaterThan(1);
    }

    RunConfig parquet = new RunConfig();
    parquet.dataset.name = "parquet";
    parquet.dataset.path = root.toString();
    parquet.dataset.imageShape = new ArrayList<>(List.of(1, 28, 28));
    parquet.noise.fraction = 0.2;
    RunConfig idx = new RunConfig();
    idx.dataset.name = "idx";
    idx.dataset.path = slice.writeIdx(tempDir.resolve("spark-idx")).toString();
    idx.noise.fraction = 0.2;
    TrainingData fromSpark = TrainingData.load(parquet);
    TrainingData oracle = TrainingData.load(idx);
    assertThat(fromSpark.trainX()).isEqualTo(oracle.trainX());
    assertThat(fromSpark.trueLabels()).isEqualTo(oracle.trueLabels());
    assertThat(fromSpark.givenLabels()).isEqualTo(oracle.givenLabels());
    assertThat(fromSpark.testX()).isEqualTo(oracle.testX());
    assertThat(fromSpark.testLabels()).isEqualTo(oracle.testLabels());
  }
}
