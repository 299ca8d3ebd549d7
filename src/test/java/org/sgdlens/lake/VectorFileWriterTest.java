package org.sgdlens.lake;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The page-level vector writer against Parquet-java's record writer as the oracle. */
class VectorFileWriterTest {
  @TempDir Path dir;

  private static List<String> read(org.apache.hadoop.fs.Path file) throws IOException {
    List<String> rows = new ArrayList<>();
    try (ParquetReader<Group> reader =
        ParquetReader.builder(new GroupReadSupport(), file).build()) {
      for (Group g = reader.read(); g != null; g = reader.read()) {
        rows.add(g.toString());
      }
    }
    return rows;
  }

  @Test
  void writesTheSameRowsAsTheRecordWriterOverManyRowGroups() throws IOException {
    TableSchema schema = SchemaRegistry.schema(Tables.GRADIENTS);
    assertThat(VectorFileWriter.supports(schema)).isTrue();
    Configuration conf = new Configuration();
    org.apache.hadoop.fs.Path ours =
        new org.apache.hadoop.fs.Path(dir.resolve("ours.parquet").toUri());
    org.apache.hadoop.fs.Path theirs =
        new org.apache.hadoop.fs.Path(dir.resolve("theirs.parquet").toUri());
    SplittableRandom random = new SplittableRandom(3);
    PooledAllocator pool = new PooledAllocator(1 << 24);
    // Row groups of ~8 KiB: vectors straddle them; chunk 100 floats, one short chunk per vector.
    try (VectorFileWriter a = new VectorFileWriter(schema, ours, conf, 8 << 10, pool);
        ParquetRowWriter b =
            new ParquetRowWriter(schema, theirs, conf, CompressionCodecName.UNCOMPRESSED)) {
      for (int v = 0; v < 40; v++) {
        float[] vector = new float[1 + random.nextInt(450)];
        for (int i = 0; i < vector.length; i++) {
          vector[i] = (float) random.nextGaussian();
        }
        vector[0] = v % 7 == 0 ? Float.NaN : vector[0];
        Object[] prefix = {(long) v * 10, v % 4, v % 3 == 0 ? "clean" : "wrong", 4, 64, 60 + v};
        a.writeVector(prefix, vector, 100);
        b.writeVector(prefix, vector, 100);
      }
      // Rows given with packed bytes take the same path.
      Object[] row = {
        999L, 0, "all", 4, 64, 64, 0, 0L, 3, VectorChunks.pack(new float[] {1, 2, 3}, 0, 3)
      };
      a.write(row);
      b.write(row);
      assertThat(a.rows()).isEqualTo(b.rows());
    }
    List<String> expected = read(theirs);
    assertThat(expected).hasSizeGreaterThan(100);
    assertThat(read(ours)).containsExactlyElementsOf(expected);
    try (ParquetFileReader footer = ParquetFileReader.open(HadoopInputFile.fromPath(ours, conf))) {
      List<BlockMetaData> groups = footer.getFooter().getBlocks();
      assertThat(groups).as("row groups").hasSizeGreaterThanOrEqualTo(4);
      var step = groups.get(0).getColumns().get(0).getStatistics();
      assertThat(step.hasNonNullValue()).as("min/max of the key columns").isTrue();
      assertThat(footer.getFooter().getFileMetaData().getKeyValueMetaData())
          .containsEntry("sgdlens.table", "gradients");
      assertThat(footer.getFooter().getFileMetaData().getSchema())
          .isEqualTo(RowWriteSupport.messageType(schema));
    }
  }

