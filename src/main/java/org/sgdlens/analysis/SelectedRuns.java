package org.sgdlens.analysis;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.Tables;

/**
 * The runs an analysis job reads, decided in one place for every job: the committed runs (or, for a
 * job that needs rows of one table, the runs with rows there), restricted to the ids {@code --run}
 * names, diverged runs left out of an unnamed selection, and a warning for each run left out or
 * analysed although it diverged.
 *
 * <p>Two policies for a named run that is not available: {@link #committed} fails naming the
 * committed runs (the job cannot do anything useful for a mistyped id), {@link #withRowsIn} warns
 * and carries on with the others (a run that simply has no result of the previous job yet).
 */
public final class SelectedRuns {
  private final List<String> ids;
  private final Map<String, RunInfo> committed;

  private SelectedRuns(List<String> ids, Map<String, RunInfo> committed) {
    this.ids = List.copyOf(ids);
    this.committed = committed;
  }

  /**
   * The committed runs named in {@code requested}, or every committed run when it is empty. With a
   * {@code warnings} sink, diverged runs (runs.diverged) stay out of an unnamed selection and are
   * analysed only when named, with a warning either way; with null, diverged runs are not looked
   * at.
   *
   * @throws IllegalArgumentException naming a requested run that is absent or not committed, or
   *     when the lake has no committed (non-diverged) run at all
   */
  public static SelectedRuns committed(
      SparkSession spark, String lake, List<String> requested, Consumer<String> warnings) {
    RunsTable runsTable = RunsTable.read(spark, lake);
    Map<String, RunInfo> committed = runsTable.committed();
    if (committed.isEmpty()) {
      throw new IllegalArgumentException(RunInfo.noCommittedRuns(spark, lake));
    }
    Map<String, String> diverged = warnings == null ? Map.of() : runsTable.diverged();
    if (requested.isEmpty()) {
      List<String> out = healthy(committed.keySet(), diverged, warnings);
      if (out.isEmpty()) {
        throw new IllegalArgumentException(
            "Every committed run of the lake at "
                + lake
                + " diverged ("
                + String.join("; ", diverged.keySet())
                + "); name one with --run to analyse it anyway");
      }
      return new SelectedRuns(out, committed);
    }
    List<String> out = new ArrayList<>();
    for (String id : requested) {
      if (!committed.containsKey(id)) {
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
        warnings.accept(RunInfo.analysedDiverged(id, diverged.get(id)));
      }
      out.add(id);
    }
    return new SelectedRuns(out, committed);
  }

  /**
   * The runs with rows in {@code table} (read through {@link LakeTables#read}, so a record table
   * holds committed runs only), restricted to {@code requested}: a named run without rows is
   * skipped with a warning, diverged runs as in {@link #committed}.
   *
   * @throws IllegalArgumentException when no selected run has rows in the table
   */
  public static SelectedRuns withRowsIn(
      Dataset<Row> table,
      String lake,
      List<String> requested,
      String tableName,
      Consumer<String> warnings) {
    SparkSession spark = table.sparkSession();
    List<String> present =
        table.select(Lake.RUN_ID).distinct().collectAsList().stream()
            .map(r -> r.<String>getAs(Lake.RUN_ID))
            .sorted()
            .toList();
    RunsTable runsTable = RunsTable.read(spark, lake);
    Map<String, String> diverged = runsTable.diverged();
    Map<String, RunInfo> committed = runsTable.committed();
    for (String run : requested) {
      if (diverged.containsKey(run)) {
        warnings.accept(RunInfo.analysedDiverged(run, diverged.get(run)));
      }
    }
    if (requested.isEmpty()) {
      List<String> out = healthy(present, diverged, warnings);
      if (out.isEmpty()) {
        throw new IllegalArgumentException(
            "No committed run has rows in '" + tableName + "'; check --lake or record runs first");
      }
      return new SelectedRuns(out, committed);
    }
    List<String> out = new ArrayList<>();
    for (String run : requested) {
      if (present.contains(run)) {
        out.add(run);
      } else {
        warnings.accept(
            "run '"
                + run
                + "' skipped: no committed rows in '"
                + tableName
                + "' (runs with rows: "
                + present
                + ")");
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(
          "None of the runs "
              + requested
              + " has committed rows in '"
              + tableName
              + "'; runs with rows: "
              + present);
    }
    return new SelectedRuns(out, committed);
  }

  /** The selected run ids, in selection order (run id order when none was named). */
  public List<String> ids() {
    return ids;
  }

  /** What the runs table says about each selected run; committed runs only. */
  public List<RunInfo> runs() {
    return ids.stream().filter(committed::containsKey).map(committed::get).toList();
  }

  /** {@code data} restricted to the selected runs. */
  public Dataset<Row> restrict(Dataset<Row> data) {
    return data.where(col(Lake.RUN_ID).isin(ids.toArray()));
  }

  private static List<String> healthy(
      Iterable<String> runs, Map<String, String> diverged, Consumer<String> warnings) {
    List<String> out = new ArrayList<>();
    for (String run : runs) {
      String why = diverged.get(run);
      if (why == null) {
        out.add(run);
      } else {
        warnings.accept(RunInfo.skippedDiverged(run, why));
      }
    }
    return out;
  }

  /** The committed runs, and the reason each diverged one recorded; one read of {@code runs}. */
  private record RunsTable(Map<String, RunInfo> committed, Map<String, String> diverged) {
    static RunsTable read(SparkSession spark, String lake) {
      Map<String, RunInfo> committed = new LinkedHashMap<>();
      Map<String, String> diverged = new LinkedHashMap<>();
      for (Row r :
          LakeTables.read(spark, lake, Tables.RUNS)
              .select(
                  Lake.RUN_ID,
                  "train_size",
                  "num_mislabeled",
                  "noise_fraction",
                  "batch_size",
                  "diverged",
                  "diverged_reason")
              .orderBy(col(Lake.RUN_ID))
              .collectAsList()) {
        RunInfo info =
            new RunInfo(
                r.getAs(Lake.RUN_ID),
                r.<Integer>getAs("train_size"),
                r.<Integer>getAs("num_mislabeled"),
                r.<Double>getAs("noise_fraction"),
                r.<Integer>getAs("batch_size"));
        committed.put(info.runId(), info);
        if (Boolean.TRUE.equals(r.getAs("diverged"))) {
          String reason = r.getAs("diverged_reason");
          diverged.put(
              info.runId(), reason == null ? "a NaN or infinite loss or gradient" : reason);
        }
      }
      return new RunsTable(committed, diverged);
    }
  }
}
