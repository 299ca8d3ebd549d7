package spike;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** Q2: read the spike's Iceberg table (files from plain parquet-java + name mapping) in Spark. */
public class SparkIceberg {
  public static void main(String[] args) {
    String warehouse = new java.io.File(args[0]).getAbsolutePath(); // holds db/metrics
    long t0 = System.nanoTime();
    SparkSession spark;
    try {
      spark = SparkSession.builder().master("local[1]").appName("spike-iceberg")
          .config("spark.ui.enabled", "false")
          .config("spark.sql.shuffle.partitions", "1")
          .config("spark.sql.extensions", "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions")
          .config("spark.sql.catalog.lake", "org.apache.iceberg.spark.SparkCatalog")
          .config("spark.sql.catalog.lake.type", "hadoop")
          .config("spark.sql.catalog.lake.warehouse", warehouse)
          // path-based load() goes through the catalog "default_iceberg", type hive unless set
          .config("spark.sql.catalog.default_iceberg", "org.apache.iceberg.spark.SparkCatalog")
          .config("spark.sql.catalog.default_iceberg.type", "hadoop")
          .config("spark.sql.catalog.default_iceberg.warehouse", warehouse)
          .getOrCreate();
    } catch (Throwable e) {
      fail("SparkSession with Iceberg extensions", e);
      return;
    }
    System.out.printf("Spark %s session up in %.1f s%n", spark.version(), (System.nanoTime() - t0) / 1e9);
    step("path read: spark.read().format(\"iceberg\").load(path) grouped by run_id", () ->
        spark.read().format("iceberg").load(warehouse + "/db/metrics").groupBy("run_id").count().orderBy("run_id"));
    step("path read with filter step >= 998", () ->
        spark.read().format("iceberg").load(warehouse + "/db/metrics").where("step >= 998").select("run_id", "step", "epoch", "train_loss", "minibatch_loss"));
    step("catalog SQL: SELECT run_id, count(*), sum(step) FROM lake.db.metrics GROUP BY run_id", () ->
        spark.sql("SELECT run_id, count(*), sum(step) FROM lake.db.metrics GROUP BY run_id ORDER BY run_id"));
    step("metadata table lake.db.metrics.snapshots", () ->
        spark.sql("SELECT snapshot_id, operation, summary['added-data-files'] AS added_files FROM lake.db.metrics.snapshots"));
    step("write: INSERT INTO lake.db.metrics (Iceberg's own writer)", () -> {
      spark.sql("INSERT INTO lake.db.metrics VALUES ('r9', 1, 0.0, 1.0, 0.5, null, null, null, 2.0, 0.4, null, 0.1)");
      return spark.sql("SELECT run_id, count(*) FROM lake.db.metrics GROUP BY run_id ORDER BY run_id");
    });
    step("extensions: CALL lake.system.remove_orphan_files(table => 'db.metrics', dry_run => true) (default older_than: 3 days)", () ->
        spark.sql("CALL lake.system.remove_orphan_files(table => 'db.metrics', dry_run => true)"));
    step("Action API: deleteOrphanFiles().olderThan(now), deletes only collected (not done)", () -> {
      try {
        org.apache.iceberg.Table t = org.apache.iceberg.spark.Spark3Util.loadIcebergTable(spark, "lake.db.metrics");
        java.util.List<String> wouldDelete = new java.util.ArrayList<>();
        org.apache.iceberg.spark.actions.SparkActions.get(spark).deleteOrphanFiles(t)
            .olderThan(System.currentTimeMillis()).deleteWith(wouldDelete::add).execute();
        return spark.createDataset(wouldDelete, org.apache.spark.sql.Encoders.STRING()).toDF("orphan");
      } catch (Exception e) { throw new RuntimeException(e); }
    });
    spark.stop();
  }

  interface Q { Dataset<Row> get(); }

  static void step(String what, Q q) {
    long t0 = System.nanoTime();
    try {
      Dataset<Row> df = q.get();
      java.util.List<Row> rows = df.collectAsList();
      System.out.printf("OK   %s (%.2f s):%n", what, (System.nanoTime() - t0) / 1e9);
      for (Row r : rows) System.out.println("       " + r);
    } catch (Throwable e) {
      fail(what, e);
    }
  }

  static void fail(String what, Throwable e) {
    System.out.println("FAIL " + what + ":\n       " + e);
    for (Throwable c = e.getCause(); c != null; c = c.getCause()) System.out.println("       caused by " + c);
    StackTraceElement[] st = e.getStackTrace();
    for (int i = 0; i < Math.min(8, st.length); i++) System.out.println("         at " + st[i]);
  }
}
