package org.sgdlens.analysis;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.stddev_samp;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.StructType;
import org.sgdlens.kernel.Separation;
import org.sgdlens.lake.Tables;

/**
 * The loss-separation job: per recorded step, how well the per-sample loss separates mislabeled
 * from clean samples (exact AUROC from ranks, ties one half; d' on log losses), for the loss at the
 * step and for a history score (mean loss over a window of recorded steps), and the step of maximum
 * separation t_sep with its phase.
 */
public final class LossSeparation {
  public static final String LOSS = "loss";
  public static final String HISTORY = "history";
  private static final List<String> QUANTILE_NAMES = List.of("q05", "q25", "q50", "q75", "q95");
  static final double[] QUANTILE_LEVELS = {0.05, 0.25, 0.5, 0.75, 0.95};

  /**
   * @param window recorded steps averaged by the history score (1 = the loss itself)
   * @param logFloor losses are floored here before taking logs for d'
   */
  public record Options(String lake, List<String> runs, int window, double logFloor) {
    public static final int WINDOW_DEFAULT = 5;
    public static final double LOG_FLOOR_DEFAULT = LossMixtures.LOG_FLOOR_DEFAULT;

    public Options {
      if (window < 1) {
        throw new IllegalArgumentException(
            "--window is " + window + "; give the number of recorded steps to average, e.g. 5");
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

      public Options build() {
        return new Options(Objects.requireNonNull(lake, "call setLake"), runs, window, logFloor);
      }
    }
  }

  /** Rows written to loss_separation and separation_summary. */
  public record Result(List<Row> steps, List<Row> summary, List<String> warnings) {
    public Row step(String runId, long step) {
      return steps.stream()
          .filter(r -> r.getAs("run_id").equals(runId) && r.<Long>getAs("step") == step)
          .findFirst()
          .orElse(null);
    }

    public Row summary(String runId, String score) {
      return summary.stream()
          .filter(r -> r.getAs("run_id").equals(runId) && r.getAs("score").equals(score))
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
    // One pass: the history window, then one aggregation per (run, step) that gives the group
    // statistics and both exact AUROCs of every step of every run at once.
    Column wrong = col("mislabeled");
    Column clean = not(wrong);
    List<Row> stats =
        scored(
                losses.select("run_id", "step", "sample_index", "mislabeled", "loss"),
                o.window(),
                o.logFloor())
            .groupBy("run_id", "step")
            .agg(
                count(when(clean, 1)).as("n_clean"),
                count(when(wrong, 1)).as("n_wrong"),
                avg(when(clean, col("loss"))).as("clean_mean"),
                stddev_samp(when(clean, col("loss"))).as("clean_std"),
                avg(when(wrong, col("loss"))).as("wrong_mean"),
                stddev_samp(when(wrong, col("loss"))).as("wrong_std"),
                avg(when(clean, col("log_loss"))).as("log_clean_mean"),
                stddev_samp(when(clean, col("log_loss"))).as("log_clean_std"),
                avg(when(wrong, col("log_loss"))).as("log_wrong_mean"),
                stddev_samp(when(wrong, col("log_loss"))).as("log_wrong_std"),
                avg(when(clean, col("log_history"))).as("hist_log_clean_mean"),
                stddev_samp(when(clean, col("log_history"))).as("hist_log_clean_std"),
                avg(when(wrong, col("log_history"))).as("hist_log_wrong_mean"),
                stddev_samp(when(wrong, col("log_history"))).as("hist_log_wrong_std"),
                max("history_steps").as("history_steps"),
                RankAuroc.udaf(QUANTILE_LEVELS)
                    .apply(col("loss"), col("history"), wrong)
                    .as("order"))
            .orderBy("run_id", "step")
            .collectAsList();

    Map<String, List<Row>> byRun = new LinkedHashMap<>();
    Map<String, Long> wrongPerRun = new HashMap<>();
    for (Row r : stats) {
      String run = r.getAs("run_id");
      byRun.computeIfAbsent(run, k -> new ArrayList<>()).add(r);
      wrongPerRun.merge(run, r.<Long>getAs("n_wrong"), Long::sum);
    }
    List<String> usable = new ArrayList<>();
    for (RunInfo run : runs) {
      Long nWrong = wrongPerRun.get(run.runId());
      if (nWrong == null) {
        warnings.add("Run " + run.runId() + " has no sample_losses rows; skipped");
      } else if (nWrong == 0) {
        warnings.add(
            "Run "
                + run.runId()
                + " has no mislabeled samples: loss separation needs a"
                + " run trained with label noise (noise_fraction > 0); skipped");
      } else {
        usable.add(run.runId());
      }
    }
    PhaseLookup phases = PhaseLookup.read(spark, o.lake(), usable);
    StructType stepSchema = LakeTables.sparkSchema(Tables.LOSS_SEPARATION);
    List<Row> stepRows = new ArrayList<>();
    List<Row> summaryRows = new ArrayList<>();
    for (String run : usable) {
      List<Row> runRows = new ArrayList<>();
      for (Row r : byRun.get(run)) {
        runRows.add(stepRow(run, r, o.window(), phases, stepSchema, warnings));
      }
      stepRows.addAll(runRows);
      summaryRows.addAll(summaries(run, runRows, o.window(), phases));
    }
    LakeTables.write(spark.createDataFrame(stepRows, stepSchema), o.lake(), Tables.LOSS_SEPARATION);
    LakeTables.write(
        spark.createDataFrame(summaryRows, LakeTables.sparkSchema(Tables.SEPARATION_SUMMARY)),
        o.lake(),
        Tables.SEPARATION_SUMMARY);
    return new Result(
        stepRows, Rows.withSchema(summaryRows, Tables.SEPARATION_SUMMARY), warnings.list());
  }

