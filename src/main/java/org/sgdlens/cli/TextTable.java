package org.sgdlens.cli;

import java.sql.Timestamp;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;

/**
 * Renders query rows as an aligned text table (psql style): numbers right-aligned, NULL for null,
 * binary as its size, long cells cut at a width.
 */
final class TextTable {
  /** Characters shown per cell by jobs/sql unless --truncate says otherwise. */
  static final int TRUNCATE_DEFAULT = 60;

  private static final int ARRAY_ELEMENTS_SHOWN = 8;
  private static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);

  private TextTable() {}

  /**
   * @param truncate maximum characters per cell, 0 for no limit
   * @param timeZone session time zone timestamps are shown in
   */
  static String format(List<String> columns, List<Row> rows, int truncate, String timeZone) {
    ZoneId zone = ZoneId.of(timeZone);
    int n = columns.size();
    List<String[]> cells = new ArrayList<>();
    boolean[] numeric = new boolean[n];
    for (int c = 0; c < n; c++) {
      numeric[c] = !rows.isEmpty();
    }
    for (Row row : rows) {
      String[] line = new String[n];
      for (int c = 0; c < n; c++) {
        Object value = row.get(c);
        DataType type = row.schema() == null ? null : row.schema().fields()[c].dataType();
        line[c] = cut(cell(row, c, value, type, zone), truncate);
        numeric[c] &= value == null || value instanceof Number;
      }
      cells.add(line);
    }
    int[] width = new int[n];
    for (int c = 0; c < n; c++) {
      width[c] = columns.get(c).length();
      for (String[] line : cells) {
        width[c] = Math.max(width[c], line[c].length());
      }
    }
    StringBuilder out = new StringBuilder();
    appendLine(out, columns.toArray(String[]::new), width, numeric);
    for (int c = 0; c < n; c++) {
      out.append(c == 0 ? "" : "-+-").append("-".repeat(width[c]));
    }
    out.append('\n');
    for (String[] line : cells) {
      appendLine(out, line, width, numeric);
    }
    return out.toString();
  }

  private static void appendLine(StringBuilder out, String[] line, int[] width, boolean[] right) {
    StringBuilder text = new StringBuilder();
    for (int c = 0; c < line.length; c++) {
      text.append(c == 0 ? "" : " | ");
      String pad = " ".repeat(width[c] - line[c].length());
      text.append(right[c] ? pad + line[c] : line[c] + pad);
    }
    out.append(text.toString().stripTrailing()).append('\n');
  }

  private static String cell(Row row, int c, Object value, DataType type, ZoneId zone) {
    if (value == null) {
      return "NULL";
    }
    if (type instanceof BinaryType || value instanceof byte[]) {
      return "<" + ((byte[]) value).length + " bytes>";
    }
    if (value instanceof Timestamp ts) {
      java.time.ZonedDateTime time = ts.toInstant().atZone(zone);
      String fraction =
          time.getNano() == 0
              ? ""
              : String.format(Locale.ROOT, ".%06d", time.getNano() / 1000).replaceAll("0+$", "");
      return TIMESTAMP.format(time) + fraction;
    }
    if (type instanceof ArrayType) {
      List<Object> list = row.getList(c);
      StringBuilder s = new StringBuilder("[");
      for (int i = 0; i < Math.min(list.size(), ARRAY_ELEMENTS_SHOWN); i++) {
        s.append(i == 0 ? "" : ", ").append(list.get(i));
      }
      if (list.size() > ARRAY_ELEMENTS_SHOWN) {
        s.append(", ... (").append(list.size()).append(')');
      }
      return s.append(']').toString();
    }
    return value.toString().replace('\n', ' ');
  }

  private static String cut(String text, int truncate) {
    if (truncate <= 0 || text.length() <= truncate) {
      return text;
    }
    return text.substring(0, Math.max(0, truncate - 3)) + "...";
  }
}
