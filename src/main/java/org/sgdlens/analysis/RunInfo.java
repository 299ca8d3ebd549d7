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
    return select(spark, lake, requested, null);
  }

  /**
   * The same, keeping diverged runs (runs.diverged) out of an unnamed selection: a run is analysed
   * with its NaN losses or exploded weights only when {@code --run} names it, and either way {@code
   * warnings} says so with the reason.
   */
  static List<RunInfo> select(
      SparkSession spark, String lake, List<String> requested, Warnings warnings) {
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
    Map<String, String> diverged = warnings == null ? Map.of() : diverged(spark, lake);
    if (requested.isEmpty()) {
      List<RunInfo> out = new ArrayList<>();
      for (RunInfo info : committed.values()) {
        String why = diverged.get(info.runId());
        if (why == null) {
          out.add(info);
        } else {
          warnings.add(skippedDiverged(info.runId(), why));
        }
      }
      if (out.isEmpty()) {
        throw new IllegalArgumentException(
            "Every committed run of the lake at "
                + lake
                + " diverged ("
                + String.join("; ", diverged.keySet())
                + "); name one with --run to analyse it anyway");
      }
      return out;
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
      if (diverged.containsKey(id)) {
        warnings.add(analysedDiverged(id, diverged.get(id)));
      }
      out.add(info);
    }
    return out;
  }

  /** The committed runs that diverged, each with the reason the run recorded. */
  static Map<String, String> diverged(SparkSession spark, String lake) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Row r :
        LakeTables.read(spark, lake, Tables.RUNS)
            .where(col("diverged"))
            .select("run_id", "diverged_reason")
            .orderBy("run_id")
            .collectAsList()) {
      out.put(
          r.getString(0), r.isNullAt(1) ? "a NaN or infinite loss or gradient" : r.getString(1));
    }
    return out;
  }

  static String skippedDiverged(String runId, String why) {
    return "run '"
        + runId
        + "' skipped: it diverged ("
        + why
        + "); name it with --run to analyse"
        + " it anyway";
  }

  static String analysedDiverged(String runId, String why) {
    return "run '"
        + runId
        + "' diverged ("
        + why
        + "); analysed because --run names it, so its"
        + " numbers describe a diverged run";
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
