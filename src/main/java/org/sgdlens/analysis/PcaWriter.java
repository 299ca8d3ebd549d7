package org.sgdlens.analysis;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.lake.Tables;
import org.sgdlens.lake.VectorChunks;

/** Writes the trajectory PCA's result tables, {@code pca_variances} and {@code pca_directions}. */
final class PcaWriter {
  private PcaWriter() {}

  /** A {@code pca_directions} row: one chunk of one stored direction, in schema order. */
  static Row directionRow(
      String runId,
      String window,
      int component,
      int chunk,
      long offset,
      int length,
      byte[] values) {
    return RowFactory.create(runId, window, component, chunk, offset, length, values);
  }

  /** Direction rows, replacing the partitions of their runs. */
  static void writeDirections(SparkSession spark, String lake, JavaRDD<Row> rows) {
    LakeTables.write(
        spark.createDataFrame(rows, LakeTables.sparkSchema(Tables.PCA_DIRECTIONS)),
        lake,
        Tables.PCA_DIRECTIONS);
  }

  /** Removes a run's partition of a result table (directions of an earlier window). */
  static void dropRunPartition(SparkSession spark, String lake, String table, String runId) {
    org.apache.hadoop.fs.Path partition =
        new org.apache.hadoop.fs.Path(
            LakeTables.tablePath(spark, lake, table), org.sgdlens.lake.Lake.RUN_ID + "=" + runId);
    try {
      partition.getFileSystem(spark.sparkContext().hadoopConfiguration()).delete(partition, true);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("Cannot remove stale " + partition, e);
    }
  }

  /** The MLlib method's directions, {@code lead} column-major P × k, each times its sign. */
  static void writeDirections(
      SparkSession spark,
      String lake,
      PcaWindow window,
      double[] lead,
      double[] signs,
      int p,
      int k) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < k; i++) {
      for (var e : window.chunks.entrySet()) {
        int offset = (int) e.getValue()[0];
        int length = (int) e.getValue()[1];
        float[] values = new float[length];
        for (int j = 0; j < length; j++) {
          values[j] = (float) (signs[i] * lead[i * p + offset + j]);
        }
        rows.add(
            directionRow(
                window.runId,
                window.label(),
                i + 1,
                e.getKey(),
                (long) offset,
                length,
                VectorChunks.pack(values, 0, length)));
      }
    }
    LakeTables.write(
        spark.createDataFrame(rows, LakeTables.sparkSchema(Tables.PCA_DIRECTIONS)),
        lake,
        Tables.PCA_DIRECTIONS);
  }

  /** The stored variances of one run's window, with the explained and cumulative ratios. */
  static void writeVariances(
      SparkSession spark, String lake, TrajectoryPca.RunResult r, double precisionFloor) {
    double[] v = r.variances();
    // All components but the first from the trace, so that a window stored with only its leading
    // components (--components) gets the same ratios as the full one.
    double firstExcluded = v.length > 0 ? r.totalVariance() - v[0] : 0;
    // Below rounding of the trace, "the rest" is nothing: no ratio rather than 0/0-like noise.
    boolean restMeasurable = firstExcluded > 1e-12 * r.totalVariance();
    List<Row> rows = new ArrayList<>();
    double cumulative = 0;
    double cumulativeRest = 0;
    for (int i = 0; i < v.length; i++) {
      cumulative += v[i];
      Double rest = null;
      if (i > 0) {
        cumulativeRest += v[i];
        rest = restMeasurable ? cumulativeRest / firstExcluded : null;
      }
      double total = r.totalVariance();
      rows.add(
          RowFactory.create(
              r.runId(),
              r.window(),
              r.fromStep(),
              r.toStep(),
              r.snapshots(),
              r.params(),
              i + 1,
              v[i],
              total > 0 ? v[i] / total : 0.0,
              total > 0 ? cumulative / total : 0.0,
              rest,
              r.method().label(),
              precisionFloor));
    }
    LakeTables.write(
        spark.createDataFrame(rows, LakeTables.sparkSchema(Tables.PCA_VARIANCES)),
        lake,
        Tables.PCA_VARIANCES);
  }
}
