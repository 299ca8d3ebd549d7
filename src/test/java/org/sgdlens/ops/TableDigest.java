package org.sgdlens.ops;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sha2;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.StructField;
import org.sgdlens.analysis.LakeTables;

/**
 * A table's rows for comparing two lakes: columns that name times, paths or durations are left out,
 * binary vectors are compared by SHA-256, and floating-point values with a relative tolerance
 * (Spark may add partial sums in another order on a cluster).
 */
final class TableDigest {
  private static final Pattern VOLATILE =
      Pattern.compile(".*(_at|wall_seconds|_path|config_json|message|_ms)$");

  /** A row: its exact columns as one string, its floating-point columns apart. */
  record Digest(String exact, double[] numbers) {}

  private TableDigest() {}

  static List<Digest> rows(SparkSession spark, String lake, String table) {
    Dataset<Row> data = LakeTables.readRaw(spark, lake, table);
    List<Column> exact = new ArrayList<>();
    List<Column> numbers = new ArrayList<>();
    for (StructField f : data.schema().fields()) {
      if (VOLATILE.matcher(f.name()).matches()) {
        continue;
      }
      if (f.dataType() instanceof DoubleType || f.dataType() instanceof FloatType) {
        numbers.add(col(f.name()).cast("double"));
      } else if (f.dataType() instanceof BinaryType) {
        exact.add(sha2(col(f.name()), 256));
      } else {
        exact.add(col(f.name()).cast("string"));
      }
    }
    List<Column> all = new ArrayList<>(exact);
    all.addAll(numbers);
    List<Digest> out = new ArrayList<>();
    for (Row r : data.select(all.toArray(Column[]::new)).collectAsList()) {
      StringBuilder s = new StringBuilder();
      for (int i = 0; i < exact.size(); i++) {
        s.append(r.isNullAt(i) ? "null" : r.get(i).toString()).append('|');
      }
      double[] v = new double[numbers.size()];
      for (int i = 0; i < v.length; i++) {
        int at = exact.size() + i;
        v[i] = r.isNullAt(at) ? Double.NaN : r.getDouble(at);
      }
      out.add(new Digest(s.toString(), v));
    }
    out.sort(
        Comparator.comparing(Digest::exact)
            .thenComparing(d -> java.util.Arrays.toString(d.numbers())));
    return out;
  }

  /** A description of the first difference between two tables, or null when they agree. */
  static String difference(List<Digest> expected, List<Digest> actual, double tolerance) {
    if (expected.size() != actual.size()) {
      return expected.size() + " rows expected, " + actual.size() + " found";
    }
    for (int r = 0; r < expected.size(); r++) {
      Digest e = expected.get(r);
      Digest a = actual.get(r);
      if (!e.exact().equals(a.exact())) {
        return "row " + r + ": " + e.exact() + " expected, " + a.exact() + " found";
      }
      for (int i = 0; i < e.numbers().length; i++) {
        double x = e.numbers()[i];
        double y = a.numbers()[i];
        boolean same =
            Double.isNaN(x)
                ? Double.isNaN(y)
                : Math.abs(x - y) <= tolerance * Math.max(1, Math.max(Math.abs(x), Math.abs(y)));
        if (!same) {
          return "row "
              + r
              + " ("
              + e.exact()
              + ") value "
              + i
              + ": "
              + x
              + " expected, "
              + y
              + " found";
        }
      }
    }
    return null;
  }
}
