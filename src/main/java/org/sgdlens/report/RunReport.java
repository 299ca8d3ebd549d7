package org.sgdlens.report;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.analysis.LakeTables;
import org.sgdlens.analysis.LossSeparation;
import org.sgdlens.analysis.Phases;
import org.sgdlens.analysis.RunInfo;
import org.sgdlens.lake.Columns;
import org.sgdlens.lake.CurvatureRow;
import org.sgdlens.lake.Tables;

/**
 * The report of one committed run, or of several on one page (the quickstart's noisy and
 * variance-flatness runs, say): headline numbers, then one section per analysis, each holding the
 * runs that have its rows.
 */
final class RunReport {
  static final String HEADLINE = "headline";
  static final String ORDER_PARAMS = "order-params";
  static final String METRICS = "metrics";
  static final String LOSS_HISTOGRAMS = "loss-histograms";
  static final String SEPARATION = "separation";
  static final String VARIANCE_FLATNESS = "variance-flatness";
  static final String PCA = "pca";
  static final String CURVATURE = "curvature";
  static final String NOISE_CURVATURE = "noise-curvature";
  static final String DUALITY = "duality";

  /** Every section of a run report, in page order. */
  static final List<String> SECTIONS =
      List.of(
          HEADLINE,
          ORDER_PARAMS,
          METRICS,
          LOSS_HISTOGRAMS,
          SEPARATION,
          VARIANCE_FLATNESS,
          PCA,
          CURVATURE,
          NOISE_CURVATURE,
          DUALITY);

  /** Histogram bins of log10 per-sample loss. */
  static final int BINS = 40;

  /** Losses below this are shown in the lowest bin (log of 0 is undefined). */
  static final double LOSS_FLOOR = 1e-8;

  private final SparkSession spark;
  private final String lake;
  private final Consumer<String> progress;
  private final List<Part> parts = new ArrayList<>();

  /** One run of the page: its id, its runs row and its phases. */
  private final class Part {
    final String runId;
    final Row run;
    final List<Row> phases;

    Part(String runId) {
      this.runId = runId;
      this.run =
          LakeTables.read(spark, lake, Tables.RUNS).where(col("run_id").equalTo(runId)).first();
      this.phases = rows(Tables.PHASES, "method", "phase_order");
    }

    List<Row> rows(String table, String... orderBy) {
      return Report.rows(spark, lake, table, List.of(runId), orderBy);
    }

    /** A chart key, with the run's id when the page holds several runs. */
    String key(String chart) {
      return parts.size() == 1 ? chart : chart + "--" + Report.safe(runId);
    }
  }

  RunReport(SparkSession spark, String lake, List<String> runIds, Consumer<String> progress) {
    this.spark = spark;
    this.lake = lake;
    this.progress = progress;
    RunInfo.select(spark, lake, runIds); // names the committed runs when an id is not one
    for (String id : runIds) {
      parts.add(new Part(id));
    }
  }

  /**
   * How the reasons a run has nothing for a section name it; a section no run of a page of several
   * has says "any of these runs" instead.
   */
  private static final String THIS_RUN = "this run";

  /**
   * A section drawn per run from what {@code fetch} gets for it: {@code empty} says why a run has
   * nothing (null when it has data). The section is left out with that reason when no run has data;
   * on a page of several runs each run gets a heading, or a note when it has nothing.
   */
  private <T> void perRun(
      Page page,
      String id,
      String title,
      java.util.function.Function<Part, T> fetch,
      java.util.function.Function<T, String> empty,
      java.util.function.BiConsumer<Part, T> draw) {
    List<T> got = new ArrayList<>();
    List<String> reasons = new ArrayList<>();
    for (Part p : parts) {
      T t = fetch.apply(p);
      got.add(t);
      reasons.add(empty.apply(t));
    }
    if (reasons.stream().allMatch(java.util.Objects::nonNull)) {
      String why = String.join("; ", reasons.stream().distinct().toList());
      page.omit(id, title, parts.size() == 1 ? why : why.replace(THIS_RUN, "any of these runs"));
      return;
    }
    page.begin(id, title);
    for (int i = 0; i < parts.size(); i++) {
      Part p = parts.get(i);
      if (parts.size() > 1) {
        page.runHeading("Run " + p.runId);
      }
      if (reasons.get(i) != null) {
        page.note("Nothing for run " + p.runId + ": " + reasons.get(i));
      } else {
        draw.accept(p, got.get(i));
      }
    }
    page.end();
  }

  /** {@link #perRun} over the run's rows of one table. */
  private void perRun(
      Page page,
      String id,
      String title,
      String reason,
      String table,
      String[] order,
      java.util.function.BiConsumer<Part, List<Row>> draw) {
    perRun(page, id, title, p -> p.rows(table, order), r -> r.isEmpty() ? reason : null, draw);
  }

  private static String[] by(String... columns) {
    return columns;
  }

