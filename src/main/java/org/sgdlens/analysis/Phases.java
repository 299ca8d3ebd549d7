package org.sgdlens.analysis;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.sgdlens.kernel.PhaseRules;
import org.sgdlens.kernel.PhaseRules.Thresholds;
import org.sgdlens.lake.Tables;

/**
 * The phases job: phase boundaries per run by a ground-truth rule (test error, f_W) and by a
 * label-free rule (loss bimodality, fit of the high-loss suspects, alignment R, train loss), the
 * rules of {@link PhaseRules}, and how far apart the two land.
 */
public final class Phases {
  public static final String GROUND_TRUTH = "ground_truth";
  public static final String LABEL_FREE = "label_free";
  static final List<String> NOISY = List.of("I", "II", "III", "IV");
  static final List<String> NOISE_FREE = List.of("fast", "exploration");

  /**
   * @param runs runs to analyse; empty for every committed run
   * @param logFloor losses are floored here before taking logs
   * @param mixtureMaxSamples cap on values per per-step mixture fit
   */
  public record Options(
      String lake,
      List<String> runs,
      Thresholds thresholds,
      double logFloor,
      int mixtureMaxSamples) {
    public static final double LOG_FLOOR_DEFAULT = LossMixtures.LOG_FLOOR_DEFAULT;
    public static final int MIXTURE_MAX_SAMPLES_DEFAULT = LossMixtures.MAX_SAMPLES_DEFAULT;

    public static Options defaults(String lake, List<String> runs) {
      return builder().setLake(lake).optRuns(runs).build();
    }

    public static Builder builder() {
      return new Builder();
    }

    /**
     * Options with every unset value at its {@code _DEFAULT} (the thresholds at {@link
     * Thresholds#DEFAULTS}); {@code setLake} is required.
     */
    public static final class Builder {
      private String lake;
      private List<String> runs = List.of();
      private Thresholds thresholds = Thresholds.DEFAULTS;
      private double logFloor = LOG_FLOOR_DEFAULT;
      private int mixtureMaxSamples = MIXTURE_MAX_SAMPLES_DEFAULT;

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

      public Builder optThresholds(Thresholds thresholds) {
        this.thresholds = thresholds;
        return this;
      }

      public Builder optLogFloor(double logFloor) {
        this.logFloor = logFloor;
        return this;
      }

      public Builder optMixtureMaxSamples(int mixtureMaxSamples) {
        this.mixtureMaxSamples = mixtureMaxSamples;
        return this;
      }

      public Options build() {
        return new Options(
            Objects.requireNonNull(lake, "call setLake"),
            runs,
            thresholds,
            logFloor,
            mixtureMaxSamples);
      }
    }
  }

  /** Rows written to phases, phase_boundaries and phase_signals. */
  public record Result(
      List<Row> phases, List<Row> boundaries, List<Row> signals, List<String> warnings) {
    /** Step where {@code boundary} falls by {@code method}, or null. */
    public Long boundary(String runId, String boundary, String method) {
      for (Row r : boundaries) {
        if (runId.equals(r.getAs("run_id")) && boundary.equals(r.getAs("boundary"))) {
          return r.getAs(method.equals(GROUND_TRUTH) ? "ground_truth_step" : "label_free_step");
        }
      }
      return null;
    }

    public List<String> phaseNames(String runId, String method) {
      return phases.stream()
          .filter(r -> runId.equals(r.getAs("run_id")) && method.equals(r.getAs("method")))
          .sorted(
              (a, b) ->
                  Integer.compare(a.<Integer>getAs("phase_order"), b.<Integer>getAs("phase_order")))
          .map(r -> r.<String>getAs("phase"))
          .toList();
    }
  }

  private Phases() {}

