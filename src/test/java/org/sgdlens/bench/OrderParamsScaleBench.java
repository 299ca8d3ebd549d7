package org.sgdlens.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.sum;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.util.Locale;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.analysis.LakeTables;
import org.sgdlens.lake.Tables;

/**
 * The two helpers of bench/analysis-scale/order-params.sh.
 *
 * <ul>
 *   <li>{@code scan --lake DIR --run ID}: a plain Spark scan of the run's gradients (every row's
 *       values read: the sum of their lengths), local[2], the Parquet reader order-params uses.
 *   <li>{@code compare DIR_A DIR_B}: the largest relative difference between the numeric columns of
 *       two order_params partitions (read with DuckDB, rows matched by step).
 * </ul>
 */
public final class OrderParamsScaleBench {
  private OrderParamsScaleBench() {}

  public static void main(String[] args) throws Exception {
    if (args[0].equals("scan")) {
      scan(args[2], args[4]);
    } else {
      System.out.println(compare(args[1], args[2]));
    }
  }

  private static void scan(String lake, String run) {
    SparkSession spark =
        SparkSession.builder()
            .appName("gradients-scan")
            .master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .getOrCreate();
    spark.sparkContext().setLogLevel("ERROR");
    long t0 = System.nanoTime();
    Row r =
        LakeTables.readRaw(spark, lake, Tables.GRADIENTS)
            .where(col("run_id").equalTo(run))
            .agg(sum(length(col("values"))), org.apache.spark.sql.functions.count("*"))
            .first();
    System.out.printf(
        Locale.ROOT,
        "scan: %d rows, %d value bytes in %.1f s%n",
        r.getLong(1),
        r.getLong(0),
        (System.nanoTime() - t0) / 1e9);
    spark.stop();
  }

  private static String compare(String a, String b) throws Exception {
    try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = duck.createStatement()) {
      String[] columns;
      try (ResultSet rs =
          st.executeQuery("SELECT * FROM read_parquet('" + a + "/*.parquet') LIMIT 0")) {
        ResultSetMetaData md = rs.getMetaData();
        java.util.List<String> numeric = new java.util.ArrayList<>();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          String type = md.getColumnTypeName(i);
          if (type.equals("DOUBLE") && !md.getColumnName(i).equals("step")) {
            numeric.add(md.getColumnName(i));
          }
        }
        columns = numeric.toArray(String[]::new);
      }
      StringBuilder worst = new StringBuilder("SELECT count(*), greatest(0");
      for (String c : columns) {
        worst.append(
            String.format(
                Locale.ROOT,
                ", coalesce(max(abs(x.\"%1$s\" - y.\"%1$s\") / greatest(abs(x.\"%1$s\"), 1e-300)), 0)",
                c));
      }
      worst.append(
          ") FROM read_parquet('"
              + a
              + "/*.parquet') x JOIN read_parquet('"
              + b
              + "/*.parquet') y USING (step)");
      try (ResultSet rs = st.executeQuery(worst.toString())) {
        rs.next();
        return String.format(
            Locale.ROOT,
            "%.3g over %d steps and %d columns",
            rs.getDouble(2),
            rs.getLong(1),
            columns.length);
      }
    }
  }
}