  Page render() {
    Page page =
        new Page(
            parts.size() == 1
                ? "sgdlens report: run " + parts.get(0).runId
                : "sgdlens report: runs "
                    + String.join(", ", parts.stream().map(p -> p.runId).toList()));
    int n = SECTIONS.size();
    int i = 0;
    progress.accept(String.format(Locale.ROOT, "%d/%d headline numbers", ++i, n));
    headline(page);
    progress.accept(String.format(Locale.ROOT, "%d/%d order parameters", ++i, n));
    orderParams(page);
    progress.accept(String.format(Locale.ROOT, "%d/%d training metrics", ++i, n));
    metrics(page);
    progress.accept(String.format(Locale.ROOT, "%d/%d per-sample loss histograms", ++i, n));
    lossHistograms(page);
    progress.accept(String.format(Locale.ROOT, "%d/%d AUROC and d'", ++i, n));
    separation(page);
    progress.accept(String.format(Locale.ROOT, "%d/%d variance-flatness", ++i, n));
    varianceFlatness(page);
    progress.accept(String.format(Locale.ROOT, "%d/%d explained variance", ++i, n));
    pca(page);
    progress.accept(String.format(Locale.ROOT, "%d/%d curvature over training", ++i, n));
    curvature(page);
    progress.accept(String.format(Locale.ROOT, "%d/%d noise against curvature", ++i, n));
    noiseCurvature(page);
    progress.accept(String.format(Locale.ROOT, "%d/%d activity-weight duality", ++i, n));
    duality(page);
    return page;
  }

  // ---------------------------------------------------------------------------------- headline

  private void headline(Page page) {
    page.begin(HEADLINE, "Headline numbers");
    for (Part p : parts) {
      if (parts.size() > 1) {
        page.runHeading("Run " + p.runId);
      }
      headline(page, p);
    }
    page.end();
  }

  private void headline(Page page, Part part) {
    String runId = part.runId;
    Row run = part.run;
    Row runRow = part.rows(Tables.RUNS).stream().findFirst().orElse(null);
    if (runRow != null && Boolean.TRUE.equals(runRow.getAs("diverged"))) {
      page.note(
          "This run DIVERGED: "
              + Format.get(runRow, "diverged_reason")
              + ". Its numbers describe a diverged run; the analysis jobs skip it unless --run"
              + " names it.");
    }
    List<List<Object>> config = new ArrayList<>();
    config.add(List.of("run_id", runId));
    config.add(Arrays.asList("name", configName(run)));
    for (String c :
        List.of(
            "dataset",
            "model",
            "num_params",
            "train_size",
            "test_size",
            "noise_fraction",
            "noise_kind",
            "num_mislabeled",
            "learning_rate",
            "momentum",
            "weight_decay",
            "batch_size",
            "steps",
            "epochs",
            "seed",
            "device",
            "final_train_loss",
            "final_test_accuracy",
            "diverged",
            "diverged_reason",
            "started_at",
            "finished_at")) {
      config.add(Arrays.asList(c, Format.get(run, c)));
    }
    page.heading("Run configuration");
    page.facts("run-config", config);

    List<Row> boundaries = part.rows(Tables.PHASE_BOUNDARIES, "boundary");
    page.heading("Phase boundaries (first recorded step of the later phase)");
    if (boundaries.isEmpty()) {
      page.note(
          "No phase boundaries: table phase_boundaries has no rows for this run (jobs/phases).");
    } else {
      fieldTable(
          page,
          "phase-boundaries",
          boundaries,
          List.of("boundary", "ground_truth_step", "label_free_step", "distance_steps"),
          List.of("boundary", "ground truth", "label-free", "distance"));
      fieldTable(
          page,
          "phases",
          part.phases,
          List.of("method", "phase", "start_step", "end_step"),
          List.of("method", "phase", "start step", "end step"));
    }

    List<Row> separation = part.rows(Tables.SEPARATION_SUMMARY, "score");
    page.heading("Separation peak t_sep");
    if (separation.isEmpty()) {
      page.note(
          "No separation peak: table separation_summary has no rows for this run"
              + " (jobs/loss-separation).");
    } else {
      fieldTable(
          page,
          "separation-summary",
          separation,
          List.of(
              "score",
              Columns.WINDOW_STEPS,
              "t_sep",
              "max_auroc",
              "d_prime_at_t_sep",
              "phase_ground_truth",
              "phase_label_free",
              "in_phase_ii"),
          List.of(
              "score",
              "window",
              "t_sep",
              "AUROC",
              "d' at t_sep",
              "phase (ground truth)",
              "phase (label-free)",
              "in phase II"));
    }

    List<Row> cleaning = part.rows(Tables.CLEANING);
    page.heading("Cleaning");
    if (cleaning.isEmpty()) {
      page.note("No cleaning: table cleaning has no rows for this run (jobs/clean).");
    } else {
      fieldTable(
          page,
          "cleaning",
          cleaning,
          List.of(
              "step",
              "step_rule",
              "num_flagged",
              "estimated_rho",
              "true_rho",
              "precision",
              "recall",
              "f1"),
          List.of(
              "step",
              "step rule",
              "flagged",
              "estimated rho",
              "true rho",
              "precision",
              "recall",
              "F1"));
    }

    List<Row> vf = part.rows(Tables.VARIANCE_FLATNESS, Columns.PCA_WINDOW);
    page.heading("Variance-flatness");
    if (vf.isEmpty()) {
      page.note(
          "No psi: table variance_flatness has no rows for this run (jobs/variance-flatness).");
    } else {
      List<List<Object>> rows = new ArrayList<>();
      for (Row v : vf) {
        rows.add(
            Arrays.asList(
                Format.get(v, Columns.PCA_WINDOW),
                Format.interval(v, "psi", "psi_ci_low", "psi_ci_high"),
                Format.get(v, "confidence"),
                Format.get(v, "r2"),
                Format.get(v, "fit_from") + "-" + Format.get(v, "fit_to"),
                Format.get(v, "censored_excluded"),
                Format.interval(v, "gamma", "gamma_ci_low", "gamma_ci_high")
                    + " over "
                    + Format.get(v, "rank_from")
                    + "-"
                    + Format.get(v, "rank_to"),
                Format.get(v, "components_holding"),
                Format.get(v, "fit_caveat") == null ? "" : "weak fit: " + v.getAs("fit_caveat")));
      }
      page.table(
          "variance-flatness",
          List.of(
              "window",
              "psi [CI]",
              "confidence",
              "R²",
              "fit components",
              "censored",
              "gamma [CI] over components",
              "components holding 90%",
              "caveat"),
          rows);
      for (Row v : vf) {
        if (Format.get(v, "fit_caveat") != null) {
          page.note(
              "Caveat for window "
                  + Format.get(v, Columns.PCA_WINDOW)
                  + ": the psi fit is weak ("
                  + v.getAs("fit_caveat")
                  + "); the exponent is not determined by this window.");
        }
      }
    }
  }

