package org.sgdlens.bench;

import static org.apache.spark.sql.functions.col;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;
import org.sgdlens.lake.Column;
import org.sgdlens.lake.ColumnType;
import org.sgdlens.lake.ParquetRowWriter;
import org.sgdlens.lake.SchemaRegistry;
import org.sgdlens.lake.TableSchema;
import org.sgdlens.lake.Tables;
import org.sgdlens.lake.VectorChunks;

/**
 * Measures the two candidate encodings of vector chunks: {@code binary} (packed little-endian
 * float32, the lake's layout) and {@code list<float>} (Parquet's LIST of FLOAT). Writes the same
 * gradient vectors (203,530 floats, the 784-256-10 MLP) with the recorder's writer, then reads them
 * in Spark decoding every float, and prints MB/s of float payload both ways.
 */
public final class VectorEncodingBench {
  public static void main(String[] args) throws Exception {
    int vectors = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    int p = 203_530;
    Path dir = Files.createTempDirectory("sgdlens-encoding");
    SplittableRandom random = new SplittableRandom(1);
    float[][] data = new float[16][p];
    for (float[] v : data) {
      for (int i = 0; i < p; i++) {
        v[i] = (float) (random.nextGaussian() * 1e-3);
      }
    }
    TableSchema binary = SchemaRegistry.schema(Tables.GRADIENTS);
    TableSchema list = withListValues(binary);
    double payloadMb = (double) vectors * p * Float.BYTES / 1e6;
    System.out.printf(
        "Vector chunk encodings: %d vectors of %d floats (%.0f MB of float32), chunk %d%n",
        vectors, p, payloadMb, VectorChunks.DEFAULT_CHUNK);
    List<String[]> table = new ArrayList<>();
    for (CompressionCodecName codec :
        new CompressionCodecName[] {
          CompressionCodecName.UNCOMPRESSED, CompressionCodecName.SNAPPY, CompressionCodecName.ZSTD
        }) {
      for (TableSchema schema : new TableSchema[] {binary, list}) {
        boolean isList = schema == list;
        write(schema, dir.resolve("warm.parquet"), data, 8, isList, codec);
        Path file = dir.resolve((isList ? "list-" : "binary-") + codec + ".parquet");
        long t0 = System.nanoTime();
        write(schema, file, data, vectors, isList, codec);
        double seconds = (System.nanoTime() - t0) / 1e9;
        table.add(
            new String[] {
              isList ? "list<float>" : "binary",
              codec.name().toLowerCase(),
              String.format(Locale.ROOT, "%.0f", payloadMb / seconds),
              String.format(Locale.ROOT, "%.0f", Files.size(file) / 1e6),
              file.toString()
            });
      }
    }
    // The recorder's own path for uncompressed vector tables: RunStaging picks the page writer.
    {
      org.sgdlens.lake.Lake lake = org.sgdlens.lake.Lake.open(dir.resolve("lake").toString());
      writeStaged(lake, "warm", data, 8, null);
      long t0 = System.nanoTime();
      Path file = writeStaged(lake, "timed", data, vectors, null);
      double seconds = (System.nanoTime() - t0) / 1e9;
      table.add(
          new String[] {
            "binary",
            "uncompressed (recorder page writer)",
            String.format(Locale.ROOT, "%.0f", payloadMb / seconds),
            String.format(Locale.ROOT, "%.0f", Files.size(file) / 1e6),
            file.toString()
          });
      // Gradients reach the writer already packed (the probe lane copies the tensor into the
      // lake's byte layout) and go into the pages by reference: the writer's side of that path,
      // packed before the clock starts (in the recorder the lane packs instead of copying floats).
      byte[][] packed = new byte[data.length][];
      for (int i = 0; i < data.length; i++) {
        packed[i] = VectorChunks.pack(data[i], 0, data[i].length);
      }
      writeStaged(lake, "warm-packed", data, 8, packed);
      t0 = System.nanoTime();
      file = writeStaged(lake, "timed-packed", data, vectors, packed);
      seconds = (System.nanoTime() - t0) / 1e9;
      table.add(
          new String[] {
            "binary",
            "uncompressed (recorder, packed)",
            String.format(Locale.ROOT, "%.0f", payloadMb / seconds),
            String.format(Locale.ROOT, "%.0f", Files.size(file) / 1e6),
            file.toString()
          });
    }
    SparkSession spark =
        SparkSession.builder()
            .appName("encoding-bench")
            .master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    System.out.printf(
        "%-12s %-36s %14s %10s %18s%n",
        "encoding", "compression", "write MB/s", "file MB", "Spark read MB/s");
    for (String[] row : table) {
      StructType schema =
          (StructType) DataType.fromJson(row[0].equals("binary") ? binary.json() : list.json());
      StructType fileSchema =
          schema.apply(
              scala.jdk.javaapi.CollectionConverters.asScala(
                      java.util.Set.of(
                          "step",
                          "member",
                          "part",
                          "ensemble_size",
                          "batch_size",
                          "count",
                          "chunk",
                          "chunk_offset",
                          "length",
                          "values"))
                  .toSet());
      boolean isList = row[0].equals("list<float>");
      read(spark, fileSchema, row[4], isList); // warm-up
      long t0 = System.nanoTime();
      double sum = read(spark, fileSchema, row[4], isList);
      double seconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf(
          "%-12s %-36s %14s %10s %18.0f   (checksum %.3f)%n",
          row[0], row[1], row[2], row[3], payloadMb / seconds, sum);
    }
    spark.stop();
    RecordingOverheadBench.deleteTree(dir);
  }

