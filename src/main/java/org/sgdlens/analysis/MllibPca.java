package org.sgdlens.analysis;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.mllib.linalg.Matrix;
import org.apache.spark.mllib.linalg.Vector;
import org.apache.spark.mllib.linalg.Vectors;
import org.apache.spark.mllib.linalg.distributed.IndexedRow;
import org.apache.spark.mllib.linalg.distributed.IndexedRowMatrix;
import org.apache.spark.mllib.linalg.distributed.RowMatrix;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.sgdlens.kernel.SnapshotPca;
import org.sgdlens.lake.VectorChunks;
import scala.Tuple2;

/**
 * The MLlib method of the trajectory PCA: Spark MLlib's distributed covariance ({@link RowMatrix}
 * computePrincipalComponentsAndExplainedVariance). The driver holds a P×P matrix, so only for small
 * P (at most {@link TrajectoryPca#MLLIB_MAX_COLUMNS}).
 */
final class MllibPca {
  private MllibPca() {}

  /** The PCA of {@code data} (step, chunk, values of the window's snapshots). */
  static TrajectoryPca.RunResult run(
      SparkSession spark, TrajectoryPca.Options options, PcaWindow window, Dataset<Row> data) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int t = window.snapshots();
    int p = (int) window.params;
    Broadcast<Map<Long, Integer>> stepIndex = jsc.broadcast(window.stepIndex());
    Map<Integer, Long> offsets = new HashMap<>();
    window.chunks.forEach((chunk, ol) -> offsets.put(chunk, ol[0]));
    Broadcast<Map<Integer, Long>> chunkOffsets = jsc.broadcast(offsets);

    JavaRDD<IndexedRow> rows =
        data.javaRDD()
            .flatMapToPair(
                row -> {
                  Integer snapshot = stepIndex.value().get(row.<Long>getAs("step"));
                  Long offset = chunkOffsets.value().get(row.<Integer>getAs("chunk"));
                  if (snapshot == null || offset == null) {
                    return java.util.Collections
                        .<Tuple2<Integer, Tuple2<Long, byte[]>>>emptyIterator();
                  }
                  return List.of(
                          new Tuple2<>(snapshot, new Tuple2<>(offset, row.<byte[]>getAs("values"))))
                      .iterator();
                })
            .groupByKey()
            .map(
                group -> {
                  double[] w = new double[p];
                  for (Tuple2<Long, byte[]> chunk : group._2()) {
                    float[] values = VectorChunks.unpack(chunk._2());
                    int offset = (int) (long) chunk._1();
                    for (int i = 0; i < values.length; i++) {
                      w[offset + i] = values[i];
                    }
                  }
                  return new IndexedRow(group._1(), Vectors.dense(w));
                });
    rows.persist(StorageLevel.MEMORY_AND_DISK());
    try {
      IndexedRowMatrix indexed = new IndexedRowMatrix(rows.rdd(), t, p);
      RowMatrix matrix = indexed.toRowMatrix();
      double total =
          Arrays.stream(matrix.computeColumnSummaryStatistics().variance().toArray()).sum();
      // MLlib decomposes the P×P covariance in full whatever the count; its ratios are over all.
      int rank = options.componentsOf(t, p);
      Tuple2<Matrix, Vector> pca = matrix.computePrincipalComponentsAndExplainedVariance(rank);
      double[] ratios = pca._2().toArray();
      double[] variances = new double[rank];
      for (int i = 0; i < rank; i++) {
        variances[i] = ratios[i] * total;
      }
      int k = Math.min(options.directions(), rank);
      // The last snapshot is in the persisted rows: its rounding variance needs no second read.
      double precisionFloor =
          rows.filter(r -> r.index() == t - 1)
                  .map(r -> TrajectoryPca.roundingVarianceSum(toFloats(r.vector().toArray())))
                  .fold(0.0, Double::sum)
              / Math.max(1, p);
      int written = 0;
      if (k > 0) {
        double[] components = pca._1().toArray(); // column-major P × rank
        double[] lead = Arrays.copyOf(components, p * k);
        double[] signs = timeSigns(indexed, lead, p, k, t);
        PcaWriter.writeDirections(spark, options.lake(), window, lead, signs, p, k);
        written = k;
      }
      return new TrajectoryPca.RunResult(
          window.runId,
          window.label(),
          window.fromStep,
          window.toStep,
          t,
          p,
          TrajectoryPca.Method.MLLIB,
          variances,
          total,
          written,
          1,
          precisionFloor);
    } finally {
      rows.unpersist(false);
    }
  }

  /** The recorded float32 values back from the double vector MLlib holds (exact). */
  private static float[] toFloats(double[] values) {
    float[] out = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (float) values[i];
    }
    return out;
  }

  /**
   * {@link SnapshotPca#timeSign} of each of the {@code k} leading components: the projections of
   * the window on them, in time order.
   */
  private static double[] timeSigns(IndexedRowMatrix matrix, double[] lead, int p, int k, int t) {
    Matrix local = new org.apache.spark.mllib.linalg.DenseMatrix(p, k, lead);
    List<IndexedRow> scores = matrix.multiply(local).rows().toJavaRDD().collect();
    double[][] byComponent = new double[k][t];
    for (IndexedRow row : scores) {
      double[] s = row.vector().toArray();
      for (int i = 0; i < k; i++) {
        byComponent[i][(int) row.index()] = s[i];
      }
    }
    double[] signs = new double[k];
    for (int i = 0; i < k; i++) {
      signs[i] = SnapshotPca.timeSign(byComponent[i]);
    }
    return signs;
  }
}