  static String configName(Row run) {
    Object json = Format.get(run, "config_json");
    if (json == null) {
      return null;
    }
    try {
      JsonNode name = Chart.JSON.readTree(json.toString()).get("name");
      return name == null || name.isNull() ? null : name.asText();
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return null;
    }
  }

  // ----------------------------------------------------------------------------------- phases

  /**
   * Ground-truth phases as shaded spans (each reaching to the next phase's start) and label-free
   * phase starts as dashed markers; without ground-truth phases the label-free ones are shaded.
   */
  private static void phaseMarks(Part part, Chart chart, List<Chart.Marker> extra) {
    List<Row> phases = part.phases;
    List<Row> gt =
        phases.stream().filter(p -> Phases.GROUND_TRUTH.equals(p.getAs("method"))).toList();
    List<Row> lf =
        phases.stream().filter(p -> Phases.LABEL_FREE.equals(p.getAs("method"))).toList();
    List<Row> shaded = gt.isEmpty() ? lf : gt;
    String prefix = gt.isEmpty() ? "label-free " : "";
    List<Chart.Span> spans = new ArrayList<>();
    for (int i = 0; i < shaded.size(); i++) {
      Row p = shaded.get(i);
      double start = Format.dbl(p, "start_step");
      double end =
          i + 1 < shaded.size()
              ? Format.dbl(shaded.get(i + 1), "start_step")
              : Format.dbl(p, "end_step");
      if (Double.isFinite(start) && Double.isFinite(end)) {
        spans.add(new Chart.Span(prefix + Format.get(p, "phase"), start, end));
      }
    }
    List<Chart.Marker> markers = new ArrayList<>();
    if (!gt.isEmpty()) {
      for (Row p : lf) {
        double start = Format.dbl(p, "start_step");
        if (Double.isFinite(start) && ((Number) p.getAs("phase_order")).intValue() > 0) {
          markers.add(new Chart.Marker("label-free " + Format.get(p, "phase"), start));
        }
      }
    }
    markers.addAll(extra);
    chart.marks(spans, markers);
  }

  private static String phaseNote(Part part) {
    return part.phases.isEmpty()
        ? "No phases for this run (table phases is empty; jobs/phases), so nothing is shaded."
        : "Shaded: ground-truth phases (test error, f_C, f_W); dashed lines: starts of the"
            + " label-free phases (alignment, train loss, loss bimodality).";
  }

  static double[] column(List<Row> rows, String name) {
    double[] out = new double[rows.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = Format.dbl(rows.get(i), name);
    }
    return out;
  }

  // ----------------------------------------------------------------------------- order params

  private void orderParams(Page page) {
    perRun(
        page,
        ORDER_PARAMS,
        "Order parameters of the gradient ensemble",
        "table order_params has no rows for "
            + THIS_RUN
            + " (record gradient ensembles and run jobs/order-params).",
        Tables.ORDER_PARAMS,
        by("step"),
        (p, rows) -> orderParams(page, p, rows));
  }

  private static void orderParams(Page page, Part part, List<Row> op) {
    page.note(phaseNote(part));
    double[] step = column(op, "step");
    Chart c =
        Chart.xy(
            part.key("chart-order-params"),
            "Alignment R (q25–q75 band) and mean gradient norm A",
            "step",
            false);
    int left = c.yAxis("alignment R", false, null, null);
    int right = c.yAxis("A = |mean gradient|", true, null, null);
    c.line("alignment R", left, step, column(op, "alignment"));
    c.band(
        "R q25–q75",
        left,
        step,
        column(op, "alignment_q25"),
        column(op, "alignment_q75"),
        "#5470c6");
    c.line("A", right, step, column(op, "mean_grad_norm"));
    phaseMarks(part, c, List.of());
    page.chart(c);
    Chart noise =
        Chart.xy(
            part.key("chart-noise-scale"),
            "Gradient noise scale B_simple = B·tr(Σ)/|ḡ|²",
            "step",
            false);
    int y = noise.yAxis("noise scale B_simple (samples)", true, null, null);
    noise.line("noise scale", y, step, column(op, "noise_scale"));
    int snr = noise.yAxis("SNR |ḡ|²/tr(Σ)", true, null, null);
    noise.dashed("SNR", snr, step, column(op, "snr"));
    phaseMarks(part, noise, List.of());
    page.chart(noise);
  }

