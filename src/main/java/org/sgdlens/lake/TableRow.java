package org.sgdlens.lake;

/**
 * A typed row of one lake table, as the recorder writes it: one record per table whose components
 * are the table's file columns (every column but the partition column {@code run_id}) in schema
 * order, so a value can only land in its own column. {@code TableRowsTest} checks each record
 * against its schema file.
 */
public interface TableRow {
  /** The table the row belongs to, a {@link Tables} name. */
  String table();

  /** The file columns' values in schema order, as {@link RunStaging#write} takes them. */
  Object[] values();
}
