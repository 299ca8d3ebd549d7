package org.sgdlens.analysis;

import java.util.List;
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
   * @see SelectedRuns#committed
   */
  public static List<RunInfo> select(SparkSession spark, String lake, List<String> requested) {
    return SelectedRuns.committed(spark, lake, requested, null).runs();
  }

  /**
   * The same, keeping diverged runs (runs.diverged) out of an unnamed selection: a run is analysed
   * with its NaN losses or exploded weights only when {@code --run} names it, and either way {@code
   * warnings} says so with the reason.
   */
  static List<RunInfo> select(
      SparkSession spark, String lake, List<String> requested, Warnings warnings) {
    return SelectedRuns.committed(spark, lake, requested, warnings::add).runs();
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