  // ---------------------------------------------------------------------------------- metrics

  private void metrics(Page page) {
    perRun(
        page,
        METRICS,
        "Test error, train loss, f_C and f_W",
        "table metrics has no rows for " + THIS_RUN + ".",
        Tables.METRICS,
        by("step"),
        (p, rows) -> metrics(page, p, rows));
  }

  private static void metrics(Page page, Part part, List<Row> m) {
    page.note(phaseNote(part));
    double[] step = column(m, "step");
    double[] testAcc = column(m, "test_accuracy");
    double[] testError = new double[testAcc.length];
    for (int i = 0; i < testAcc.length; i++) {
      testError[i] = 1 - testAcc[i];
    }
    Chart c =
        Chart.xy(
            part.key("chart-metrics"),
            "Test error, clean accuracy f_C, mislabeled fit f_W and train loss",
            "step",
            false);
    int frac = c.yAxis("fraction", false, 0.0, 1.0);
    int loss = c.yAxis("train loss (cross-entropy, nats)", true, null, null);
    c.line("test error 1 − test accuracy", frac, step, testError);
    c.line("f_C clean accuracy", frac, step, column(m, "clean_accuracy"));
    c.line("f_W mislabeled fit", frac, step, column(m, "mislabeled_fit"));
    c.dashed("train loss", loss, step, column(m, "train_loss"));
    phaseMarks(part, c, List.of());
    page.chart(c);
  }

  // ------------------------------------------------------------------------ loss histograms

  private static Row lossSummary(Part part) {
    return part.rows(Tables.SEPARATION_SUMMARY).stream()
        .filter(r -> LossSeparation.LOSS.equals(r.getAs("score")))
        .findFirst()
        .orElse(null);
  }

  /** A run's per-sample losses at its t_sep, or why there are none. */
  private record AtPeak(Row summary, long tSep, List<Row> losses, String missing) {}

  private AtPeak atPeak(Part part) {
    Row summary = lossSummary(part);
    if (summary == null || Format.get(summary, "t_sep") == null) {
      return new AtPeak(
          summary,
          -1,
          List.of(),
          "table separation_summary has no t_sep for "
              + THIS_RUN
              + " (jobs/loss-separation on a run with label noise).");
    }
    long tSep = ((Number) Format.get(summary, "t_sep")).longValue();
    List<Row> losses =
        LakeTables.read(spark, lake, Tables.SAMPLE_LOSSES)
            .where(col("run_id").equalTo(part.runId).and(col("step").equalTo(tSep)))
            .select("mislabeled", "loss")
            .collectAsList();
    return new AtPeak(
        summary,
        tSep,
        losses,
        losses.isEmpty()
            ? "table sample_losses has no rows at t_sep = " + tSep + " for " + THIS_RUN + "."
            : null);
  }

  private void lossHistograms(Page page) {
    perRun(
        page,
        LOSS_HISTOGRAMS,
        "Per-sample loss histograms at the separation peak",
        this::atPeak,
        AtPeak::missing,
        (p, peak) -> lossHistograms(page, p, peak));
  }

  private static void lossHistograms(Page page, Part part, AtPeak peak) {
    long tSep = peak.tSep();
    Histogram h = Histogram.of(peak.losses(), BINS, LOSS_FLOOR);
    page.note(
        String.format(
            Locale.ROOT,
            "Step t_sep = %d (maximum AUROC of the loss score, %s): %d clean and %d mislabeled"
                + " samples; bins are equal in log10 loss, bars show the fraction of each group.",
            tSep,
            Format.cell(Format.get(peak.summary(), "max_auroc")),
            h.clean(),
            h.wrong()));
    Chart c =
        Chart.categories(
            part.key("chart-loss-histogram"),
            "Per-sample loss at t_sep = " + tSep + " (log scale)",
            "per-sample cross-entropy loss in nats (log-spaced bins)",
            h.labels());
    int y = c.yAxis("fraction of group", false, 0.0, null);
    c.bars("clean", y, h.cleanFractions(), "#5470c6");
    c.bars("mislabeled", y, h.wrongFractions(), "#ee6666");
    c.option().with("tooltip").put("trigger", "axis");
    page.chart(c);
  }

  // ----------------------------------------------------------------------------- separation

  private void separation(Page page) {
    perRun(
        page,
        SEPARATION,
        "AUROC and d' over time",
        "table loss_separation has no rows for "
            + THIS_RUN
            + " (jobs/loss-separation on a run with label noise and per-sample losses).",
        Tables.LOSS_SEPARATION,
        by("step"),
        (p, rows) -> separation(page, p, rows));
  }

  private static void separation(Page page, Part part, List<Row> sep) {
    page.note(phaseNote(part) + " The t_sep line marks the AUROC peak of the loss score.");
    double[] step = column(sep, "step");
    Chart c =
        Chart.xy(
            part.key("chart-separation"),
            "Separation of mislabeled from clean samples by their loss",
            "step",
            false);
    int auroc = c.yAxis("AUROC", false, null, 1.0);
    int dp = c.yAxis("d' (log loss)", false, null, null);
    c.line("AUROC (loss)", auroc, step, column(sep, "auroc"));
    c.dashed("AUROC (history)", auroc, step, column(sep, "history_auroc"));
    c.line("d' (loss)", dp, step, column(sep, "d_prime"));
    c.dashed("d' (history)", dp, step, column(sep, "history_d_prime"));
    Row summary = lossSummary(part);
    List<Chart.Marker> extra = new ArrayList<>();
    if (summary != null && Format.get(summary, "t_sep") != null) {
      extra.add(new Chart.Marker("t_sep", Format.dbl(summary, "t_sep")));
    }
    phaseMarks(part, c, extra);
    page.chart(c);
  }

