package org.sgdlens.ops;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.sgdlens.lake.Column;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.ParquetRowWriter;
import org.sgdlens.lake.SchemaRegistry;
import org.sgdlens.lake.TableSchema;
import org.sgdlens.lake.Tables;
import org.sgdlens.lake.VectorChunks;

/**
 * Small lakes for the ops tests, written with the recorder's own Parquet writer (no Spark): every
 * column gets a value derived from the row number {@code k}, so tests can compute what a query must
 * return without reading the files back.
 */
public final class TestLakes {
  /** The committed run. */
  public static final String COMMITTED_RUN = "r1";

  /** A run whose runs row says FAILED but whose record files are in place (e.g. a re-run). */
  public static final String FAILED_RUN = "r2";

  private TestLakes() {}

  /**
   * Writes {@code runs} (r1 COMMITTED, r2 FAILED), {@code rowsPerRun} rows of every record table
   * for both runs, and {@code rowsPerRun} rows of each given result table for r1 only.
   */
  public static Lake write(Path folder, int rowsPerRun, List<String> resultTables) {
    Lake lake = Lake.open(folder.toString());
    writeRows(lake, Tables.RUNS, COMMITTED_RUN, 1, "COMMITTED");
    writeRows(lake, Tables.RUNS, FAILED_RUN, 1, "FAILED");
    for (String table : Tables.RECORDS) {
      writeRows(lake, table, COMMITTED_RUN, rowsPerRun, null);
      writeRows(lake, table, FAILED_RUN, rowsPerRun, null);
    }
    for (String table : resultTables) {
      writeRows(lake, table, COMMITTED_RUN, rowsPerRun, null);
    }
    return lake;
  }

  /** Writes rows k = 0..rows-1 of one run; {@code status} fills the runs table's status column. */
  public static void writeRows(Lake lake, String table, String runId, int rows, String status) {
    writeRows(lake, SchemaRegistry.schema(table), runId, rows, status);
  }

  /**
   * Writes rows as the schema version before the table's renames did: each renamed column under its
   * former name (what a lake written before the rename holds), values as {@link #value}.
   */
  public static void writeRowsAsBeforeRenames(Lake lake, String table, String runId, int rows) {
    writeRows(lake, beforeRenames(SchemaRegistry.schema(table)), runId, rows, null);
  }

  /** The schema with every renamed column under its former name (the previous version's). */
  public static TableSchema beforeRenames(TableSchema schema) {
    List<Column> columns = new ArrayList<>();
    for (Column c : schema.columns()) {
      List<String> former = schema.formerNames(c.name());
      String name = former.isEmpty() ? c.name() : former.get(0);
      columns.add(new Column(name, c.type(), c.nullable(), c.comment()));
    }
    return new TableSchema(
        schema.table(),
        schema.version() - 1,
        schema.description(),
        schema.partitionBy(),
        columns,
        schema.json());
  }

  private static void writeRows(
      Lake lake, TableSchema schema, String runId, int rows, String status) {
    org.apache.hadoop.fs.Path file =
        new org.apache.hadoop.fs.Path(lake.partition(schema.table(), runId), "part-00000.parquet");
    try (ParquetRowWriter writer =
        new ParquetRowWriter(schema, file, new Configuration(), CompressionCodecName.SNAPPY)) {
      for (int k = 0; k < rows; k++) {
        List<Column> columns = schema.fileColumns();
        Object[] row = new Object[columns.size()];
        for (int c = 0; c < columns.size(); c++) {
          Column column = columns.get(c);
          row[c] =
              column.name().equals("status") && status != null ? status : value(column, runId, k);
        }
        writer.write(row);
      }
    }
  }

  /** The value {@link #writeRows} stores in a column for row k. */
  public static Object value(Column column, String runId, int k) {
    return switch (column.type()) {
      case STRING -> column.name() + "-" + runId + "-" + k;
      case INTEGER -> k;
      case LONG -> (long) k;
      case FLOAT -> k + 0.5f;
      case DOUBLE -> k + 0.25;
      case BOOLEAN -> k % 2 == 1;
      case BINARY -> VectorChunks.pack(new float[] {k, k + 1}, 0, 2);
      case TIMESTAMP -> Instant.parse("2026-01-01T00:00:00Z").plusSeconds(k);
      case FLOAT_ARRAY -> new float[] {k, k + 1};
      case DOUBLE_ARRAY -> new double[] {k, k + 1};
    };
  }
}
