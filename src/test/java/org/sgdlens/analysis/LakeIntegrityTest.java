package org.sgdlens.analysis;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.LakeErrors;
import org.sgdlens.lake.Tables;
import org.sgdlens.record.TestRuns;
import org.sgdlens.record.TrainRun;

/**
 * Flipped bytes in any committed file of any record table fail every read that touches them with an
 * error naming the file, its table and its run (Parquet page checksums, written by the recorder and
 * verified by every reader of the lake); the other runs still read correctly.
 */
class LakeIntegrityTest extends SparkTestBase {
  private static Path lake;

  @BeforeAll
  static void twoRuns() {
    lake = tempDir.resolve("lake");
    Lake l = Lake.open(lake.toString());
    TrainRun.execute(l, TestRuns.synthetic("good"), false, null);
    TrainRun.execute(l, TestRuns.synthetic("bad"), false, null);
  }

  static Stream<String> tables() {
    List<String> all = new ArrayList<>(Tables.RECORDS);
    all.add(Tables.RUNS);
    return all.stream();
  }

  /** Flips one byte inside the page data of the file's largest column chunk; returns the file. */
  static Path flipByteInPageData(Path partition) throws Exception {
    Path file;
    try (Stream<Path> files = Files.list(partition)) {
      file = files.filter(p -> p.toString().endsWith(".parquet")).sorted().findFirst().get();
    }
    ColumnChunkMetaData largest = null;
    try (ParquetFileReader reader =
        ParquetFileReader.open(
            HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(file.toUri()), new Configuration()))) {
      for (ColumnChunkMetaData c : reader.getFooter().getBlocks().get(0).getColumns()) {
        if (largest == null || c.getTotalSize() > largest.getTotalSize()) {
          largest = c;
        }
      }
    }
    // The chunk's last bytes are page data (the page header comes first).
    long at = largest.getStartingPos() + largest.getTotalSize() - 2;
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x5A);
    }
    return file;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tables")
  void aFlippedByteFailsTheReadNamingFileTableAndRun(String table) throws Exception {
    Path copy = tempDir.resolve("copy-" + table);
    copyTree(lake, copy);
    Path file = flipByteInPageData(copy.resolve(table).resolve("run_id=bad"));
    String root = copy.toUri().toString();

    Throwable t =
        catchThrowable(
            () ->
                LakeTables.readRaw(spark, root, table)
                    .where(col("run_id").equalTo("bad"))
                    .collectAsList());
    assertThat(t).as("reading the damaged %s file", table).isNotNull();
    Optional<String> message = LakeErrors.damaged(t);
    assertThat(message)
        .as("the error explains the damage (it was: %s)", t)
        .hasValueSatisfying(
            m ->
                assertThat(m)
                    .contains(file.getFileName().toString())
                    .contains("table " + table)
                    .contains("run bad")
                    .contains("--overwrite"));

    // The other run is untouched and reads as before.
    long good = LakeTables.readRaw(spark, root, table).where(col("run_id").equalTo("good")).count();
    long original =
        LakeTables.readRaw(spark, lake.toUri().toString(), table)
            .where(col("run_id").equalTo("good"))
            .count();
    assertThat(good).isEqualTo(original).isPositive();
    List<org.apache.spark.sql.Row> goodRows =
        LakeTables.readRaw(spark, root, table).where(col("run_id").equalTo("good")).collectAsList();
    assertThat(goodRows).hasSize((int) original);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("analyses")
  void analysesFailOnADamagedRunInsteadOfReportingWrongNumbers(String table) throws Exception {
    Path copy = tempDir.resolve("analysis-" + table);
    copyTree(lake, copy);
    flipByteInPageData(copy.resolve(table).resolve("run_id=bad"));
    String root = copy.toUri().toString();
    Throwable t =
        catchThrowable(
            () -> {
              if (table.equals(Tables.SAMPLE_LOSSES)) {
                LossSeparation.run(spark, LossSeparation.Options.defaults(root, List.of()));
              } else {
                OrderParams.run(spark, new OrderParams.Options(root, List.of()));
              }
            });
    assertThat(LakeErrors.damaged(t))
        .as("%s on a damaged %s (it threw %s)", table, table, t)
        .hasValueSatisfying(m -> assertThat(m).contains("run bad").contains("table " + table));
  }

  static Stream<String> analyses() {
    return Stream.of(Tables.SAMPLE_LOSSES, Tables.GRADIENTS);
  }

  static void copyTree(Path from, Path to) throws Exception {
    try (Stream<Path> all = Files.walk(from)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }
}