  // ----------------------------------------------------------------------- variance-flatness

  /** A run's PCA variances, flatness and fits. */
  private record Flatness(List<Row> variances, List<Row> flat, List<Row> fits, String missing) {}

  private Flatness flatness(Part part) {
    List<Row> variances = part.rows(Tables.PCA_VARIANCES, Columns.PCA_WINDOW, "component");
    List<Row> flat = part.rows(Tables.FLATNESS, Columns.PCA_WINDOW, "component");
    boolean none = variances.isEmpty() || flat.isEmpty();
    return new Flatness(
        variances,
        flat,
        none ? List.of() : part.rows(Tables.VARIANCE_FLATNESS, Columns.PCA_WINDOW),
        none
            ? (variances.isEmpty() ? "table pca_variances" : "table flatness")
                + " has no rows for "
                + THIS_RUN
                + " (jobs/trajectory-pca, jobs/landscape)."
            : null);
  }

  private void varianceFlatness(Page page) {
    perRun(
        page,
        VARIANCE_FLATNESS,
        "Inverse variance-flatness relation",
        this::flatness,
        Flatness::missing,
        (p, f) -> varianceFlatness(page, p, f));
  }

  private static void varianceFlatness(Page page, Part part, Flatness data) {
    List<Row> variances = data.variances();
    List<Row> flat = data.flat();
    List<Row> fits = data.fits();
    String window = flat.get(flat.size() - 1).getAs(Columns.PCA_WINDOW);
    Row fit =
        fits.stream()
            .filter(f -> window.equals(f.getAs(Columns.PCA_WINDOW)))
            .findFirst()
            .orElse(null);
    java.util.Map<Integer, Double> sigma2 = new java.util.HashMap<>();
    for (Row v : variances) {
      if (window.equals(v.getAs(Columns.PCA_WINDOW))) {
        sigma2.put(v.getAs("component"), Format.dbl(v, "variance"));
      }
    }
    int from = fit == null ? 1 : ((Number) Format.get(fit, "fit_from")).intValue();
    int to = fit == null ? Integer.MAX_VALUE : ((Number) Format.get(fit, "fit_to")).intValue();
    List<double[]> in = new ArrayList<>();
    List<double[]> out = new ArrayList<>();
    // Censored is what the landscape job stored (flatness.censored), as variance-flatness reads
    // it; a direction with no flatness or variance for another reason is counted apart.
    int censored = 0;
    int missing = 0;
    for (Row f : flat) {
      if (!window.equals(f.getAs(Columns.PCA_WINDOW))) {
        continue;
      }
      int i = f.getAs("component");
      if (Boolean.TRUE.equals(Format.get(f, "censored"))) {
        censored++;
        continue;
      }
      double flatness = Format.dbl(f, "flatness");
      Double s2 = sigma2.get(i);
      if (Double.isNaN(flatness) || s2 == null) {
        missing++;
        continue;
      }
      (i >= from && i <= to ? in : out).add(new double[] {flatness, s2});
    }
    page.note(
        String.format(
            Locale.ROOT,
            "Window %s; each point is a principal direction i (flatness F_i of the loss profile,"
                + " variance σ_i² of the trajectory). %d censored directions (no finite F) are not"
                + " drawn.%s%s",
            window,
            censored,
            missing == 0
                ? ""
                : String.format(
                    Locale.ROOT,
                    " %d direction(s) without a stored flatness or variance are not drawn either.",
                    missing),
            fit == null || Format.get(fit, "psi") == null
                ? " No fit: table variance_flatness has no psi for this window."
                : " Fit: log σ² = a − ψ log F with ψ = "
                    + Format.interval(fit, "psi", "psi_ci_low", "psi_ci_high")
                    + ", R² = "
                    + Format.cell(Format.get(fit, "r2"))
                    + "."
                    + (Format.get(fit, "fit_caveat") == null
                        ? ""
                        : " Weak fit: " + fit.getAs("fit_caveat") + ".")));
    double maxVariance =
        java.util.stream.Stream.concat(in.stream(), out.stream())
            .mapToDouble(p -> p[1])
            .max()
            .orElse(1);
    int k = Chart.decade(maxVariance);
    double scale = Math.pow(10, k);
    in.forEach(p -> p[1] *= scale);
    out.forEach(p -> p[1] *= scale);
    Chart c =
        Chart.xy(
            part.key("chart-variance-flatness"),
            "σ² against flatness F (log-log)",
            "flatness F",
            true);
    c.option().with("tooltip").put("trigger", "item");
    // The axis shows σ²·10^k: say what one unit on it is, not an operation to undo.
    int y =
        c.yAxis(k == 0 ? "variance σ²" : "variance σ², in units of 1e" + (-k), true, null, null);
    int lastDrawn = flat.stream().mapToInt(f -> f.<Integer>getAs("component")).max().orElse(from);
    c.scatter(
        "in fit range (components " + from + "-" + Math.min(to, lastDrawn) + ")",
        y,
        xs(in),
        ys(in));
    if (!out.isEmpty()) {
      c.scatter("outside fit range", y, xs(out), ys(out))
          .putObject("itemStyle")
          .put("color", "#aaa");
    }
    if (fit != null && Format.get(fit, "psi") != null && !in.isEmpty()) {
      double psi = Format.dbl(fit, "psi");
      double a = Format.dbl(fit, "intercept");
      double lo = in.stream().mapToDouble(p -> p[0]).min().orElseThrow();
      double hi = in.stream().mapToDouble(p -> p[0]).max().orElseThrow();
      double[] fx = {lo, hi};
      double[] fy = {
        scale * Math.exp(a - psi * Math.log(lo)), scale * Math.exp(a - psi * Math.log(hi))
      };
      c.line(String.format(Locale.ROOT, "fit ψ = %.3f", psi), y, fx, fy).put("showSymbol", false);
    }
    page.chart(c);
  }

