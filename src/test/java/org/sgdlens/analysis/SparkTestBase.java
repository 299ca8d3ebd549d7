package org.sgdlens.analysis;

import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * One local Spark session per test class: local[2], UI off, driver on loopback, stopped and cleared
 * afterwards so a failed class never leaks its config into the next one.
 */
public abstract class SparkTestBase {
  protected static SparkSession spark;

  @TempDir protected static Path tempDir;

  @BeforeAll
  static void startSpark() {
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
    spark =
        SparkSession.builder()
            .appName("sgdlens-test")
            .master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.default.parallelism", "4")
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate();
  }

  @AfterAll
  static void stopSpark() {
    if (spark != null) {
      spark.stop();
      spark = null;
    }
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
  }

  protected static String lakePath(String name) {
    return tempDir.resolve(name).toUri().toString();
  }
}
