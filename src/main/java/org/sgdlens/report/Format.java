package org.sgdlens.report;

import java.util.Locale;
import org.apache.spark.sql.Row;

/** Cell formatting and nullable column access for the report's tables. */
final class Format {
  private Format() {}

  static String cell(Object v) {
    if (v == null) {
      return "—";
    }
    if (v instanceof Double d) {
      return num(d);
    }
    if (v instanceof Float f) {
      return num(f.doubleValue());
    }
    return v.toString();
  }

  /** Four significant digits; integers-valued doubles below 1e6 print without a fraction. */
  static String num(double d) {
    if (!Double.isFinite(d)) {
      return Double.toString(d);
    }
    if (d == Math.rint(d) && Math.abs(d) < 1e6) {
      return String.format(Locale.ROOT, "%.0f", d);
    }
    return String.format(Locale.ROOT, "%.4g", d);
  }

  /** A nullable column of any type; null when the row lacks the field or holds null. */
  static Object get(Row r, String column) {
    if (r == null) {
      return null;
    }
    int i;
    try {
      i = r.fieldIndex(column);
    } catch (IllegalArgumentException e) {
      return null;
    }
    return r.isNullAt(i) ? null : r.get(i);
  }

  /** A numeric column as a double; NaN when null. */
  static double dbl(Row r, String column) {
    Object v = get(r, column);
    return v instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  static String interval(Row r, String value, String low, String high) {
    Object v = get(r, value);
    if (v == null) {
      return null;
    }
    Object lo = get(r, low);
    Object hi = get(r, high);
    String ci = lo == null || hi == null ? "" : " [" + cell(lo) + ", " + cell(hi) + "]";
    return cell(v) + ci;
  }
}
