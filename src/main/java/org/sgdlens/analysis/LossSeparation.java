package org.sgdlens.analysis;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.stddev_samp;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.mllib.evaluation.BinaryClassificationMetrics;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.storage.StorageLevel;
import org.sgdlens.kernel.Separation;
import org.sgdlens.lake.Tables;
import scala.Tuple2;

/**
 * The loss-separation job: per recorded step, how well the per-sample loss separates mislabeled
 * from clean samples (AUROC by Spark MLlib's BinaryClassificationMetrics, d' on log losses), for
 * the loss at the step and for a history score (mean loss over a window of recorded steps), and the
 * step of maximum separation t_sep with its phase.
 */
public final class LossSeparation {
  public static final String LOSS = "loss";
  public static final String HISTORY = "history";
  static final String QUANTILES = "array(0.05, 0.25, 0.5, 0.75, 0.95)";

  /**
   * @param window recorded steps averaged by the history score (1 = the loss itself)
   * @param logFloor losses are floored here before taking logs for d'
   * @param parallelJobs AUROC evaluations submitted to Spark at once
   */
  public record Options(
      String lake, List<String> runs, int window, double logFloor, int parallelJobs) {
    public static final int WINDOW_DEFAULT = 5;
    public static final double LOG_FLOOR_DEFAULT = LossMixtures.LOG_FLOOR_DEFAULT;
    public static final int PARALLEL_JOBS_DEFAULT = 4;

    public Options {
      if (window < 1) {
        throw new IllegalArgumentException(
            "--window is " + window + "; give the number of recorded steps to average, e.g. 5");
      }
      if (parallelJobs < 1) {
        throw new IllegalArgumentException("--parallel-jobs is " + parallelJobs + "; give >= 1");
      }
    }

    public static Options defaults(String lake, List<String> runs) {
      return builder().setLake(lake).optRuns(runs).build();
    }

    public static Builder builder() {
      return new Builder();
    }

    /** Options with every unset value at its {@code _DEFAULT}; {@code setLake} is required. */
    public static final class Builder {
      private String lake;
      private List<String> runs = List.of();
      private int window = WINDOW_DEFAULT;
      private double logFloor = LOG_FLOOR_DEFAULT;
      private int parallelJobs = PARALLEL_JOBS_DEFAULT;

      private Builder() {}

      public Builder setLake(String lake) {
        this.lake = lake;
        return this;
      }

      /** Runs to analyse; empty (the default) for every committed run. */
      public Builder optRuns(List<String> runs) {
        this.runs = runs;
        return this;
      }

      public Builder optWindow(int window) {
        this.window = window;
        return this;
      }

      public Builder optLogFloor(double logFloor) {
        this.logFloor = logFloor;
        return this;
      }

      public Builder optParallelJobs(int parallelJobs) {
        this.parallelJobs = parallelJobs;
        return this;
      }

      public Options build() {
        return new Options(
            Objects.requireNonNull(lake, "call setLake"), runs, window, logFloor, parallelJobs);
      }
    }
  }

  /** Rows written to loss_separation and separation_summary. */
  public record Result(List<Row> steps, List<Row> summary, List<String> warnings) {
    public Row step(String runId, long step) {
      return steps.stream()
          .filter(r -> r.getString(0).equals(runId) && r.getLong(1) == step)
          .findFirst()
          .orElse(null);
    }

    public Row summary(String runId, String score) {
      return summary.stream()
          .filter(r -> r.getString(0).equals(runId) && r.getString(1).equals(score))
          .findFirst()
          .orElse(null);
    }
  }

  private LossSeparation() {}

  /**
   * Adds {@code log_loss}, the history score {@code history} (mean loss over the last {@code
   * window} recorded steps of the sample, this one included), {@code log_history} and {@code
   * history_steps}.
   */
  static Dataset<Row> scored(Dataset<Row> sampleLosses, int window, double floor) {
    WindowSpec w =
        Window.partitionBy("run_id", "sample_index").orderBy("step").rowsBetween(-(window - 1), 0);
    return LossMixtures.withLogLoss(sampleLosses, floor)
        .withColumn("history", avg("loss").over(w))
        .withColumn("history_steps", count("loss").over(w))
        .withColumn("log_history", log(greatest(col("history"), lit(floor))));
  }

