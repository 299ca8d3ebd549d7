package org.sgdlens.analysis;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.lake.Tables;

/**
 * What an analysis needs to know about a committed run.
 *
 * @param numMislabeled mislabeled training samples; 0 means the run has no label noise
 */
public record RunInfo(
    String runId, int trainSize, int numMislabeled, double noiseFraction, int batchSize) {

  public boolean labelNoise() {
    return numMislabeled > 0;
  }

  /**
   * The committed runs named in {@code requested}, or every committed run when it is empty.
   *
   * @throws IllegalArgumentException naming a requested run that is absent or not committed
   */
  public static List<RunInfo> select(SparkSession spark, String lake, List<String> requested) {
    Map<String, RunInfo> committed = new LinkedHashMap<>();
    for (Row r :
        LakeTables.read(spark, lake, Tables.RUNS)
            .select("run_id", "train_size", "num_mislabeled", "noise_fraction", "batch_size")
            .orderBy(col("run_id"))
            .collectAsList()) {
      committed.put(
          r.getString(0),
          new RunInfo(r.getString(0), r.getInt(1), r.getInt(2), r.getDouble(3), r.getInt(4)));
    }
    if (committed.isEmpty()) {
      throw new IllegalArgumentException(noCommittedRuns(spark, lake));
    }
    if (requested.isEmpty()) {
      return List.copyOf(committed.values());
    }
    List<RunInfo> out = new ArrayList<>();
    for (String id : requested) {
      RunInfo info = committed.get(id);
      if (info == null) {
        throw new IllegalArgumentException(
            "Run '"
                + id
                + "' is not a committed run of the lake at "
                + lake
                + "; committed runs are "
                + committed.keySet()
                + " (check --run and --lake)");
      }
      out.add(info);
    }
    return out;
  }

  /**
   * Why a lake has no run to analyse, naming the path: a mistyped --lake would otherwise analyse
   * nothing, report zero rows and succeed.
   */
  static String noCommittedRuns(SparkSession spark, String lake) {
    String why;
    if (!LakeTables.exists(spark, lake)) {
      why = "there is no such folder";
    } else if (!LakeTables.exists(spark, LakeTables.tablePath(spark, lake, Tables.RUNS))) {
      why = "it has no runs table";
    } else {
      why = "none of its runs is committed (each failed or is still being written)";
    }
    return "The lake at "
        + lake
        + " has no committed run to analyse: "
        + why
        + ". Check --lake,"
        + " or record a run first (jobs/train --lake "
        + lake
        + ")";
  }

  public static List<String> ids(List<RunInfo> runs) {
    return runs.stream().map(RunInfo::runId).toList();
  }
}
