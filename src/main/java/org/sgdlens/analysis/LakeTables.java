package org.sgdlens.analysis;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.RunStatus;
import org.sgdlens.lake.SchemaRegistry;
import org.sgdlens.lake.TableSchema;
import org.sgdlens.lake.Tables;

/**
 * Spark's edge of the lake: reads tables with the explicit schema from {@code schemas/} (never
 * inferred) and writes result tables partitioned by run, replacing only the runs written.
 */
public final class LakeTables {

  private LakeTables() {}

  public static StructType sparkSchema(String table) {
    TableSchema schema = SchemaRegistry.schema(table);
    return (StructType) DataType.fromJson(schema.json());
  }

  /** Spark's key for a Hadoop setting of every file scan and write of the session. */
  public static final String VERIFY_CHECKSUMS_CONF = "spark.hadoop." + Lake.VERIFY_CHECKSUMS;

  /** Parquet-java's key: write a CRC32 into every page header. */
  static final String WRITE_CHECKSUMS = "parquet.page.write-checksum.enabled";

  /**
   * Makes every Parquet read of the session verify page checksums and every write include them,
   * whatever launched it (spark-submit, a cluster, a notebook), so damaged bytes fail the read
   * naming the file instead of becoming values.
   */
  public static void verifyChecksums(SparkSession spark) {
    org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
    conf.setBoolean(Lake.VERIFY_CHECKSUMS, true);
    conf.setBoolean(WRITE_CHECKSUMS, true);
  }

  /**
   * Reads a table with its declared schema; an absent table reads as empty. A column renamed in a
   * later schema version (the schema file's {@code "renamed"}) reads from whichever name a file
   * has: files written before the rename hold the old name, later ones the new name, and the rows
   * carry the value under the new name only.
   */
  public static Dataset<Row> readRaw(SparkSession spark, String lakeRoot, String table) {
    verifyChecksums(spark);
    StructType schema = sparkSchema(table);
    String path = tablePath(spark, lakeRoot, table);
    if (!exists(spark, path)) {
      return spark.createDataFrame(List.of(), schema);
    }
    TableSchema declared = SchemaRegistry.schema(table);
    Dataset<Row> files =
        spark.read().schema(fileSchema(table)).option("basePath", path).parquet(path);
    if (declared.renamed().isEmpty()) {
      return files;
    }
    Column[] columns =
        Arrays.stream(schema.fields())
            .map(f -> currentName(f, declared.formerNames(f.name())))
            .toArray(Column[]::new);
    return files.select(columns);
  }

  /**
   * The schema files are read with: the declared columns, then each former name of a renamed column
   * with that column's type (absent from newer files, so null there).
   */
  public static StructType fileSchema(String table) {
    StructType schema = sparkSchema(table);
    TableSchema declared = SchemaRegistry.schema(table);
    for (Map.Entry<String, String> e : declared.renamed().entrySet()) {
      StructField current = schema.apply(e.getValue());
      Metadata comment =
          new MetadataBuilder()
              .putString(
                  "comment",
                  "Former name of "
                      + e.getValue()
                      + ", in files of an earlier schema version; read "
                      + e.getValue()
                      + ".")
              .build();
      schema = schema.add(e.getKey(), current.dataType(), true, comment);
    }
    return schema;
  }

  /** A declared column, coalesced with its former names when it has some. */
  private static Column currentName(StructField field, List<String> formerNames) {
    if (formerNames.isEmpty()) {
      return col(field.name());
    }
    List<Column> names = new ArrayList<>();
    names.add(col(field.name()));
    formerNames.forEach(n -> names.add(col(n)));
    return coalesce(names.toArray(Column[]::new)).as(field.name(), field.metadata());
  }

  /**
   * Reads a table restricted to committed runs: a run's rows are visible only once its row in
   * {@code runs} says COMMITTED (the commit marker is written last).
   */
  public static Dataset<Row> read(SparkSession spark, String lakeRoot, String table) {
    Dataset<Row> data = readRaw(spark, lakeRoot, table);
    if (table.equals(Tables.RUNS)) {
      return data.where(col("status").equalTo(RunStatus.COMMITTED.name()));
    }
    Dataset<Row> committed =
        readRaw(spark, lakeRoot, Tables.RUNS)
            .where(col("status").equalTo(RunStatus.COMMITTED.name()))
            .select("run_id");
    if (isRecordTable(table)) {
      return data.join(committed, data.col("run_id").equalTo(committed.col("run_id")), "left_semi");
    }
    return data;
  }

  private static boolean isRecordTable(String table) {
    return Tables.RECORDS.contains(table);
  }

  /**
   * Writes a result table: columns in schema order and types, partitioned by run_id, replacing the
   * partitions of the runs present in {@code data} and leaving other runs untouched.
   */
  public static void write(Dataset<Row> data, String lakeRoot, String table) {
    StructType schema = sparkSchema(table);
    Column[] columns =
        Arrays.stream(schema.fields())
            .map(f -> col(f.name()).cast(f.dataType()).as(f.name()))
            .toArray(Column[]::new);
    TableSchema declared = SchemaRegistry.schema(table);
    verifyChecksums(data.sparkSession());
    data.select(columns)
        .write()
        .mode(SaveMode.Overwrite)
        .option("partitionOverwriteMode", "dynamic")
        .partitionBy(declared.partitionBy().toArray(String[]::new))
        .parquet(tablePath(data.sparkSession(), lakeRoot, table));
  }

  public static String tablePath(SparkSession spark, String lakeRoot, String table) {
    return new Path(lakeRoot, table).toString();
  }

  static boolean exists(SparkSession spark, String path) {
    try {
      Path p = new Path(path);
      return p.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Field names of a table, in schema order. */
  public static String[] columns(String table) {
    return Arrays.stream(sparkSchema(table).fields()).map(StructField::name).toArray(String[]::new);
  }

  /** Opens the lake through the recorder's layout (creates the root if absent). */
  public static Lake lake(String lakeRoot) {
    return Lake.open(lakeRoot);
  }
}
