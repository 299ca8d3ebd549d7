package org.sgdlens.cli;

import java.util.Locale;
import org.apache.spark.sql.Row;

/** Small helpers shared by the analysis entry points. */
final class Jobs {
  private Jobs() {}

  /** A nullable double column, 4 significant digits, "null" when absent. */
  static String fmt(Row row, String column) {
    int i = row.fieldIndex(column);
    return row.isNullAt(i) ? "null" : String.format(Locale.ROOT, "%.4g", row.getDouble(i));
  }
}