  /**
   * Packed vectors go into the pages by reference: the file must be byte for byte the one the float
   * path writes, and a vector must not be read after its release (each is scrambled as soon as it
   * is released). Small row groups make vectors straddle them; large ones, with vectors over the
   * page size, make pages hold parts of several vectors.
   */
  @Test
  void packedVectorsWriteTheSameFileAndAreNotReadAfterTheirRelease() throws IOException {
    TableSchema schema = SchemaRegistry.schema(Tables.GRADIENTS);
    Configuration conf = new Configuration();
    for (int[] shape : new int[][] {{8 << 10, 450, 100}, {3 << 20, 400_000, 65_536}}) {
      long rowGroupBytes = shape[0];
      org.apache.hadoop.fs.Path floats =
          new org.apache.hadoop.fs.Path(dir.resolve("floats-" + rowGroupBytes).toUri());
      org.apache.hadoop.fs.Path packed =
          new org.apache.hadoop.fs.Path(dir.resolve("packed-" + rowGroupBytes).toUri());
      org.apache.hadoop.fs.Path record =
          new org.apache.hadoop.fs.Path(dir.resolve("record-" + rowGroupBytes).toUri());
      SplittableRandom random = new SplittableRandom(11);
      List<Integer> released = new ArrayList<>();
      int vectors = 12;
      try (VectorFileWriter a =
              new VectorFileWriter(
                  schema, floats, conf, rowGroupBytes, new PooledAllocator(1 << 24));
          VectorFileWriter b =
              new VectorFileWriter(
                  schema, packed, conf, rowGroupBytes, new PooledAllocator(1 << 24));
          ParquetRowWriter c =
              new ParquetRowWriter(schema, record, conf, CompressionCodecName.UNCOMPRESSED)) {
        for (int v = 0; v < vectors; v++) {
          float[] vector = new float[1 + random.nextInt(shape[1])];
          for (int i = 0; i < vector.length; i++) {
            vector[i] = (float) random.nextGaussian();
          }
          Object[] prefix = {(long) v, v, "all", vectors, 64, 64};
          a.writeVector(prefix, vector, shape[2]);
          byte[] bytes = VectorChunks.pack(vector, 0, vector.length);
          int id = v;
          b.writeVector(
              prefix,
              bytes,
              shape[2],
              () -> {
                released.add(id);
                java.util.Arrays.fill(bytes, (byte) 0x7f);
              });
          int[] recordReleases = {0};
          c.writeVector(prefix, bytes.clone(), shape[2], () -> recordReleases[0]++);
          assertThat(recordReleases[0])
              .as("the record writer copies: released at once")
              .isEqualTo(1);
        }
        assertThat(released).as("the last vectors are still held").hasSizeLessThan(vectors);
      }
      assertThat(released)
          .as("each released once, in order")
          .containsExactlyElementsOf(java.util.stream.IntStream.range(0, vectors).boxed().toList());
      assertThat(java.nio.file.Files.readAllBytes(dir.resolve("packed-" + rowGroupBytes)))
          .isEqualTo(java.nio.file.Files.readAllBytes(dir.resolve("floats-" + rowGroupBytes)));
      assertThat(read(record)).containsExactlyElementsOf(read(floats));
    }
  }

  @Test
  void aPackedVectorOfPartialFloatsIsRefused() {
    TableSchema schema = SchemaRegistry.schema(Tables.GRADIENTS);
    org.apache.hadoop.fs.Path file =
        new org.apache.hadoop.fs.Path(dir.resolve("odd.parquet").toUri());
    try (VectorFileWriter w =
        new VectorFileWriter(schema, file, new Configuration(), 1 << 20, new PooledAllocator(0))) {
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () ->
                  w.writeVector(
                      new Object[] {0L, 0, "all", 1, 64, 64}, new byte[10], 100, () -> {}))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("10 bytes")
          .hasMessageContaining("4 bytes per float");
    }
  }

  @Test
  void anEmptyFileIsValidParquet() throws IOException {
    TableSchema schema = SchemaRegistry.schema(Tables.WEIGHTS);
    org.apache.hadoop.fs.Path file =
        new org.apache.hadoop.fs.Path(dir.resolve("empty.parquet").toUri());
    new VectorFileWriter(schema, file, new Configuration(), 1 << 20, new PooledAllocator(0))
        .close();
    assertThat(read(file)).isEmpty();
  }

  @Test
  void tablesThatAreNotChunkedVectorsAreNotTaken() {
    assertThat(VectorFileWriter.supports(SchemaRegistry.schema(Tables.WEIGHTS))).isTrue();
    assertThat(VectorFileWriter.supports(SchemaRegistry.schema(Tables.FINAL_PARAMS))).isTrue();
    assertThat(VectorFileWriter.supports(SchemaRegistry.schema(Tables.METRICS))).isFalse();
    assertThat(VectorFileWriter.supports(SchemaRegistry.schema(Tables.SAMPLE_LOSSES))).isFalse();
  }
}