  private static TableSchema withListValues(TableSchema s) {
    List<Column> cols = new ArrayList<>();
    for (Column c : s.columns()) {
      cols.add(
          c.name().equals("values")
              ? new Column("values", ColumnType.FLOAT_ARRAY, false, c.comment())
              : c);
    }
    String json =
        s.json()
            .replace(
                "\"name\":\"values\",\"type\":\"binary\"",
                "\"name\":\"values\",\"type\":{\"type\":\"array\",\"elementType\":\"float\",\"containsNull\":false}");
    return new TableSchema(s.table(), s.version(), s.description(), s.partitionBy(), cols, json);
  }

  private static void write(
      TableSchema schema,
      Path file,
      float[][] data,
      int vectors,
      boolean list,
      CompressionCodecName codec) {
    int chunk = VectorChunks.DEFAULT_CHUNK;
    try (ParquetRowWriter w =
        new ParquetRowWriter(
            schema, new org.apache.hadoop.fs.Path(file.toUri()), new Configuration(), codec)) {
      for (int v = 0; v < vectors; v++) {
        float[] g = data[v % data.length];
        for (int c = 0; c < VectorChunks.chunkCount(g.length, chunk); c++) {
          int from = c * chunk;
          int len = Math.min(chunk, g.length - from);
          Object values =
              list
                  ? java.util.Arrays.copyOfRange(g, from, from + len)
                  : VectorChunks.pack(g, from, len);
          w.write(new Object[] {(long) v, v, "all", 64, 64, 64, c, (long) from, len, values});
        }
      }
    }
  }

  /**
   * Writes through RunStaging.writeVector, as the recorder does: float vectors (weights), or with
   * {@code packed} the same vectors already packed (gradients, by reference); returns the file
   * written.
   */
  private static Path writeStaged(
      org.sgdlens.lake.Lake lake, String runId, float[][] data, int vectors, byte[][] packed) {
    org.sgdlens.lake.RunStaging staging =
        new org.sgdlens.lake.RunStaging(
            lake, runId, CompressionCodecName.UNCOMPRESSED, Long.MAX_VALUE);
    for (int v = 0; v < vectors; v++) {
      Object[] key = {(long) v, v, "all", 64, 64, 64};
      if (packed != null) {
        staging.writeVector(
            Tables.GRADIENTS, key, packed[v % packed.length], VectorChunks.DEFAULT_CHUNK, () -> {});
      } else {
        staging.writeVector(
            Tables.GRADIENTS, key, data[v % data.length], VectorChunks.DEFAULT_CHUNK);
      }
    }
    staging.closeOpenFiles();
    return Path.of(staging.dir().toUri()).resolve(Tables.GRADIENTS).resolve("part-00000.parquet");
  }

  /** Reads every chunk and sums all its floats, so both encodings are fully decoded. */
  private static double read(SparkSession spark, StructType schema, String file, boolean list) {
    MapPartitionsFunction<Row, Double> decode =
        (Iterator<Row> rows) -> {
          double s = 0;
          while (rows.hasNext()) {
            Row r = rows.next();
            if (list) {
              scala.collection.immutable.Seq<Object> seq = r.getSeq(0);
              var it = seq.iterator();
              while (it.hasNext()) {
                s += (Float) it.next();
              }
            } else {
              var fb =
                  ByteBuffer.wrap((byte[]) r.get(0)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
              while (fb.hasRemaining()) {
                s += fb.get();
              }
            }
          }
          return java.util.List.of(s).iterator();
        };
    return spark
        .read()
        .schema(schema)
        .parquet(file)
        .select(col("values"))
        .mapPartitions(decode, Encoders.DOUBLE())
        .collectAsList()
        .stream()
        .mapToDouble(Double::doubleValue)
        .sum();
  }
}