  private static double[] xs(List<double[]> points) {
    return points.stream().mapToDouble(p -> p[0]).toArray();
  }

  private static double[] ys(List<double[]> points) {
    return points.stream().mapToDouble(p -> p[1]).toArray();
  }

  // ------------------------------------------------------------------------------------- pca

  private void pca(Page page) {
    perRun(
        page,
        PCA,
        "Trajectory PCA: explained variance",
        "table pca_variances has no rows for " + THIS_RUN + " (jobs/trajectory-pca).",
        Tables.PCA_VARIANCES,
        by(Columns.PCA_WINDOW, "component"),
        (p, rows) -> pca(page, p, rows));
  }

  private static void pca(Page page, Part part, List<Row> variances) {
    String window = variances.get(variances.size() - 1).getAs(Columns.PCA_WINDOW);
    List<Row> w =
        variances.stream().filter(v -> window.equals(v.getAs(Columns.PCA_WINDOW))).toList();
    page.note(
        "Window "
            + window
            + ", "
            + Format.cell(Format.get(w.get(0), "snapshots"))
            + " snapshots of "
            + Format.cell(Format.get(w.get(0), "num_params"))
            + " weights, method "
            + Format.cell(Format.get(w.get(0), "method"))
            + ". Component 1 is usually the drift"
            + " direction; the dashed curve leaves it out.");
    double[] comp = column(w, "component");
    Chart c =
        Chart.xy(
            part.key("chart-pca-cumulative"),
            "Cumulative explained variance",
            "component i",
            w.size() > 100);
    int y = c.yAxis("cumulative fraction", false, 0.0, 1.0);
    c.line("cumulative ratio", y, comp, column(w, "cumulative_ratio"));
    c.dashed(
        "cumulative ratio excl. component 1", y, comp, column(w, "cumulative_ratio_excl_first"));
    page.chart(c);
    Chart rank =
        Chart.xy(
            part.key("chart-pca-spectrum"),
            "Variance spectrum σ_i² / Σσ² against rank i (log-log)",
            "component i",
            true);
    int r = rank.yAxis("explained ratio σ_i² / Σσ²", true, null, null);
    double[] ratio = column(w, "explained_ratio");
    long tiny = java.util.Arrays.stream(ratio).filter(v -> v < Chart.LOG_MIN).count();
    rank.line("explained ratio", r, comp, ratio);
    if (tiny > 0) {
      page.note(
          tiny
              + " components below 1e-9 of the total variance (numerical"
              + " noise) are not drawn in the spectrum.");
    }
    page.chart(rank);
  }

  // ------------------------------------------------------------------------------- curvature

  private void curvature(Page page) {
    perRun(
        page,
        CURVATURE,
        "Curvature over training: λ_max and trace of the Hessian",
        "table curvature has no rows for "
            + THIS_RUN
            + " (jobs/curvature on recorded weight snapshots, or record.curvature during"
            + " training).",
        Tables.CURVATURE,
        by("scope", "step"),
        (p, rows) -> curvature(page, p, rows));
  }

