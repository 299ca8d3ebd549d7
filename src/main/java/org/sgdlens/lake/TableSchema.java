package org.sgdlens.lake;

import java.util.List;

/**
 * A lake table's schema as declared in {@code schemas/<table>.json}, the single source of truth
 * read by both the recorder's Parquet writer and Spark.
 *
 * @param table snake_case table name, also the table's folder in the lake
 * @param version schema version; bumped on every change, old files stay readable
 * @param json the raw Spark StructType JSON of {@link #columns()} (for Spark's DataType.fromJson)
 */
public record TableSchema(
    String table,
    int version,
    String description,
    List<String> partitionBy,
    List<Column> columns,
    String json) {

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
}
