package org.sgdlens.report;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.get_json_object;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.analysis.LakeTables;
import org.sgdlens.analysis.LossSeparation;
import org.sgdlens.lake.Columns;
import org.sgdlens.lake.Tables;

/**
 * The report of several runs: a table of runs with their headline numbers, summary plots with one
 * point per run against noise fraction, learning rate and batch size (ψ with its confidence
 * interval as error bars), and overlaid curves of the chosen runs (test error, train loss, AUROC,
 * alignment and noise scale over steps, the PCA variance spectrum), toggled together in the
 * legends.
 */
final class SweepReport {
  static final String RUNS = "runs";
  static final String SUMMARY = "summary";
  static final String CURVES = "curves";
  static final List<String> SECTIONS = List.of(RUNS, SUMMARY, CURVES);

  /** Runs whose curves are shown at first when none are chosen; the others start hidden. */
  static final int SHOWN_DEFAULT = 8;

  /** Legend group of the curve charts: a legend click toggles a run in all of them. */
  static final String RUN_GROUP = "runs";

  /** ECharts' default palette, so a run has one colour in every curve chart. */
  static final String[] PALETTE = {
    "#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de", "#3ba272", "#fc8452", "#9a60b4",
    "#ea7ccc"
  };

  /** Configuration columns a curve's label names when they differ between the runs. */
  static final List<String[]> VARYING =
      List.of(
          new String[] {"model", "model"},
          new String[] {"noise_fraction", "ρ"},
          new String[] {"learning_rate", "lr"},
          new String[] {"batch_size", "batch"},
          new String[] {"momentum", "momentum"},
          new String[] {"weight_decay", "wd"},
          new String[] {"seed", "seed"});

  private final SparkSession spark;
  private final String lake;
  private final String name;
  private final Consumer<String> progress;
  private final List<Row> runs;
  private final List<String> shown;
  private final Map<String, String> labels;