  private static void curvature(Page page, Part part, List<Row> rows) {
    String scope = rows.get(0).getAs("scope");
    // One row per step: where a step was measured both during training (source 'record') and by
    // jobs/curvature afterwards, the job's row, which was asked for explicitly.
    java.util.TreeMap<Long, Row> byStep = new java.util.TreeMap<>();
    for (Row x : rows) {
      if (scope.equals(x.getAs("scope"))) {
        long at = x.<Long>getAs("step");
        Row seen = byStep.get(at);
        if (seen == null || CurvatureRow.SOURCE_RECORD.equals(Format.get(seen, "source"))) {
          byStep.put(at, x);
        }
      }
    }
    List<Row> r = new ArrayList<>(byStep.values());
    double lr = Format.dbl(part.run, "learning_rate");
    double momentum = Format.dbl(part.run, "momentum");
    double beta = Double.isFinite(momentum) ? momentum : 0;
    double edge = 2 * (1 + beta) / lr;
    page.note(
        String.format(
            Locale.ROOT,
            "Hessian of the mean training loss (%s, scope %s, %s rows): the largest eigenvalue"
                + " λ_max (Lanczos) and the trace (Hutchinson; the band is ±2 standard errors)."
                + " The dashed line is the edge of stability %s = %s for learning rate η = %s%s:"
                + " gradient descent on a quadratic with λ_max above it diverges.",
            Format.cell(Format.get(r.get(0), "sample_set")),
            scope,
            Format.cell(Format.get(r.get(0), "sample_rows")),
            beta == 0 ? "2/η" : "2(1+β)/η",
            Format.cell(edge),
            Format.cell(lr),
            beta == 0 ? "" : " and momentum β = " + Format.cell(beta)));
    double[] step = column(r, "step");
    Chart c =
        Chart.xy(
            part.key("chart-curvature"), "Sharpness λ_max and trace over training", "step", false);
    int left = c.yAxis("λ_max", false, 0.0, null);
    int right = c.yAxis("trace", false, null, null);
    c.line("λ_max", left, step, column(r, "top_eigenvalue"));
    if (Double.isFinite(edge) && step.length > 0) {
      double[] ends = {step[0], step[step.length - 1]};
      c.dashed(
              beta == 0 ? "2/η (edge of stability)" : "2(1+β)/η (edge of stability)",
              left,
              ends,
              new double[] {edge, edge})
          .put("showSymbol", false);
    }
    double[] trace = column(r, "trace");
    double[] se = column(r, "trace_se");
    double[] lo = new double[trace.length];
    double[] hi = new double[trace.length];
    for (int i = 0; i < trace.length; i++) {
      lo[i] = trace[i] - 2 * se[i];
      hi[i] = trace[i] + 2 * se[i];
    }
    c.line("trace", right, step, trace);
    c.band("trace ± 2 SE", right, step, lo, hi, "#91cc75");
    phaseMarks(part, c, List.of());
    page.chart(c);
  }

  // ------------------------------------------------------------------------- noise-curvature

  private record NoiseCurvatureRows(List<Row> summary, List<Row> pairs, String missing) {}

  private void noiseCurvature(Page page) {
    perRun(
        page,
        NOISE_CURVATURE,
        "SGD noise covariance against curvature (C_ii against H_ii)",
        p -> {
          List<Row> summary = p.rows(Tables.NOISE_CURVATURE);
          List<Row> pairs = p.rows(Tables.NOISE_CURVATURE_PAIRS, "i");
          return new NoiseCurvatureRows(
              summary,
              pairs,
              summary.isEmpty() || pairs.isEmpty()
                  ? "table noise_curvature has no rows for "
                      + THIS_RUN
                      + " (jobs/noise-curvature --layer L)."
                  : null);
        },
        NoiseCurvatureRows::missing,
        (p, d) -> noiseCurvature(page, p, d.summary(), d.pairs()));
  }

  private static void noiseCurvature(Page page, Part part, List<Row> summary, List<Row> pairs) {
    Row s = summary.get(0);
    boolean rangeKnown = pairs.stream().anyMatch(p -> Format.get(p, "in_fit_range") != null);
    List<double[]> in = new ArrayList<>();
    List<double[]> out = new ArrayList<>();
    int dropped = 0;
    for (Row p : pairs) {
      double h = Format.dbl(p, "h_ii");
      double cii = Format.dbl(p, "c_ii");
      if (!(h > 0) || !(cii > 0)) {
        dropped++;
        continue;
      }
      boolean fitted = !rangeKnown || Boolean.TRUE.equals(Format.get(p, "in_fit_range"));
      (fitted ? in : out).add(new double[] {h, cii});
    }
    Double gamma = (Double) Format.get(s, "gamma_c");
    Double intercept = (Double) Format.get(s, "gamma_c_intercept");
    page.note(
        String.format(
            Locale.ROOT,
            "Layer %s at step %s, %s samples: each point is an eigen-direction i of the layer's"
                + " Hessian H (H_ii = λ_i) against the SGD noise covariance in that direction"
                + " C_ii (minibatch factor %s). Fit over %s: γ = %s, R² = %s; commutator"
                + " ‖[C,H]‖/(‖C‖‖H‖) = %s, cos(C, H) = %s. %d direction(s) with λ_i ≤ 0 or"
                + " C_ii ≤ 0 are not drawn.%s",
            Format.cell(Format.get(s, "layer")),
            Format.cell(Format.get(s, "step")),
            Format.cell(Format.get(s, "samples")),
            Format.cell(Format.get(s, "minibatch_factor")),
            Format.cell(Format.get(s, "fit_range")),
            Format.interval(s, "gamma_c", "gamma_c_low", "gamma_c_high"),
            Format.cell(Format.get(s, "gamma_c_r2")),
            Format.cell(Format.get(s, "commutator")),
            Format.cell(Format.get(s, "cos_c_h")),
            dropped,
            intercept == null
                ? " The fitted line needs noise_curvature.gamma_c_intercept (schema version 2):"
                    + " rerun jobs/noise-curvature to draw it."
                : " The γ = 1 and γ = 2 lines pass through the fit at the geometric middle of"
                    + " the fitted λ range: the paper's bounds 1 ≤ γ ≤ 2."));
    Chart c =
        Chart.xy(
            part.key("chart-noise-curvature"), "C_ii against H_ii (log-log)", "H_ii = λ_i", true);
    c.option().with("tooltip").put("trigger", "item");
    int y = c.yAxis("C_ii", true, null, null);
    c.scatter(rangeKnown ? "in fit range" : "directions", y, xs(in), ys(in));
    if (!out.isEmpty()) {
      c.scatter("outside fit range", y, xs(out), ys(out))
          .putObject("itemStyle")
          .put("color", "#aaa");
    }
    if (gamma != null && intercept != null && !in.isEmpty()) {
      double lo = in.stream().mapToDouble(p -> p[0]).min().orElseThrow();
      double hi = in.stream().mapToDouble(p -> p[0]).max().orElseThrow();
      double mid = Math.sqrt(lo * hi);
      double at = Math.exp(intercept + gamma * Math.log(mid));
      double[] x = {lo, hi};
      c.line(
              String.format(Locale.ROOT, "fit γ = %.3f", gamma),
              y,
              x,
              new double[] {
                Math.exp(intercept + gamma * Math.log(lo)),
                Math.exp(intercept + gamma * Math.log(hi))
              })
          .put("showSymbol", false);
      for (int bound = 1; bound <= 2; bound++) {
        double b = bound;
        c.dashed(
                "γ = " + bound,
                y,
                x,
                new double[] {at * Math.pow(lo / mid, b), at * Math.pow(hi / mid, b)})
            .put("showSymbol", false);
      }
    }
    page.chart(c);
  }

