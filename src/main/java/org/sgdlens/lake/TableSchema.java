package org.sgdlens.lake;

import java.util.List;
import java.util.Map;

/**
 * A lake table's schema as declared in {@code schemas/<table>.json}, the single source of truth
 * read by both the recorder's Parquet writer and Spark.
 *
 * @param table snake_case table name, also the table's folder in the lake
 * @param version schema version; bumped on every change, old files stay readable
 * @param json the raw Spark StructType JSON of {@link #columns()} (for Spark's DataType.fromJson)
 * @param renamed former column names of earlier versions, old name to current name (the schema
 *     file's {@code "renamed"} object): files written before the rename hold the old name, and
 *     readers present their values under the current one
 */
public record TableSchema(
    String table,
    int version,
    String description,
    List<String> partitionBy,
    List<Column> columns,
    String json,
    Map<String, String> renamed) {

  /** A schema without renamed columns. */
  public TableSchema(
      String table,
      int version,
      String description,
      List<String> partitionBy,
      List<Column> columns,
      String json) {
    this(table, version, description, partitionBy, columns, json, Map.of());
  }

  /** Columns stored inside the Parquet files: every column but the partition columns. */
  public List<Column> fileColumns() {
    return columns.stream().filter(c -> !partitionBy.contains(c.name())).toList();
  }

  public int indexOf(String column) {
    for (int i = 0; i < columns.size(); i++) {
      if (columns.get(i).name().equals(column)) {
        return i;
      }
    }
    throw new IllegalArgumentException(
        "Table '" + table + "' has no column '" + column + "'; its columns are " + names());
  }

  public List<String> names() {
    return columns.stream().map(Column::name).toList();
  }

  /** Names a column had in earlier schema versions, in the order of the schema file. */
  public List<String> formerNames(String column) {
    return renamed.entrySet().stream()
        .filter(e -> e.getValue().equals(column))
        .map(Map.Entry::getKey)
        .toList();
  }
}