  /**
   * @param name the sweep's run name, or null for every committed run
   * @param shown runs whose curves are drawn at first; empty for the first {@value #SHOWN_DEFAULT}
   *     by run id
   */
  SweepReport(
      SparkSession spark, String lake, String name, List<String> shown, Consumer<String> progress) {
    this.spark = spark;
    this.lake = lake;
    this.name = name;
    this.progress = progress;
    Dataset<Row> committed = LakeTables.read(spark, lake, Tables.RUNS);
    Dataset<Row> selected =
        name == null
            ? committed
            : committed.where(get_json_object(col("config_json"), "$.name").equalTo(name));
    this.runs = selected.orderBy("run_id").collectAsList();
    if (runs.isEmpty()) {
      List<String> names =
          committed
              .select(get_json_object(col("config_json"), "$.name").as("name"))
              .distinct()
              .orderBy("name")
              .collectAsList()
              .stream()
              .map(r -> String.valueOf(r.<String>getAs("name")))
              .toList();
      throw new IllegalArgumentException(
          name == null
              ? "the lake at " + lake + " has no committed runs; train one with jobs/train"
              : "no committed run of the lake at "
                  + lake
                  + " has name '"
                  + name
                  + "' in runs.config_json; run names there are "
                  + names
                  + " (check --sweep, or use --all)");
    }
    List<String> ids = runIds();
    List<String> unknown = shown.stream().filter(id -> !ids.contains(id)).toList();
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(
          "--runs names "
              + unknown
              + ", not in this sweep report; its runs are "
              + ids
              + " (check --runs, or leave it out to show the first "
              + SHOWN_DEFAULT
              + ")");
    }
    this.shown = shown.isEmpty() ? ids.subList(0, Math.min(SHOWN_DEFAULT, ids.size())) : shown;
    this.labels = labels(runs);
  }

  /**
   * Each run's curve label: its id and the configuration values that differ between the runs
   * ("sweep-1a2b (ρ 0.2, lr 0.05)"), so the legend says which run is which.
   */
  static Map<String, String> labels(List<Row> runs) {
    List<String[]> varying =
        VARYING.stream()
            .filter(c -> runs.stream().map(r -> value(r, c[0])).distinct().count() > 1)
            .toList();
    Map<String, String> out = new java.util.LinkedHashMap<>();
    for (Row r : runs) {
      List<String> parts = new ArrayList<>();
      for (String[] c : varying) {
        parts.add(c[1] + " " + value(r, c[0]));
      }
      String id = r.getAs("run_id");
      out.put(id, parts.isEmpty() ? id : id + " (" + String.join(", ", parts) + ")");
    }
    return out;
  }

  private static String value(Row r, String column) {
    Object v = Format.get(r, column);
    if (v instanceof Double d && Double.isFinite(d)) {
      return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }
    return String.valueOf(v);
  }

  /** Runs whose curves are shown when the page opens. */
  List<String> shownRuns() {
    return shown;
  }

  List<String> runIds() {
    return runs.stream().map(r -> r.<String>getAs("run_id")).toList();
  }

  /** Headline numbers of one run, gathered from the result tables. */
  private record Line(Row run, Row separation, Row cleaning, Row fit, Row lastMetrics) {
    double get(String what) {
      return switch (what) {
        case "final_test_accuracy" -> Format.dbl(run, "final_test_accuracy");
        case "max_auroc" -> Format.dbl(separation, "max_auroc");
        case "f1" -> Format.dbl(cleaning, "f1");
        case "psi" -> Format.dbl(fit, "psi");
        case "psi_ci_low" -> Format.dbl(fit, "psi_ci_low");
        case "psi_ci_high" -> Format.dbl(fit, "psi_ci_high");
        default -> Format.dbl(run, what);
      };
    }
  }

  Page render() {
    Page page =
        new Page(
            name == null
                ? "sgdlens sweep report: all " + runs.size() + " runs"
                : "sgdlens sweep report: " + name + " (" + runs.size() + " runs)");
    List<String> ids = runIds();
    progress.accept("1/3 table of runs");
    Map<String, Row> separation =
        byRun(Report.rows(spark, lake, Tables.SEPARATION_SUMMARY, ids), LossSeparation.LOSS);
    Map<String, Row> cleaning =
        byRun(Report.rows(spark, lake, Tables.CLEANING, ids, "run_id", "step"), null);
    Map<String, Row> fits =
        byRun(
            Report.rows(spark, lake, Tables.VARIANCE_FLATNESS, ids, "run_id", Columns.PCA_WINDOW),
            null);
    List<Row> metrics = Report.rows(spark, lake, Tables.METRICS, ids, "run_id", "step");
    Map<String, Row> last = new HashMap<>();
    for (Row m : metrics) {
      last.put(m.getAs("run_id"), m);
    }
    List<Line> lines = new ArrayList<>();
    for (Row r : runs) {
      String id = r.getAs("run_id");
      lines.add(new Line(r, separation.get(id), cleaning.get(id), fits.get(id), last.get(id)));
    }
    runTable(page, lines);
    progress.accept("2/3 summary plots");
    summary(page, lines);
    progress.accept("3/3 curves of chosen runs");
    curves(page, metrics);
    return page;
  }

  private static Map<String, Row> byRun(List<Row> rows, String score) {
    Map<String, Row> out = new HashMap<>();
    for (Row r : rows) {
      if (score == null || score.equals(r.getAs("score"))) {
        out.putIfAbsent(r.getAs("run_id"), r);
      }
    }
    return out;
  }

  private void runTable(Page page, List<Line> lines) {
    page.begin(RUNS, "Runs");
    List<List<Object>> rows = new ArrayList<>();
    for (Line l : lines) {
      Row r = l.run();
      rows.add(
          Arrays.asList(
              r.getAs("run_id"),
              RunReport.configName(r),
              Format.get(r, "model"),
              Format.get(r, "noise_fraction"),
              Format.get(r, "learning_rate"),
              Format.get(r, "batch_size"),
              Format.get(r, "steps"),
              Format.get(r, "final_test_accuracy"),
              Format.get(r, "diverged"),
              Format.get(l.separation(), "t_sep"),
              Format.get(l.separation(), "max_auroc"),
              Format.get(l.cleaning(), "precision"),
              Format.get(l.cleaning(), "recall"),
              Format.get(l.cleaning(), "f1"),
              Format.interval(l.fit(), "psi", "psi_ci_low", "psi_ci_high")));
    }
    page.table(
        "runs",
        List.of(
            "run",
            "name",
            "model",
            "noise",
            "lr",
            "batch",
            "steps",
            "test acc",
            "diverged",
            "t_sep",
            "max AUROC",
            "precision",
            "recall",
            "F1",
            "psi [CI]"),
        rows);
    page.note(
        "Per-run reports: jobs/report --run <run> (headline numbers and every plot of one run).");
    page.end();
  }

  private void summary(Page page, List<Line> lines) {
    page.begin(SUMMARY, "Summary: one point per run");
    List<String[]> axes = new ArrayList<>();
    axes.add(new String[] {"noise_fraction", "noise fraction ρ"});
    axes.add(new String[] {"learning_rate", "learning rate"});
    if (distinct(lines, "batch_size") > 1) {
      axes.add(new String[] {"batch_size", "batch size"});
    }
    String[][] metrics = {
      {"final_test_accuracy", "final test accuracy"},
      {"max_auroc", "max AUROC (loss score)"},
      {"f1", "cleaning F1"},
      {"psi", "ψ"}
    };
    int drawn = 0;
    List<String> skipped = new ArrayList<>();
    for (String[] metric : metrics) {
      long have = lines.stream().filter(l -> Double.isFinite(l.get(metric[0]))).count();
      if (have == 0) {
        skipped.add(metric[1]);
        continue;
      }
      for (String[] x : axes) {
        double[] xs = lines.stream().mapToDouble(l -> l.get(x[0])).toArray();
        boolean logX = x[0].equals("learning_rate") && spread(xs) >= 10;
        Chart c =
            Chart.xy(
                "chart-" + metric[0].replace('_', '-') + "-vs-" + x[0].replace('_', '-'),
                metric[1] + " against " + x[1],
                x[1],
                logX);
        c.compact().option().with("tooltip").put("trigger", "item");
        // Points (and error bars) at the smallest and largest x stay off the axis lines.
        c.option().with("xAxis").putArray("boundaryGap").add("6%").add("6%");
        boolean fraction = !metric[0].equals("psi");
        int y = c.yAxis(metric[1], false, null, fraction ? 1.0 : null);
        List<String> ids = lines.stream().map(l -> l.run().<String>getAs("run_id")).toList();
        c.scatter(
            metric[1], y, xs, lines.stream().mapToDouble(l -> l.get(metric[0])).toArray(), ids);
        if (metric[0].equals("psi")) {
          c.errorBars(
              "ψ 95% CI",
              y,
              xs,
              lines.stream().mapToDouble(l -> l.get("psi_ci_low")).toArray(),
              lines.stream().mapToDouble(l -> l.get("psi_ci_high")).toArray(),
              ids);
        }
        page.chart(c);
        drawn++;
      }
    }
    if (!skipped.isEmpty()) {
      page.note("No run has " + String.join(", ", skipped) + ", so those plots are left out.");
    }
    if (drawn == 0) {
      page.note("Nothing to plot.");
    }
    page.end();
  }

  /** One curve per run of the sweep over x, in run order; a run without rows has none. */
  private record Curves(Map<String, double[][]> byRun) {
    static Curves of(List<Row> rows, String x, java.util.function.ToDoubleFunction<Row> y) {
      Map<String, List<Row>> grouped = new java.util.LinkedHashMap<>();
      for (Row r : rows) {
        grouped.computeIfAbsent(r.getAs("run_id"), k -> new ArrayList<>()).add(r);
      }
      Map<String, double[][]> out = new java.util.LinkedHashMap<>();
      grouped.forEach(
          (id, rs) ->
              out.put(
                  id,
                  new double[][] {RunReport.column(rs, x), rs.stream().mapToDouble(y).toArray()}));
      return new Curves(out);
    }
  }

  private void curves(Page page, List<Row> metrics) {
    List<String> ids = runIds();
    page.begin(CURVES, "Curves of chosen runs");
    page.note(
        String.format(
            java.util.Locale.ROOT,
            "One curve per run; a click on a run in any legend shows or hides it in every chart"
                + " below. Shown at first: %s%s.",
            shown.size() == ids.size() ? "every run" : shown.size() + " of " + ids.size() + " runs",
            shown.size() == ids.size()
                ? ""
                : " (" + String.join(", ", shown) + "; choose others with --runs ID,...)"));
    // The legend says what varies; --runs takes the ids.
    List<Row> separation = Report.rows(spark, lake, Tables.LOSS_SEPARATION, ids, "run_id", "step");
    List<Row> order = Report.rows(spark, lake, Tables.ORDER_PARAMS, ids, "run_id", "step");
    List<Row> pca =
        Report.rows(
            spark, lake, Tables.PCA_VARIANCES, ids, "run_id", Columns.PCA_WINDOW, "component");
    // The first PCA window by name of each run, as the summary's ψ.
    Map<String, String> firstWindow = new HashMap<>();
    for (Row r : pca) {
      firstWindow.putIfAbsent(r.getAs("run_id"), r.getAs(Columns.PCA_WINDOW));
    }
    List<Row> spectrum =
        pca.stream()
            .filter(r -> r.getAs(Columns.PCA_WINDOW).equals(firstWindow.get(r.getAs("run_id"))))
            .toList();
    List<String> missing = new ArrayList<>();
    curveChart(
        page,
        missing,
        "chart-sweep-test-error",
        "Test error 1 − test accuracy",
        "step",
        false,
        "test error",
        false,
        Curves.of(metrics, "step", r -> 1 - Format.dbl(r, "test_accuracy")),
        "metrics");
    curveChart(
        page,
        missing,
        "chart-sweep-train-loss",
        "Train loss",
        "step",
        false,
        "train loss (cross-entropy, nats)",
        true,
        Curves.of(metrics, "step", r -> Format.dbl(r, "train_loss")),
        "metrics");
    curveChart(
        page,
        missing,
        "chart-sweep-auroc",
        "AUROC of the loss score (mislabeled against clean samples)",
        "step",
        false,
        "AUROC",
        false,
        Curves.of(separation, "step", r -> Format.dbl(r, "auroc")),
        "loss_separation (jobs/loss-separation)");
    curveChart(
        page,
        missing,
        "chart-sweep-alignment",
        "Alignment R of the gradient ensemble",
        "step",
        false,
        "alignment R",
        false,
        Curves.of(order, "step", r -> Format.dbl(r, "alignment")),
        "order_params (jobs/order-params)");
    curveChart(
        page,
        missing,
        "chart-sweep-noise-scale",
        "Gradient noise scale B_simple = B·tr(Σ)/|ḡ|²",
        "step",
        false,
        "noise scale (samples)",
        true,
        Curves.of(order, "step", r -> Format.dbl(r, "noise_scale")),
        "order_params (jobs/order-params)");
    curveChart(
        page,
        missing,
        "chart-sweep-pca-spectrum",
        "Trajectory PCA spectrum σ_i² / Σσ² against rank i (log-log; first window of each run)",
        "component i",
        true,
        "explained ratio σ_i² / Σσ²",
        true,
        Curves.of(spectrum, "component", r -> Format.dbl(r, "explained_ratio")),
        "pca_variances (jobs/trajectory-pca)");
    if (!missing.isEmpty()) {
      page.note(
          "No run has rows in " + String.join(", ", missing) + ", so those charts are left out.");
    }
    page.end();
  }

  private void curveChart(
      Page page,
      List<String> missing,
      String key,
      String title,
      String xName,
      boolean logX,
      String yName,
      boolean logY,
      Curves curves,
      String table) {
    if (curves.byRun().isEmpty()) {
      missing.add(table);
      return;
    }
    Chart c = Chart.xy(key, title, xName, logX).legendGroup(RUN_GROUP);
    boolean fraction = yName.equals("test error") || yName.equals("AUROC");
    int y = c.yAxis(yName, logY, yName.equals("test error") ? 0.0 : null, fraction ? 1.0 : null);
    List<String> ids = runIds();
    for (int i = 0; i < ids.size(); i++) {
      String id = ids.get(i);
      double[][] xy = curves.byRun().get(id);
      if (xy == null) {
        continue;
      }
      // A run keeps its colour in every chart, also where runs before it have no curve.
      String color = PALETTE[i % PALETTE.length];
      ObjectNode line = c.line(labels.get(id), y, xy[0], xy[1]);
      line.putObject("itemStyle").put("color", color);
      line.putObject("lineStyle").put("color", color);
      if (!shown.contains(id)) {
        c.hidden(labels.get(id));
      }
    }
    page.chart(c);
  }

  private static long distinct(List<Line> lines, String column) {
    TreeSet<Double> values = new TreeSet<>();
    lines.forEach(l -> values.add(l.get(column)));
    return values.size();
  }

  private static double spread(double[] xs) {
    double lo = Arrays.stream(xs).filter(x -> x > 0).min().orElse(1);
    double hi = Arrays.stream(xs).filter(x -> x > 0).max().orElse(1);
    return hi / lo;
  }
}
