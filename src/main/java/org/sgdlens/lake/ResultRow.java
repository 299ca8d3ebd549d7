package org.sgdlens.lake;

/**
 * A typed row of a table written through Spark (sweep and nightly tables): one record per table
 * whose components are all of the table's columns, {@code run_id} included, in schema order. {@code
 * TableRowsTest} checks each record against its schema file.
 */
public interface ResultRow {
  /** The table the row belongs to, a {@link Tables} name. */
  String table();

  /** Every column's value in schema order, as Spark's {@code RowFactory.create} takes them. */
  Object[] columns();
}