  // -------------------------------------------------------------------------------- duality

  /** Directions drawn by the duality chart: the sharpest ones, i = 1 .. this. */
  static final int DUALITY_DIRECTIONS = 30;

  private record DualityRows(List<Row> summary, List<Row> directions, String missing) {}

  private void duality(Page page) {
    perRun(
        page,
        DUALITY,
        "Activity–weight duality: the test−train loss gap by Hessian direction",
        p -> {
          List<Row> summary = p.rows(Tables.DUALITY_SUMMARY);
          List<Row> directions = p.rows(Tables.DUALITY, "i");
          return new DualityRows(
              summary,
              directions,
              summary.isEmpty() || directions.isEmpty()
                  ? "table duality_summary has no rows for "
                      + THIS_RUN
                      + " (jobs/duality --layer L on a built-in MLP run)."
                  : null);
        },
        DualityRows::missing,
        (p, d) -> duality(page, p, d.summary().get(0), d.directions()));
  }

  private static void duality(Page page, Part part, Row s, List<Row> directions) {
    int shown = Math.min(DUALITY_DIRECTIONS, directions.size());
    page.note(
        String.format(
            Locale.ROOT,
            "Layer %s at step %s, pairing in %s space: %s test samples paired with their nearest"
                + " training sample of the same class (%s skipped). Measured gap %s over the"
                + " pairs (%s over the sets); predicted by the second-order duality expansion"
                + " Σ_i (μ_g μ_w + c σ_g σ_w) over %s %s direction(s): %s; the authors' secant"
                + " form: %s. Identity error (W+Δw)a − W(a+Δa): %s. The bars show directions"
                + " i = 1..%d (h_i descending, λ_max = %s); docs/generalization.md defines each.",
            Format.cell(Format.get(s, "layer")),
            Format.cell(Format.get(s, "step")),
            Format.cell(Format.get(s, "pairing")),
            Format.cell(Format.get(s, "pairs")),
            Format.cell(Format.get(s, "pairs_skipped")),
            Format.cell(Format.get(s, "measured_gap_pairs")),
            Format.cell(Format.get(s, "measured_gap")),
            Format.cell(Format.get(s, "directions")),
            Format.cell(Format.get(s, "hessian")),
            Format.cell(Format.get(s, "predicted_gap")),
            Format.cell(Format.get(s, "predicted_gap_secant")),
            Format.cell(Format.get(s, "identity_error_max")),
            shown,
            Format.cell(Format.get(s, "lambda_max"))));
    List<String> labels = new ArrayList<>();
    double[] mean = new double[shown];
    double[] spread = new double[shown];
    double[] sharpness = new double[shown];
    double[] secant = new double[shown];
    for (int k = 0; k < shown; k++) {
      Row r = directions.get(k);
      labels.add(Format.cell(Format.get(r, "i")));
      mean[k] = Format.dbl(r, "mu_g") * Format.dbl(r, "mu_w");
      spread[k] = Format.dbl(r, "c") * Format.dbl(r, "sigma_g") * Format.dbl(r, "sigma_w");
      sharpness[k] = Format.dbl(r, "sharpness_spread");
      secant[k] = Format.dbl(r, "contribution_secant");
    }
    Chart c =
        Chart.categories(
            part.key("chart-duality"),
            "Loss-gap contribution per Hessian direction",
            "eigen-direction i (sharpest first)",
            labels);
    int y = c.yAxis("contribution to the loss gap", false, null, null);
    c.bars("c σ_g σ_w", y, spread, "#5470c6");
    c.bars("μ_g μ_w", y, mean, "#fac858");
    c.bars("½ h σ_w² (sharpness × spread)", y, sharpness, "#91cc75");
    c.bars("secant (authors)", y, secant, "#ee6666");
    c.option().with("tooltip").put("trigger", "axis");
    page.chart(c);
  }

  /** A table with one line per row and the given fields as columns. */
  private static void fieldTable(
      Page page, String id, List<Row> rows, List<String> fields, List<String> headers) {
    List<List<Object>> lines = new ArrayList<>();
    for (Row r : rows) {
      List<Object> line = new ArrayList<>();
      for (String field : fields) {
        line.add(Format.get(r, field));
      }
      lines.add(line);
    }
    page.table(id, headers, lines);
  }
}
