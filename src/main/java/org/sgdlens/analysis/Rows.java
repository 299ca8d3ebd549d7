package org.sgdlens.analysis;

import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.StructType;

/** Small row helpers shared by the jobs. */
final class Rows {
  private Rows() {}

  /** Rows that answer getAs(name), for result objects; values in the table's schema order. */
  static List<Row> withSchema(List<Row> rows, String table) {
    StructType schema = LakeTables.sparkSchema(table);
    return rows.stream().map(r -> (Row) new GenericRowWithSchema(values(r), schema)).toList();
  }

  private static Object[] values(Row r) {
    Object[] v = new Object[r.length()];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.get(i);
    }
    return v;
  }

  static scala.collection.immutable.Seq<String> seq(List<String> keys) {
    return scala.jdk.javaapi.CollectionConverters.asScala(keys).toList();
  }

  /** A nullable numeric column as Double. */
  static Double nullable(Row r, String column) {
    int i = r.fieldIndex(column);
    return r.isNullAt(i) ? null : ((Number) r.get(i)).doubleValue();
  }

  /** Tables hold null, never NaN or infinity, for an undefined value. */
  static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }
}