  public static Result run(SparkSession spark, Options o) {
    Warnings warnings = new Warnings();
    SelectedRuns selected = SelectedRuns.committed(spark, o.lake(), o.runs(), warnings::add);
    List<RunInfo> runs = selected.runs();
    Dataset<Row> metrics =
        selected
            .restrict(LakeTables.read(spark, o.lake(), Tables.METRICS))
            .select(
                col("run_id"),
                col("step"),
                col("train_loss"),
                col("train_accuracy"),
                lit(1.0).minus(col("test_accuracy")).as("test_error"),
                col("clean_accuracy"),
                col("mislabeled_fit"),
                lit(true).as("in_metrics"));
    Dataset<Row> orderParams =
        selected
            .restrict(LakeTables.read(spark, o.lake(), Tables.ORDER_PARAMS))
            .where(col("diverged").equalTo(false))
            .select(
                col("run_id"),
                col("step"),
                col("alignment"),
                col("mean_grad_norm"),
                lit(true).as("in_order_params"));
    Dataset<Row> losses = selected.restrict(LakeTables.read(spark, o.lake(), Tables.SAMPLE_LOSSES));
    Dataset<Row> mixtures = LossMixtures.perStep(losses, o.logFloor(), o.mixtureMaxSamples());
    // Steps with a recorded gradient ensemble: only those can have order_params (gradients are
    // often recorded on a sparser schedule than metrics). Two key columns of the table are read.
    Dataset<Row> gradientSteps =
        selected
            .restrict(LakeTables.read(spark, o.lake(), Tables.GRADIENTS))
            .select("run_id", "step")
            .distinct()
            .withColumn("has_gradients", lit(true));
    List<String> keys = List.of("run_id", "step");
    List<Row> joined =
        metrics
            .join(orderParams, Rows.seq(keys), "full_outer")
            .join(mixtures, Rows.seq(keys), "full_outer")
            .join(gradientSteps, Rows.seq(keys), "left")
            .orderBy("run_id", "step")
            .collectAsList();
    Map<String, List<Row>> byRun = new LinkedHashMap<>();
    for (Row r : joined) {
      byRun.computeIfAbsent(r.getAs("run_id"), k -> new ArrayList<>()).add(r);
    }

    // Pass 1: ground truth and the label-free onset; the onset's mixture threshold is what the
    // high-loss fraction of every later step is measured against.
    Map<String, RunPhases> perRun = new LinkedHashMap<>();
    List<Row> thresholds = new ArrayList<>();
    for (RunInfo run : runs) {
      List<Row> rows = byRun.get(run.runId());
      if (rows == null) {
        warnings.add(
            "Run "
                + run.runId()
                + " has no metrics, order_params or sample_losses rows;"
                + " no phases (run the train job, then order-params)");
        continue;
      }
      RunPhases rp = new RunPhases(run, rows, o.thresholds());
      rp.reportMissingSteps(warnings);
      perRun.put(run.runId(), rp);
      if (!Double.isNaN(rp.referenceThreshold)) {
        thresholds.add(RowFactory.create(run.runId(), rp.steps[rp.onset], rp.referenceThreshold));
      }
    }
    // Suspects: samples above the onset step's mixture threshold. Their fit (prediction equals
    // the given label) per step is the label-free analogue of f_W.
    Map<String, Map<Long, Double>> suspectFit = new LinkedHashMap<>();
    if (!thresholds.isEmpty()) {
      StructType schema =
          new StructType()
              .add("run_id", DataTypes.StringType, false)
              .add("reference_step", DataTypes.LongType, false)
              .add("reference_threshold", DataTypes.DoubleType, false);
      Dataset<Row> thr = spark.createDataFrame(thresholds, schema);
      Dataset<Row> suspects =
          LossMixtures.withLogLoss(losses, o.logFloor())
              .join(thr, "run_id")
              .where(
                  col("step")
                      .equalTo(col("reference_step"))
                      .and(col("log_loss").gt(col("reference_threshold"))))
              .select("run_id", "sample_index");
      for (Row r :
          losses
              .join(suspects, Rows.seq(List.of("run_id", "sample_index")), "left_semi")
              .groupBy("run_id", "step")
              .agg(avg(when(col("correct"), 1.0).otherwise(0.0)).as("fit"))
              .collectAsList()) {
        suspectFit
            .computeIfAbsent(r.<String>getAs("run_id"), k -> new LinkedHashMap<>())
            .put(r.<Long>getAs("step"), r.<Double>getAs("fit"));
      }
    }

    List<Row> phaseRows = new ArrayList<>();
    List<Row> boundaryRows = new ArrayList<>();
    List<Row> signalRows = new ArrayList<>();
    for (RunPhases rp : perRun.values()) {
      rp.labelFree(suspectFit.getOrDefault(rp.run.runId(), Map.of()));
      phaseRows.addAll(rp.phaseRows());
      boundaryRows.addAll(rp.boundaryRows());
      signalRows.addAll(rp.signalRows());
    }
    LakeTables.write(
        spark.createDataFrame(signalRows, LakeTables.sparkSchema(Tables.PHASE_SIGNALS)),
        o.lake(),
        Tables.PHASE_SIGNALS);
    LakeTables.write(
        spark.createDataFrame(phaseRows, LakeTables.sparkSchema(Tables.PHASES)),
        o.lake(),
        Tables.PHASES);
    LakeTables.write(
        spark.createDataFrame(boundaryRows, LakeTables.sparkSchema(Tables.PHASE_BOUNDARIES)),
        o.lake(),
        Tables.PHASE_BOUNDARIES);
    return new Result(
        Rows.withSchema(phaseRows, Tables.PHASES),
        Rows.withSchema(boundaryRows, Tables.PHASE_BOUNDARIES),
        Rows.withSchema(signalRows, Tables.PHASE_SIGNALS),
        warnings.list());
  }

