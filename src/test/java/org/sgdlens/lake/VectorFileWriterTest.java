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
    try (ParquetReader<Group> reader = ParquetReader.builder(new GroupReadSupport(), file).build()) {
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
    org.apache.hadoop.fs.Path ours = new org.apache.hadoop.fs.Path(dir.resolve("ours.parquet").toUri());
    org.apache.hadoop.fs.Path theirs = new org.apache.hadoop.fs.Path(dir.resolve("theirs.parquet").toUri());
    SplittableRandom random = new SplittableRandom(3);
    PooledAllocator pool = new PooledAllocator(1 << 24);
    // Row groups of ~8 KiB: vectors straddle them; chunk 100 floats, one short chunk per vector.
    try (VectorFileWriter a = new VectorFileWriter(schema, ours, conf, 8 << 10, pool);
        ParquetRowWriter b = new ParquetRowWriter(schema, theirs, conf, CompressionCodecName.UNCOMPRESSED)) {
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
      Object[] row = {999L, 0, "all", 4, 64, 64, 0, 0L, 3, VectorChunks.pack(new float[] {1, 2, 3}, 0, 3)};
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

  @Test
  void anEmptyFileIsValidParquet() throws IOException {
    TableSchema schema = SchemaRegistry.schema(Tables.WEIGHTS);
    org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(dir.resolve("empty.parquet").toUri());
    new VectorFileWriter(schema, file, new Configuration(), 1 << 20, new PooledAllocator(0)).close();
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