  public static Result run(SparkSession spark, Options o) {
    Warnings warnings = new Warnings();
    List<RunInfo> runs = RunInfo.select(spark, o.lake(), o.runs(), warnings);
    Dataset<Row> losses =
        LakeTables.read(spark, o.lake(), Tables.SAMPLE_LOSSES)
            .where(col("run_id").isin(RunInfo.ids(runs).toArray()));
    Map<String, Long> wrongPerRun = new HashMap<>();
    for (Row r :
        losses
            .groupBy("run_id")
            .agg(sum(when(col("mislabeled"), 1L).otherwise(0L)))
            .collectAsList()) {
      wrongPerRun.put(r.getString(0), r.getLong(1));
    }
    List<String> usable = new ArrayList<>();
    for (RunInfo run : runs) {
      Long wrong = wrongPerRun.get(run.runId());
      if (wrong == null) {
        warnings.add("Run " + run.runId() + " has no sample_losses rows; skipped");
      } else if (wrong == 0) {
        warnings.add(
            "Run "
                + run.runId()
                + " has no mislabeled samples: loss separation needs a"
                + " run trained with label noise (noise_fraction > 0); skipped");
      } else {
        usable.add(run.runId());
      }
    }
    Dataset<Row> scored =
        scored(losses.where(col("run_id").isin(usable.toArray())), o.window(), o.logFloor())
            .select(
                "run_id",
                "step",
                "mislabeled",
                "loss",
                "log_loss",
                "history",
                "log_history",
                "history_steps")
            // One partition per core, not spark.sql.shuffle.partitions: every AUROC curve below
            // filters this cached set, and each filter costs one task per partition.
            .repartition(spark.sparkContext().defaultParallelism(), col("run_id"), col("step"))
            .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      List<Row> stats =
          scored
              .groupBy("run_id", "step", "mislabeled")
              .agg(
                  count(lit(1)).as("n"),
                  avg("loss").as("mean"),
                  stddev_samp("loss").as("std"),
                  expr("percentile(loss, " + QUANTILES + ")").as("q"),
                  avg("log_loss").as("log_mean"),
                  stddev_samp("log_loss").as("log_std"),
                  avg("log_history").as("hist_log_mean"),
                  stddev_samp("log_history").as("hist_log_std"),
                  max("history_steps").as("history_steps"))
              .orderBy("run_id", "step", "mislabeled")
              .collectAsList();
      Map<String, Map<Long, Row[]>> groups = new LinkedHashMap<>();
      for (Row r : stats) {
        Row[] pair =
            groups
                .computeIfAbsent(r.getString(0), k -> new LinkedHashMap<>())
                .computeIfAbsent(r.getLong(1), k -> new Row[2]);
        pair[r.getBoolean(2) ? 1 : 0] = r;
      }
      Map<String, Double> auroc = aurocs(scored, groups, o.parallelJobs(), warnings);
      PhaseLookup phases = PhaseLookup.read(spark, o.lake(), usable);

      List<Row> stepRows = new ArrayList<>();
      List<Row> summaryRows = new ArrayList<>();
      for (Map.Entry<String, Map<Long, Row[]>> run : groups.entrySet()) {
        List<Row> runRows = new ArrayList<>();
        for (Map.Entry<Long, Row[]> e : run.getValue().entrySet()) {
          runRows.add(stepRow(run.getKey(), e.getKey(), e.getValue(), auroc, o.window(), phases));
        }
        stepRows.addAll(runRows);
        summaryRows.addAll(summaries(run.getKey(), runRows, o.window(), phases));
      }
      LakeTables.write(
          spark.createDataFrame(stepRows, LakeTables.sparkSchema(Tables.LOSS_SEPARATION)),
          o.lake(),
          Tables.LOSS_SEPARATION);
      LakeTables.write(
          spark.createDataFrame(summaryRows, LakeTables.sparkSchema(Tables.SEPARATION_SUMMARY)),
          o.lake(),
          Tables.SEPARATION_SUMMARY);
      return new Result(
          Rows.withSchema(stepRows, Tables.LOSS_SEPARATION),
          Rows.withSchema(summaryRows, Tables.SEPARATION_SUMMARY),
          warnings.list());
    } finally {
      scored.unpersist();
    }
  }

  /** AUROC per (run, step, score), keyed "run|step|score"; MLlib, one curve per step. */
  private static Map<String, Double> aurocs(
      Dataset<Row> scored, Map<String, Map<Long, Row[]>> groups, int parallel, Warnings warnings) {
    Map<String, Future<Double>> futures = new LinkedHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(parallel);
    try {
      for (Map.Entry<String, Map<Long, Row[]>> run : groups.entrySet()) {
        for (Map.Entry<Long, Row[]> e : run.getValue().entrySet()) {
          if (e.getValue()[0] == null || e.getValue()[1] == null) {
            warnings.add(
                "Run "
                    + run.getKey()
                    + " step "
                    + e.getKey()
                    + ": only "
                    + (e.getValue()[0] == null ? "mislabeled" : "clean")
                    + " samples have losses; AUROC and d' left null");
            continue;
          }
          Dataset<Row> at =
              scored.where(
                  col("run_id").equalTo(run.getKey()).and(col("step").equalTo(e.getKey())));
          for (String score : List.of(LOSS, HISTORY)) {
            futures.put(
                run.getKey() + "|" + e.getKey() + "|" + score,
                pool.submit(() -> auroc(at.select(col(score), col("mislabeled")))));
          }
        }
      }
      Map<String, Double> out = new HashMap<>();
      for (Map.Entry<String, Future<Double>> f : futures.entrySet()) {
        out.put(f.getKey(), f.getValue().get());
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while computing AUROC", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("AUROC failed: " + e.getCause(), e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  /** Area under the ROC curve of (score, mislabeled) by MLlib, ties at one threshold. */
  static double auroc(Dataset<Row> scoreAndLabel) {
    JavaRDD<Tuple2<Object, Object>> pairs =
        scoreAndLabel
            .coalesce(1) // one step's samples: a single-partition sort beats a range shuffle
            .javaRDD()
            .map(r -> new Tuple2<Object, Object>(r.getDouble(0), r.getBoolean(1) ? 1.0 : 0.0));
    BinaryClassificationMetrics metrics = new BinaryClassificationMetrics(pairs.rdd());
    try {
      return metrics.areaUnderROC();
    } finally {
      metrics.unpersist();
    }
  }

  private static Row stepRow(
      String run, long step, Row[] g, Map<String, Double> auroc, int window, PhaseLookup phases) {
    Row c = g[0];
    Row w = g[1];
    List<Object> v = new ArrayList<>();
    v.add(run);
    v.add(step);
    v.add(c == null ? 0L : c.getLong(3));
    v.add(w == null ? 0L : w.getLong(3));
    for (Row r : new Row[] {c, w}) {
      v.add(r == null ? null : Rows.nullable(r, "mean"));
      v.add(r == null ? null : Rows.nullable(r, "std"));
      List<Double> q =
          r == null || r.isNullAt(r.fieldIndex("q")) ? null : r.getList(r.fieldIndex("q"));
      for (int i = 0; i < 5; i++) {
        v.add(q == null ? null : q.get(i));
      }
    }
    v.add(c == null ? null : Rows.nullable(c, "log_mean"));
    v.add(c == null ? null : Rows.nullable(c, "log_std"));
    v.add(w == null ? null : Rows.nullable(w, "log_mean"));
    v.add(w == null ? null : Rows.nullable(w, "log_std"));
    v.add(auroc.get(run + "|" + step + "|" + LOSS));
    v.add(dPrime(c, w, "log_mean", "log_std"));
    v.add(window);
    long histSteps = 0;
    for (Row r : new Row[] {c, w}) {
      if (r != null) {
        histSteps = Math.max(histSteps, r.getLong(r.fieldIndex("history_steps")));
      }
    }
    v.add((int) histSteps);
    v.add(auroc.get(run + "|" + step + "|" + HISTORY));
    v.add(dPrime(c, w, "hist_log_mean", "hist_log_std"));
    v.add(phases.phase(run, Phases.GROUND_TRUTH, step));
    v.add(phases.phase(run, Phases.LABEL_FREE, step));
    return RowFactory.create(v.toArray());
  }

  private static Double dPrime(Row clean, Row wrong, String mean, String std) {
    if (clean == null || wrong == null) {
      return null;
    }
    Double mc = Rows.nullable(clean, mean);
    Double sc = Rows.nullable(clean, std);
    Double mw = Rows.nullable(wrong, mean);
    Double sw = Rows.nullable(wrong, std);
    if (mc == null || sc == null || mw == null || sw == null) {
      return null;
    }
    return Rows.finite(Separation.dPrime(mw, sw, wrong.getLong(3), mc, sc, clean.getLong(3)));
  }

  private static List<Row> summaries(String run, List<Row> rows, int window, PhaseLookup phases) {
    List<Row> out = new ArrayList<>();
    Double lossMax = null;
    for (String score : List.of(LOSS, HISTORY)) {
      int aurocCol = score.equals(LOSS) ? 22 : 26; // auroc, history_auroc; d' follows each
      int dCol = aurocCol + 1;
      Row best = null;
      Row bestD = null;
      for (Row r : rows) {
        if (!r.isNullAt(aurocCol)
            && (best == null || r.getDouble(aurocCol) > best.getDouble(aurocCol))) {
          best = r;
        }
        if (!r.isNullAt(dCol) && (bestD == null || r.getDouble(dCol) > bestD.getDouble(dCol))) {
          bestD = r;
        }
      }
      if (best == null) {
        continue;
      }
      long tSep = best.getLong(1);
      String gt = phases.phase(run, Phases.GROUND_TRUTH, tSep);
      String lf = phases.phase(run, Phases.LABEL_FREE, tSep);
      double max = best.getDouble(aurocCol);
      if (score.equals(LOSS)) {
        lossMax = max;
      }
      out.add(
          RowFactory.create(
              run,
              score,
              score.equals(LOSS) ? 1 : window,
              tSep,
              max,
              best.isNullAt(dCol) ? null : best.getDouble(dCol),
              bestD == null ? tSep : bestD.getLong(1),
              bestD == null ? null : bestD.getDouble(dCol),
              gt,
              lf,
              phases.has(run, Phases.GROUND_TRUTH) ? "II".equals(gt) : null,
              phases.has(run, Phases.LABEL_FREE) ? "II".equals(lf) : null,
              score.equals(HISTORY) && lossMax != null ? max - lossMax : null));
    }
    return out;
  }

  /** Phase of a step by run and method, from the phases table when it has the run. */
  static final class PhaseLookup {
    private final List<Row> rows;

    private PhaseLookup(List<Row> rows) {
      this.rows = rows;
    }

    static PhaseLookup read(SparkSession spark, String lake, List<String> runs) {
      return new PhaseLookup(
          LakeTables.read(spark, lake, Tables.PHASES)
              .where(col("run_id").isin(runs.toArray()))
              .select("run_id", "method", "phase", "start_step", "end_step")
              .collectAsList());
    }

    boolean has(String run, String method) {
      return rows.stream()
          .anyMatch(r -> r.getString(0).equals(run) && r.getString(1).equals(method));
    }

    String phase(String run, String method, long step) {
      for (Row r : rows) {
        if (r.getString(0).equals(run)
            && r.getString(1).equals(method)
            && r.getLong(3) <= step
            && step <= r.getLong(4)) {
          return r.getString(2);
        }
      }
      return null;
    }
  }
}