  private static double[] series(List<Row> rows, String column) {
    double[] out = new double[rows.size()];
    for (int i = 0; i < out.length; i++) {
      Double v = Rows.nullable(rows.get(i), column);
      out[i] = v == null ? Double.NaN : v;
    }
    return out;
  }

  /** One run's signals and boundaries. */
  private static final class RunPhases {
    final RunInfo run;
    final List<Row> rows;
    final long[] steps;
    final Thresholds t;
    final int[] groundTruth;
    final int onset;
    final double referenceThreshold;
    double[] suspectFit;
    int[] labelFree;
    String labelFreeExplorationRule;

    RunPhases(RunInfo run, List<Row> rows, Thresholds t) {
      this.run = run;
      this.rows = rows;
      this.t = t;
      steps = rows.stream().mapToLong(r -> r.getAs("step")).toArray();
      double[] testError = series(rows, "test_error");
      groundTruth =
          run.labelNoise()
              ? PhaseRules.groundTruthWithNoise(testError, series(rows, "mislabeled_fit"), t)
              : new int[] {PhaseRules.groundTruthExploration(testError, t)};
      int candidate =
          PhaseRules.labelFreeSeparationOnset(
              series(rows, "mixture_separation"), series(rows, "mixture_high_weight"), t);
      double threshold = Double.NaN;
      if (candidate >= 0) {
        Row r = rows.get(candidate);
        Double thr = Rows.nullable(r, "mixture_threshold");
        Double lo = Rows.nullable(r, "mixture_low_mean");
        Double hi = Rows.nullable(r, "mixture_high_mean");
        threshold = thr != null ? thr : lo != null && hi != null ? 0.5 * (lo + hi) : Double.NaN;
      }
      onset = Double.isNaN(threshold) ? -1 : candidate;
      referenceThreshold = threshold;
    }

    void labelFree(Map<Long, Double> fit) {
      suspectFit = new double[steps.length];
      for (int i = 0; i < steps.length; i++) {
        Double v = fit.get(steps[i]);
        suspectFit[i] = v == null ? Double.NaN : v;
      }
      if (onset >= 0) {
        labelFree = PhaseRules.labelFreeWithNoise(onset, suspectFit, t);
      } else {
        double[] alignment = series(rows, "alignment");
        boolean hasR = java.util.Arrays.stream(alignment).anyMatch(v -> !Double.isNaN(v));
        labelFreeExplorationRule =
            hasR
                ? "alignment R fell to <= " + t.alignmentDrop() + " of its maximum"
                : "train loss made >= " + t.testDrop() + " of its drop (no order_params)";
        labelFree =
            new int[] {PhaseRules.labelFreeExploration(alignment, series(rows, "train_loss"), t)};
      }
    }

    void reportMissingSteps(Warnings warnings) {
      for (String[] source :
          new String[][] {
            {"in_metrics", Tables.METRICS},
            {"in_order_params", Tables.ORDER_PARAMS},
            {"loss_samples", Tables.SAMPLE_LOSSES}
          }) {
        TreeSet<Long> missing = new TreeSet<>();
        boolean any = false;
        boolean needsGradients = Tables.ORDER_PARAMS.equals(source[1]);
        for (Row r : rows) {
          if (needsGradients && r.isNullAt(r.fieldIndex("has_gradients"))) {
            continue; // no gradient ensemble recorded at this step: no order_params expected
          }
          if (r.isNullAt(r.fieldIndex(source[0]))) {
            missing.add(r.getAs("step"));
          } else {
            any = true;
          }
        }
        if (any && !missing.isEmpty()) {
          warnings.add(
              "Run "
                  + run.runId()
                  + ": "
                  + missing.size()
                  + " recorded step(s) have no "
                  + source[1]
                  + " row ("
                  + missing.stream()
                      .limit(10)
                      .map(String::valueOf)
                      .collect(Collectors.joining(", ", "", missing.size() > 10 ? ", ..." : ""))
                  + "); phases use the steps that have one");
        }
      }
    }