  private static Row stepRow(
      String run, Row s, int window, PhaseLookup phases, StructType schema, Warnings warnings) {
    long step = s.getAs("step");
    long nClean = s.getAs("n_clean");
    long nWrong = s.getAs("n_wrong");
    if (nClean == 0 || nWrong == 0) {
      warnings.add(
          "Run "
              + run
              + " step "
              + step
              + ": only "
              + (nClean == 0 ? "mislabeled" : "clean")
              + " samples have losses; AUROC and d' left null");
    }
    Row order = s.getAs("order");
    Map<String, Object> v = new HashMap<>();
    v.put("run_id", run);
    v.put("step", step);
    v.put("num_clean", nClean);
    v.put("num_wrong", nWrong);
    for (String group : List.of("clean", "wrong")) {
      v.put(group + "_mean", Rows.nullable(s, group + "_mean"));
      v.put(group + "_std", Rows.nullable(s, group + "_std"));
      String side = group.equals("wrong") ? "positiveQuantiles" : "negativeQuantiles";
      List<Double> q =
          order.isNullAt(order.fieldIndex(side)) ? null : order.getList(order.fieldIndex(side));
      for (int i = 0; i < QUANTILE_NAMES.size(); i++) {
        v.put(group + "_" + QUANTILE_NAMES.get(i), q == null ? null : q.get(i));
      }
      v.put("log_" + group + "_mean", Rows.nullable(s, "log_" + group + "_mean"));
      v.put("log_" + group + "_std", Rows.nullable(s, "log_" + group + "_std"));
    }
    boolean twoSided = nClean > 0 && nWrong > 0;
    v.put("auroc", twoSided ? order.<Double>getAs("auroc") : null);
    v.put("d_prime", dPrime(s, "log_", nWrong, nClean));
    v.put("history_window", window);
    v.put(
        "history_steps",
        s.isNullAt(s.fieldIndex("history_steps"))
            ? 0
            : (int) s.<Long>getAs("history_steps").longValue());
    v.put("history_auroc", twoSided ? order.<Double>getAs("historyAuroc") : null);
    v.put("history_d_prime", dPrime(s, "hist_log_", nWrong, nClean));
    v.put("phase_ground_truth", phases.phase(run, Phases.GROUND_TRUTH, step));
    v.put("phase_label_free", phases.phase(run, Phases.LABEL_FREE, step));
    Object[] values = new Object[schema.length()];
    for (int i = 0; i < values.length; i++) {
      String name = schema.fields()[i].name();
      if (!v.containsKey(name)) {
        throw new IllegalStateException("loss_separation column " + name + " is not computed");
      }
      values[i] = v.get(name);
    }
    return new GenericRowWithSchema(values, schema);
  }

  private static Double dPrime(Row s, String prefix, long nWrong, long nClean) {
    Double mc = Rows.nullable(s, prefix + "clean_mean");
    Double sc = Rows.nullable(s, prefix + "clean_std");
    Double mw = Rows.nullable(s, prefix + "wrong_mean");
    Double sw = Rows.nullable(s, prefix + "wrong_std");
    if (mc == null || sc == null || mw == null || sw == null) {
      return null;
    }
    return Rows.finite(Separation.dPrime(mw, sw, nWrong, mc, sc, nClean));
  }

  private static List<Row> summaries(String run, List<Row> rows, int window, PhaseLookup phases) {
    List<Row> out = new ArrayList<>();
    Double lossMax = null;
    for (String score : List.of(LOSS, HISTORY)) {
      int aurocCol =
          rows.isEmpty()
              ? 0
              : rows.get(0).fieldIndex(score.equals(LOSS) ? "auroc" : "history_auroc");
      int dCol =
          rows.isEmpty()
              ? 0
              : rows.get(0).fieldIndex(score.equals(LOSS) ? "d_prime" : "history_d_prime");
      int stepCol = rows.isEmpty() ? 0 : rows.get(0).fieldIndex("step");
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
      long tSep = best.getLong(stepCol);
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
              bestD == null ? tSep : bestD.getLong(stepCol),
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
          .anyMatch(r -> r.getAs("run_id").equals(run) && r.getAs("method").equals(method));
    }

    String phase(String run, String method, long step) {
      for (Row r : rows) {
        if (r.getAs("run_id").equals(run)
            && r.getAs("method").equals(method)
            && r.<Long>getAs("start_step") <= step
            && step <= r.<Long>getAs("end_step")) {
          return r.getAs("phase");
        }
      }
      return null;
    }
  }
}
