package org.sgdlens.analysis;

import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.lake.Tables;
import org.sgdlens.lake.VectorChunks;

/** Writes record tables of made-up runs through Spark, as the train job would lay them out. */
final class SyntheticLake {
  private SyntheticLake() {}

  static void write(SparkSession spark, String lake, String table, List<Row> rows) {
    LakeTables.write(spark.createDataFrame(rows, LakeTables.sparkSchema(table)), lake, table);
  }

  /** A COMMITTED runs row. */
  static Row run(String runId, int trainSize, int numMislabeled, int batchSize) {
    Timestamp t = Timestamp.valueOf("2026-11-27 10:00:00");
    return RowFactory.create(
        runId,
        "COMMITTED",
        t,
        t,
        "synthetic",
        "mlp:4-3",
        100L,
        100L,
        trainSize,
        10,
        numMislabeled / (double) Math.max(1, trainSize),
        numMislabeled > 0 ? "symmetric" : "none",
        numMislabeled,
        1L,
        0.1,
        0.0,
        0.0,
        batchSize,
        1000L,
        1.0,
        "cpu",
        null,
        null,
        false,
        null,
        "{}",
        null,
        null);
  }

  static void runs(SparkSession spark, String lake, Row... rows) {
    write(spark, lake, Tables.RUNS, Arrays.asList(rows));
  }

  /** Gradient rows of one member's part, split into chunks of {@code chunkSize} floats. */
  static List<Row> gradient(
      String run,
      long step,
      int member,
      String part,
      int m,
      int batch,
      int count,
      float[] vector,
      int chunkSize) {
    List<Row> rows = new ArrayList<>();
    for (int c = 0, from = 0; from < vector.length; c++, from += chunkSize) {
      int len = Math.min(chunkSize, vector.length - from);
      rows.add(
          RowFactory.create(
              run,
              step,
              member,
              part,
              m,
              batch,
              count,
              c,
              (long) from,
              len,
              VectorChunks.pack(vector, from, len)));
    }
    return rows;
  }

  /** A metrics row. */
  static Row metrics(
      String run,
      long step,
      double trainLoss,
      double trainAcc,
      Double cleanAcc,
      Double wrongFit,
      double testAcc) {
    return RowFactory.create(
        run,
        step,
        step / 10.0,
        trainLoss,
        trainAcc,
        cleanAcc,
        wrongFit,
        null,
        1.0,
        testAcc,
        trainLoss,
        1.0);
  }

  /** A sample_losses row; the prediction matches the given label unless mislabeled. */
  static Row loss(String run, long step, int sample, boolean mislabeled, double loss) {
    return loss(run, step, sample, mislabeled, loss, !mislabeled);
  }

  /** A sample_losses row with its prediction-equals-given-label flag. */
  static Row loss(
      String run, long step, int sample, boolean mislabeled, double loss, boolean correct) {
    int given = mislabeled ? 1 : 0;
    int predicted = correct ? given : given + 1;
    return RowFactory.create(run, step, sample, given, 0, mislabeled, loss, predicted, correct);
  }
}