    List<Row> phaseRows() {
      List<Row> out = new ArrayList<>();
      List<String> gtNames = run.labelNoise() ? NOISY : NOISE_FREE;
      List<String> gtRules =
          run.labelNoise()
              ? List.of(
                  "first recorded step",
                  "test error made >= " + t.testDrop() + " of its drop",
                  "f_W memorisation progress >= " + t.memorizeStart(),
                  "f_W memorisation progress >= " + t.memorizeEnd())
              : List.of(
                  "first recorded step", "test error made >= " + t.testDrop() + " of its drop");
      addPhases(out, GROUND_TRUTH, gtNames, gtRules, groundTruth);
      List<String> lfNames = onset >= 0 ? NOISY : NOISE_FREE;
      List<String> lfRules =
          onset >= 0
              ? List.of(
                  "first recorded step",
                  "log-loss mixture separation >= "
                      + t.separationFraction()
                      + " of its median over bimodal steps (D >= "
                      + t.minSeparation()
                      + ")",
                  "suspects' fit progress >= " + t.memorizeStart(),
                  "suspects' fit progress >= " + t.memorizeEnd())
              : List.of("first recorded step", labelFreeExplorationRule);
      addPhases(out, LABEL_FREE, lfNames, lfRules, labelFree);
      return out;
    }

    private void addPhases(
        List<Row> out, String method, List<String> names, List<String> rules, int[] bounds) {
      int[][] seg = PhaseRules.segments(steps.length, bounds);
      for (int k = 0; k < seg.length; k++) {
        out.add(
            RowFactory.create(
                run.runId(),
                method,
                names.get(k),
                k,
                steps[seg[k][0]],
                steps[seg[k][1]],
                run.labelNoise(),
                rules.get(k)));
      }
    }

    /** Boundary index by name, only if the phases up to it were all reached. */
    private Map<String, Long> reached(List<String> names, int[] bounds) {
      Map<String, Long> out = new LinkedHashMap<>();
      int[][] seg = PhaseRules.segments(steps.length, bounds);
      for (int k = 1; k < seg.length; k++) {
        out.put(names.get(k - 1) + "->" + names.get(k), steps[seg[k][0]]);
      }
      return out;
    }

    private static List<String> boundaryNames(List<String> names) {
      List<String> out = new ArrayList<>();
      for (int k = 1; k < names.size(); k++) {
        out.add(names.get(k - 1) + "->" + names.get(k));
      }
      return out;
    }

    List<Row> boundaryRows() {
      List<String> gtNames = run.labelNoise() ? NOISY : NOISE_FREE;
      List<String> lfNames = onset >= 0 ? NOISY : NOISE_FREE;
      Map<String, Long> gt = reached(gtNames, groundTruth);
      Map<String, Long> lf = reached(lfNames, labelFree);
      List<String> all = new ArrayList<>(boundaryNames(gtNames));
      for (String b : boundaryNames(lfNames)) {
        if (!all.contains(b)) {
          all.add(b);
        }
      }
      List<Row> out = new ArrayList<>();
      for (String b : all) {
        Long g = gt.get(b);
        Long l = lf.get(b);
        out.add(RowFactory.create(run.runId(), b, g, l, g != null && l != null ? l - g : null));
      }
      return out;
    }

    List<Row> signalRows() {
      List<Row> out = new ArrayList<>();
      for (int i = 0; i < rows.size(); i++) {
        Row r = rows.get(i);
        out.add(
            RowFactory.create(
                run.runId(),
                steps[i],
                Rows.nullable(r, "train_loss"),
                Rows.nullable(r, "train_accuracy"),
                Rows.nullable(r, "test_error"),
                Rows.nullable(r, "clean_accuracy"),
                Rows.nullable(r, "mislabeled_fit"),
                Rows.nullable(r, "alignment"),
                Rows.nullable(r, "mean_grad_norm"),
                r.isNullAt(r.fieldIndex("loss_samples")) ? null : r.<Long>getAs("loss_samples"),
                Rows.nullable(r, "log_loss_skewness"),
                Rows.nullable(r, "log_loss_kurtosis"),
                Rows.nullable(r, "bimodality_coefficient"),
                Rows.nullable(r, "mixture_low_mean"),
                Rows.nullable(r, "mixture_low_std"),
                Rows.nullable(r, "mixture_high_mean"),
                Rows.nullable(r, "mixture_high_std"),
                Rows.nullable(r, "mixture_high_weight"),
                Rows.nullable(r, "mixture_separation"),
                Rows.nullable(r, "mixture_threshold"),
                Double.isNaN(suspectFit[i]) ? null : suspectFit[i]));
      }
      return out;
    }
  }
}
