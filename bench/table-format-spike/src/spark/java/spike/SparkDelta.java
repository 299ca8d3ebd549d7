package spike;

import org.apache.spark.sql.SparkSession;

/** Q3: does delta-spark 4.0.0 load on this Spark at all? */
public class SparkDelta {
  public static void main(String[] args) {
    String dir = new java.io.File(args[0]).getAbsolutePath();
    long t0 = System.nanoTime();
    SparkSession spark = SparkSession.builder().master("local[1]").appName("spike-delta")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .getOrCreate();
    System.out.printf("Spark %s session up in %.1f s%n", spark.version(), (System.nanoTime() - t0) / 1e9);
    if (args.length > 1) { // read a table committed elsewhere (Delta Kernel)
      run("read " + args[1], () -> spark.read().format("delta").load(new java.io.File(args[1]).getAbsolutePath())
          .groupBy("run_id").count().orderBy("run_id").collectAsList().toString());
      spark.stop();
      return;
    }
    run("write a Delta table: spark.range(10).write.format(\"delta\")", () -> {
      spark.range(10).selectExpr("id", "CAST(id % 2 AS STRING) AS run_id").write().format("delta").partitionBy("run_id").save(dir + "/t");
      return "written";
    });
    run("read it back", () -> "count=" + spark.read().format("delta").load(dir + "/t").count());
    run("CONVERT TO DELTA of a plain Hive-partitioned Parquet folder", () -> {
      spark.range(10).selectExpr("id AS step", "CAST(id % 2 AS STRING) AS run_id").write().partitionBy("run_id").parquet(dir + "/plain");
      spark.sql("CONVERT TO DELTA parquet.`" + dir + "/plain` PARTITIONED BY (run_id STRING)");
      return "count=" + spark.read().format("delta").load(dir + "/plain").count();
    });
    spark.stop();
  }

  interface S { String get(); }

  static void run(String what, S s) {
    long t0 = System.nanoTime();
    try {
      System.out.printf("OK   %s: %s (%.2f s)%n", what, s.get(), (System.nanoTime() - t0) / 1e9);
    } catch (Throwable e) {
      System.out.println("FAIL " + what + ":\n       " + e);
      for (Throwable c = e.getCause(); c != null; c = c.getCause()) System.out.println("       caused by " + c);
      StackTraceElement[] st = e.getStackTrace();
      for (int i = 0; i < Math.min(6, st.length); i++) System.out.println("         at " + st[i]);
    }
  }
}
