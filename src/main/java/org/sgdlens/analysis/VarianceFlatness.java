package org.sgdlens.analysis;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.apache.spark.api.java.function.MapGroupsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.sgdlens.kernel.PowerLawFit;
import org.sgdlens.lake.Columns;
import org.sgdlens.lake.Tables;

/**
 * The inverse variance–flatness relation (docs/science.md section 3.4): per run and PCA window,
 * fits {@code log σ_i² = a − ψ log F_i} over a component range (censored flatness excluded and
 * counted), the rank power law {@code σ_i² ∝ i^−γ}, and the number of components holding a fraction
 * of the variance without component 1. One row per run in {@code variance_flatness}.
 */
public final class VarianceFlatness {
  private VarianceFlatness() {}

  /**
   * @param fitFrom first component of the ψ fit (default 2: component 1 is the drift direction)
   * @param fitTo last component of the ψ fit, 0 for the last component with a flatness row
   * @param rankFrom first component of the γ fit (default 20)
   * @param rankTo last component of the γ fit, 0 for all
   */
  public record Options(
      String lake,
      List<String> runs,
      int fitFrom,
      int fitTo,
      int fitEvery,
      int rankFrom,
      int rankTo,
      double confidence,
      double varianceFraction) {
    /** Component 1 is the drift direction, left out of the psi fit. */
    public static final int FIT_FROM_DEFAULT = 2;

    /** 0: up to the last component with a flatness row. */
    public static final int FIT_TO_DEFAULT = 0;

    /** Every component of the range; the authors' convention profiles every 10th. */
    public static final int FIT_EVERY_DEFAULT = 1;

    public static final int RANK_FROM_DEFAULT = 20;

    /** 0: up to the last component. */
    public static final int RANK_TO_DEFAULT = 0;

    public static final double CONFIDENCE_DEFAULT = 0.95;
    public static final double VARIANCE_FRACTION_DEFAULT = 0.9;

    public Options {
      if (fitFrom < 1 || (fitTo != 0 && fitTo < fitFrom)) {
        throw new IllegalArgumentException(
            "Fit range "
                + fitFrom
                + ".."
                + fitTo
                + " is empty; give --fit-from ≥ 1 and --fit-to"
                + " ≥ --fit-from (0 = all)");
      }
      if (fitEvery < 1) {
        throw new IllegalArgumentException(
            "--fit-every "
                + fitEvery
                + " is not a positive stride; give 1 (every component) or"
                + " e.g. 10");
      }
      if (rankFrom < 1 || (rankTo != 0 && rankTo < rankFrom)) {
        throw new IllegalArgumentException(
            "Rank range "
                + rankFrom
                + ".."
                + rankTo
                + " is empty; give --rank-from ≥ 1 and"
                + " --rank-to ≥ --rank-from (0 = all)");
      }
      if (!(confidence > 0 && confidence < 1)) {
        throw new IllegalArgumentException(
            "--confidence " + confidence + " is not in (0, 1); give e.g. 0.95");
      }
      if (!(varianceFraction > 0 && varianceFraction <= 1)) {
        throw new IllegalArgumentException(
            "--variance-fraction " + varianceFraction + " is not in (0, 1]; give e.g. 0.9");
      }
    }

    public static Options defaults(String lake) {
      return builder().setLake(lake).build();
    }

    public static Builder builder() {
      return new Builder();
    }

    /** Options with every unset value at its {@code _DEFAULT}; {@code setLake} is required. */
    public static final class Builder {
      private String lake;
      private List<String> runs = List.of();
      private int fitFrom = FIT_FROM_DEFAULT;
      private int fitTo = FIT_TO_DEFAULT;
      private int fitEvery = FIT_EVERY_DEFAULT;
      private int rankFrom = RANK_FROM_DEFAULT;
      private int rankTo = RANK_TO_DEFAULT;
      private double confidence = CONFIDENCE_DEFAULT;
      private double varianceFraction = VARIANCE_FRACTION_DEFAULT;

      private Builder() {}

      public Builder setLake(String lake) {
        this.lake = lake;
        return this;
      }

      /** Runs to analyse; empty (the default) for every run with PCA variances. */
      public Builder optRuns(List<String> runs) {
        this.runs = runs;
        return this;
      }

      public Builder optFitFrom(int fitFrom) {
        this.fitFrom = fitFrom;
        return this;
      }

      public Builder optFitTo(int fitTo) {
        this.fitTo = fitTo;
        return this;
      }

      /** The fit uses components fitFrom, fitFrom + every, … up to fitTo. */
      public Builder optFitEvery(int fitEvery) {
        this.fitEvery = fitEvery;
        return this;
      }

      public Builder optRankFrom(int rankFrom) {
        this.rankFrom = rankFrom;
        return this;
      }

      public Builder optRankTo(int rankTo) {
        this.rankTo = rankTo;
        return this;
      }

      public Builder optConfidence(double confidence) {
        this.confidence = confidence;
        return this;
      }

      public Builder optVarianceFraction(double varianceFraction) {
        this.varianceFraction = varianceFraction;
        return this;
      }

      public Options build() {
        return new Options(
            Objects.requireNonNull(lake, "call setLake"),
            runs,
            fitFrom,
            fitTo,
            fitEvery,
            rankFrom,
            rankTo,
            confidence,
            varianceFraction);
      }
    }
  }

  public record Result(List<Row> rows, List<String> warnings) {}

  public static Result run(SparkSession spark, Options options) {
    List<String> warnings = new ArrayList<>();
    Dataset<Row> variances = LakeTables.read(spark, options.lake(), Tables.PCA_VARIANCES);
    SelectedRuns selected =
        SelectedRuns.withRowsIn(
            variances, options.lake(), options.runs(), Tables.PCA_VARIANCES, warnings::add);
    Dataset<Row> flatness =
        LakeTables.read(spark, options.lake(), Tables.FLATNESS)
            .select(
                col("run_id").as("f_run"),
                col(Columns.PCA_WINDOW).as("f_window"),
                col("component").as("f_component"),
                col("flatness"),
                col("censored"));
    // Flatness measured along the directions of an earlier PCA window does not belong to the
    // current variances: such runs are fitted without it, with a warning.
    List<Row> stale =
        variances
            .select("run_id", Columns.PCA_WINDOW)
            .distinct()
            .join(
                flatness.select("f_run", "f_window").distinct(),
                col("run_id")
                    .equalTo(col("f_run"))
                    .and(col(Columns.PCA_WINDOW).notEqual(col("f_window"))))
            .collectAsList();
    for (Row r : stale) {
      warnings.add(
          "run '"
              + r.getAs("run_id")
              + "': its flatness was measured for PCA window "
              + r.getAs("f_window")
              + " but pca_variances now holds window "
              + r.getAs(Columns.PCA_WINDOW)
              + "; rerun the landscape job (that flatness is ignored)");
    }
    Dataset<Row> joined =
        selected
            .restrict(variances)
            .join(
                flatness,
                variances
                    .col("run_id")
                    .equalTo(flatness.col("f_run"))
                    .and(variances.col(Columns.PCA_WINDOW).equalTo(flatness.col("f_window")))
                    .and(variances.col("component").equalTo(flatness.col("f_component"))),
                "left")
            .select(
                "run_id",
                Columns.PCA_WINDOW,
                "method",
                "snapshots",
                "component",
                "variance",
                "explained_ratio",
                "flatness",
                "censored",
                "precision_floor");
    // A window stored with only its leading components (trajectory-pca --components) may not
    // reach the variance fraction: components_holding is then a lower bound, and says so.
    List<Row> reach =
        selected
            .restrict(variances)
            .groupBy("run_id")
            .agg(
                org.apache.spark.sql.functions.max("component").as("stored"),
                org.apache.spark.sql.functions.max("cumulative_ratio_excl_first").as("reach"))
            .collectAsList();
    for (Row r : reach) {
      Double reached = r.getAs("reach");
      if (reached != null && reached < options.varianceFraction() * (1 - 1e-9)) {
        warnings.add(
            String.format(
                Locale.ROOT,
                "run '%s': pca_variances holds components 1..%d, and 2..%d hold %.1f%% of the"
                    + " variance beyond component 1, less than --variance-fraction %s:"
                    + " components_holding is a lower bound; rerun trajectory-pca with more"
                    + " --components (0 for all)",
                r.<String>getAs("run_id"),
                r.<Integer>getAs("stored"),
                r.<Integer>getAs("stored"),
                100 * reached,
                options.varianceFraction()));
      }
    }
    Dataset<Row> rows = fit(joined, options);
    List<Row> collected = new ArrayList<>(rows.collectAsList());
    collected.sort((a, b) -> a.<String>getAs("run_id").compareTo(b.getAs("run_id")));
    for (Row r : collected) {
      if (r.getAs("fit_caveat") != null) {
        warnings.add(
            "run '"
                + r.getAs("run_id")
                + "': weak psi fit ("
                + r.getAs("fit_caveat")
                + "); read psi with care, or widen the fit range / record more snapshots");
      }
      if (r.isNullAt(r.fieldIndex("psi"))) {
        warnings.add(
            "run '"
                + r.getAs("run_id")
                + "': no ψ fit, only "
                + r.getAs("fit_points")
                + " usable component(s) with flatness in "
                + r.getAs("fit_from")
                + ".."
                + r.getAs("fit_to")
                + " ("
                + r.getAs("censored_excluded")
                + " censored); run the"
                + " landscape job on more components");
      }
    }
    LakeTables.write(
        spark.createDataFrame(collected, LakeTables.sparkSchema(Tables.VARIANCE_FLATNESS)),
        options.lake(),
        Tables.VARIANCE_FLATNESS);
    return new Result(collected, warnings);
  }

  /**
   * The transform: rows (run_id, window, method, snapshots, component, variance, flatness,
   * censored) → one variance_flatness row per run.
   */
  public static Dataset<Row> fit(Dataset<Row> joined, Options options) {
    StructType schema = LakeTables.sparkSchema(Tables.VARIANCE_FLATNESS);
    int fitFrom = options.fitFrom();
    int fitTo = options.fitTo();
    int fitEvery = options.fitEvery();
    int rankFrom = options.rankFrom();
    int rankTo = options.rankTo();
    double confidence = options.confidence();
    double fraction = options.varianceFraction();
    MapGroupsFunction<String, Row, Row> perRun =
        (runId, it) ->
            fitRun(runId, it, fitFrom, fitTo, fitEvery, rankFrom, rankTo, confidence, fraction);
    return joined
        .groupByKey(
            (org.apache.spark.api.java.function.MapFunction<Row, String>) r -> r.getAs("run_id"),
            Encoders.STRING())
        .mapGroups(perRun, Encoders.row(schema));
  }

  private static Row fitRun(
      String runId,
      Iterator<Row> rows,
      int fitFrom,
      int fitTo,
      int fitEvery,
      int rankFrom,
      int rankTo,
      double confidence,
      double fraction) {
    Map<Integer, Row> byComponent = new HashMap<>();
    String window = null;
    String method = null;
    int snapshots = 0;
    int maxComponent = 0;
    int maxProfiled = 0;
    Double floor = null;
    while (rows.hasNext()) {
      Row r = rows.next();
      int component = r.getAs("component");
      byComponent.put(component, r);
      window = r.getAs(Columns.PCA_WINDOW);
      method = r.getAs("method");
      snapshots = r.getAs("snapshots");
      maxComponent = Math.max(maxComponent, component);
      if (r.getAs("precision_floor") != null) {
        floor = r.getAs("precision_floor");
      }
      if (r.getAs("censored") != null) {
        maxProfiled = Math.max(maxProfiled, component);
      }
    }
    double[] variances = new double[maxComponent];
    double sum = 0;
    for (var e : byComponent.entrySet()) {
      variances[e.getKey() - 1] = e.getValue().<Double>getAs("variance");
      sum += variances[e.getKey() - 1];
    }
    // The PCA's own total (the trace, σ_1² / explained_ratio_1): a window stored with only its
    // leading components (trajectory-pca --components) sums to less than it.
    double total = sum;
    Row first = byComponent.get(1);
    if (first != null && first.<Double>getAs("explained_ratio") > 0) {
      total = first.<Double>getAs("variance") / first.<Double>getAs("explained_ratio");
    }
    // By default the fit ends at the last profiled component (the landscape usually covers only
    // the leading ones), so missing_excluded counts gaps, not the unprofiled tail.
    int to =
        fitTo != 0 ? Math.min(fitTo, maxComponent) : maxProfiled > 0 ? maxProfiled : maxComponent;
    List<Double> f = new ArrayList<>();
    List<Double> v = new ArrayList<>();
    int censored = 0;
    int missing = 0;
    for (int c = fitFrom; c <= to; c += fitEvery) {
      Row r = byComponent.get(c);
      if (r == null || r.getAs("censored") == null) {
        missing++;
      } else if (r.<Boolean>getAs("censored")) {
        censored++;
      } else if (r.getAs("flatness") == null
          || !(r.<Double>getAs("flatness") > 0)
          || !(r.<Double>getAs("variance") > 0)) {
        missing++;
      } else {
        f.add(r.getAs("flatness"));
        v.add(r.getAs("variance"));
      }
    }
    PowerLawFit.Fit psi = f.size() >= 3 ? PowerLawFit.logLog(array(f), array(v), confidence) : null;

    int rankEnd = rankTo == 0 ? maxComponent : Math.min(rankTo, maxComponent);
    if (rankTo == 0 && floor != null && floor > 0) {
      // Stop before the variances reach the recording's float32 precision: there the spectrum
      // measures rounding (one window gave gamma 5.6, 7.0 or 11.5 by the eigen-solver used).
      for (int c = rankFrom; c <= rankEnd; c++) {
        if (variances[c - 1] < FLOOR_MARGIN * floor) {
          rankEnd = c - 1;
          break;
        }
      }
    }
    List<Double> ranks = new ArrayList<>();
    List<Double> rankVariances = new ArrayList<>();
    for (int c = rankFrom; c <= rankEnd; c++) {
      if (variances[c - 1] > 0) {
        ranks.add((double) c);
        rankVariances.add(variances[c - 1]);
      }
    }
    PowerLawFit.Fit gamma =
        ranks.size() >= 3
            ? PowerLawFit.logLog(array(ranks), array(rankVariances), confidence)
            : null;
    int holding =
        PowerLawFit.componentsHolding(
            variances,
            Math.min(1, variances.length),
            fraction,
            variances.length > 0 ? total - variances[0] : 0);
    return RowFactory.create(
        runId,
        window,
        method,
        snapshots,
        fitFrom,
        to,
        f.size(),
        censored,
        missing,
        psi == null ? null : -psi.slope(),
        psi == null ? null : psi.slopeStdErr(),
        psi == null ? null : -psi.slopeHigh(),
        psi == null ? null : -psi.slopeLow(),
        psi == null ? null : psi.intercept(),
        psi == null ? null : psi.r2(),
        confidence,
        rankFrom,
        rankEnd,
        ranks.size(),
        gamma == null ? null : -gamma.slope(),
        gamma == null ? null : -gamma.slopeHigh(),
        gamma == null ? null : -gamma.slopeLow(),
        gamma == null ? null : gamma.r2(),
        fraction,
        holding,
        total,
        floor,
        psi == null ? null : caveat(-psi.slope(), -psi.slopeHigh(), -psi.slopeLow(), psi.r2()),
        fitEvery);
  }

  /** R² below this marks a weak ψ fit. */
  public static final double WEAK_R2 = 0.5;

  /** The γ fit keeps components whose variance is at least this many times the precision floor. */
  public static final double FLOOR_MARGIN = 100;

  /**
   * Why a ψ fit is weak, or null: R² below {@link #WEAK_R2}, or a confidence interval wider than ψ
   * itself (the exponent is not determined to within a factor of two).
   */
  static String caveat(double psi, double low, double high, double r2) {
    List<String> why = new ArrayList<>();
    if (r2 < WEAK_R2) {
      why.add(String.format(Locale.ROOT, "R^2 %.2f < %.1f", r2, WEAK_R2));
    }
    if (high - low > Math.abs(psi)) {
      why.add(
          String.format(Locale.ROOT, "CI [%.2f, %.2f] wider than psi %.2f itself", low, high, psi));
    }
    return why.isEmpty() ? null : String.join("; ", why);
  }

  private static double[] array(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
