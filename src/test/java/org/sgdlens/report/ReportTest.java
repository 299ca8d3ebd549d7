package org.sgdlens.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sgdlens.analysis.LakeTables;
import org.sgdlens.analysis.SparkTestBase;
import org.sgdlens.cli.CliAccess;
import org.sgdlens.cli.JobMain;
import org.sgdlens.lake.Tables;

/**
 * Reports from a synthetic lake whose result tables are written directly: a noisy run with every
 * table filled, a bare run with only runs and metrics, and a run of another sweep. The HTML must
 * hold every expected section, ECharts itself, and chart options that parse as JSON and carry the
 * data of the tables (checked against values computed here from the rows written).
 */
class ReportTest extends SparkTestBase {
  static final String NOISY = "noisy-run";
  static final String BARE = "bare-run";
  static final String OTHER = "other-run";
  static final long T_SEP = 800;
  static final int SAMPLES = 100;
  static final int WRONG = 20;
  static final double PSI = 1.5;
  static final double INTERCEPT = -9.0;
  static final double NC_GAMMA = 1.3;
  static final double NC_A = -2.0;
  static String lake;

  /** Directions of the duality fixture: more than the chart draws. */
  static final int DUALITY_ROWS = RunReport.DUALITY_DIRECTIONS + 5;

  @BeforeAll
  static void writeLake() {
    lake = lakePath("report-lake");
    Map<String, List<Row>> rows = new LinkedHashMap<>();
    add(rows, Tables.RUNS, run(NOISY, "sweep-a", 0.2, 0.05));
    add(rows, Tables.RUNS, run(BARE, "sweep-a", 0.0, 0.1));
    add(rows, Tables.RUNS, run(OTHER, "sweep-b", 0.0, 0.1));
    for (String id : List.of(NOISY, BARE, OTHER)) {
      for (long step = 0; step <= 2000; step += 100) {
        add(
            rows,
            Tables.METRICS,
            Map.of(
                "run_id",
                id,
                "step",
                step,
                "train_loss",
                2.0 / (1 + step / 100.0),
                "test_accuracy",
                accuracy(step),
                "clean_accuracy",
                accuracy(step),
                "mislabeled_fit",
                id.equals(NOISY) ? step / 2000.0 : Double.NaN));
      }
    }
    for (long step = 0; step <= 2000; step += 200) {
      double r = 0.5 - step / 5000.0;
      add(
          rows,
          Tables.ORDER_PARAMS,
          Map.of(
              "run_id",
              NOISY,
              "step",
              step,
              "alignment",
              r,
              "alignment_q25",
              r - 0.1,
              "alignment_q75",
              r + 0.1,
              "mean_grad_norm",
              1.0 / (1 + step),
              "noise_scale",
              10.0 + step,
              "snr",
              0.1 + step / 1000.0,
              "diverged",
              false));
    }
    for (long step = 0; step <= 2000; step += 500) {
      Map<String, Object> c = new HashMap<>();
      c.putAll(
          Map.of(
              "run_id",
              NOISY,
              "step",
              step,
              "scope",
              "all",
              "sample_set",
              "train",
              "sample_rows",
              SAMPLES,
              "top_eigenvalue",
              10.0 + step / 100.0,
              "trace",
              100.0 + step,
              "trace_se",
              5.0));
      // Steps 1000 and 1500 were also measured during training (record.curvature), one row
      // before and one after the job's: the job's row is drawn either way.
      Map<String, Object> recorded = new HashMap<>(c);
      recorded.put("top_eigenvalue", 99.0);
      recorded.put("source", "record");
      if (step == 1000) {
        add(rows, Tables.CURVATURE, recorded);
      }
      add(rows, Tables.CURVATURE, c);
      if (step == 1500) {
        add(rows, Tables.CURVATURE, recorded);
      }
    }
    Map<String, Object> nc = new HashMap<>();
    nc.putAll(
        Map.of(
            "run_id",
            NOISY,
            "step",
            2000L,
            "layer",
            "fc2.weight",
            "samples",
            (long) SAMPLES,
            "fit_range",
            "auto: 5 of 6",
            "gamma_c",
            NC_GAMMA,
            "gamma_c_low",
            NC_GAMMA - 0.1,
            "gamma_c_high",
            NC_GAMMA + 0.1,
            "gamma_c_r2",
            0.99,
            "gamma_c_intercept",
            NC_A));
    add(rows, Tables.NOISE_CURVATURE, nc);
    for (int i = 1; i <= 6; i++) {
      double h = Math.pow(10, -i / 2.0);
      add(
          rows,
          Tables.NOISE_CURVATURE_PAIRS,
          Map.of(
              "run_id",
              NOISY,
              "step",
              2000L,
              "layer",
              "fc2.weight",
              "i",
              i,
              "h_ii",
              h,
              "c_ii",
              Math.exp(NC_A + NC_GAMMA * Math.log(h)),
              "in_fit_range",
              i <= 5));
    }
    add(
        rows,
        Tables.DUALITY_SUMMARY,
        Map.of(
            "run_id",
            NOISY,
            "layer",
            "fc2.weight",
            "pairing",
            "input",
            "directions",
            DUALITY_ROWS,
            "pairs",
            500L,
            "predicted_gap",
            0.25,
            "predicted_gap_secant",
            0.5,
            "measured_gap_pairs",
            0.5));
    for (int i = 1; i <= DUALITY_ROWS; i++) {
      add(
          rows,
          Tables.DUALITY,
          Map.of(
              "run_id",
              NOISY,
              "i",
              i,
              "h",
              1.0 / i,
              "mu_g",
              0.1 * i,
              "mu_w",
              0.01,
              "sigma_g",
              2.0,
              "sigma_w",
              0.5 / i,
              "c",
              0.3,
              "sharpness_spread",
              0.125 / (i * i * i),
              "contribution_secant",
              0.02 * i));
    }
    String[] phases = {"I", "II", "III", "IV"};
    long[] gt = {0, 400, 1200, 1800};
    long[] lf = {0, 500, 1300, 1700};
    for (int i = 0; i < 4; i++) {
      add(rows, Tables.PHASES, phase("ground_truth", phases[i], i, gt));
      add(rows, Tables.PHASES, phase("label_free", phases[i], i, lf));
      if (i > 0) {
        add(
            rows,
            Tables.PHASE_BOUNDARIES,
            Map.of(
                "run_id",
                NOISY,
                "boundary",
                phases[i - 1] + "->" + phases[i],
                "ground_truth_step",
                gt[i],
                "label_free_step",
                lf[i],
                "distance_steps",
                lf[i] - gt[i]));
      }
    }
    for (long step = 0; step <= 2000; step += 100) {
      add(
          rows,
          Tables.LOSS_SEPARATION,
          Map.of(
              "run_id",
              NOISY,
              "step",
              step,
              "auroc",
              auroc(step),
              "d_prime",
              3 * auroc(step),
              "history_auroc",
              auroc(step) * 0.99,
              "history_d_prime",
              2.9 * auroc(step)));
    }
    add(
        rows,
        Tables.SEPARATION_SUMMARY,
        Map.of(
            "run_id",
            NOISY,
            "score",
            "loss",
            "window_steps",
            1,
            "t_sep",
            T_SEP,
            "max_auroc",
            auroc(T_SEP),
            "d_prime_at_t_sep",
            3 * auroc(T_SEP),
            "phase_ground_truth",
            "II",
            "in_phase_ii",
            true));
    add(
        rows,
        Tables.SEPARATION_SUMMARY,
        Map.of(
            "run_id",
            NOISY,
            "score",
            "history",
            "window_steps",
            5,
            "t_sep",
            900L,
            "max_auroc",
            0.97,
            "phase_ground_truth",
            "II",
            "in_phase_ii",
            true));
    for (int n = 0; n < SAMPLES; n++) {
      boolean wrong = n < WRONG;
      // Clean losses spread over 1e-3..1e-1, mislabeled over 1..10: disjoint halves of the bins.
      double loss =
          wrong ? Math.pow(10, n / (double) WRONG) : Math.pow(10, -3 + 2 * (n - WRONG) / 80.0);
      add(
          rows,
          Tables.SAMPLE_LOSSES,
          Map.of(
              "run_id",
              NOISY,
              "step",
              T_SEP,
              "sample_index",
              n,
              "mislabeled",
              wrong,
              "loss",
              loss));
      add(
          rows,
          Tables.SAMPLE_LOSSES,
          Map.of(
              "run_id",
              NOISY,
              "step",
              T_SEP + 100,
              "sample_index",
              n,
              "mislabeled",
              wrong,
              "loss",
              5.0));
    }
    add(
        rows,
        Tables.CLEANING,
        Map.of(
            "run_id",
            NOISY,
            "step",
            T_SEP,
            "num_flagged",
            22L,
            "precision",
            0.9,
            "recall",
            0.95,
            "f1",
            2 * 0.9 * 0.95 / 1.85));
    double total = 0;
    for (int i = 1; i <= 10; i++) {
      total += variance(i);
    }
    double cumulative = 0;
    for (int i = 1; i <= 10; i++) {
      cumulative += variance(i) / total;
      add(
          rows,
          Tables.PCA_VARIANCES,
          Map.of(
              "run_id",
              NOISY,
              "pca_window",
              "1000-2000",
              "component",
              i,
              "variance",
              variance(i),
              "explained_ratio",
              variance(i) / total,
              "cumulative_ratio",
              cumulative,
              "snapshots",
              11,
              "num_params",
              100L,
              "method",
              "mllib"));
      Map<String, Object> f =
          new HashMap<>(
              Map.of(
                  "run_id", NOISY, "pca_window", "1000-2000", "component", i, "censored", i == 10));
      if (i < 10) {
        f.put("flatness", flatness(i));
      }
      add(rows, Tables.FLATNESS, f);
    }
    add(
        rows,
        Tables.VARIANCE_FLATNESS,
        Map.of(
            "run_id",
            NOISY,
            "pca_window",
            "1000-2000",
            "fit_from",
            2,
            "fit_to",
            10,
            "psi",
            PSI,
            "psi_ci_low",
            1.2,
            "psi_ci_high",
            1.8,
            "intercept",
            INTERCEPT,
            "r2",
            0.99,
            "censored_excluded",
            1));
    for (Map.Entry<String, List<Row>> e : rows.entrySet()) {
      LakeTables.write(
          spark.createDataFrame(e.getValue(), LakeTables.sparkSchema(e.getKey())),
          lake,
          e.getKey());
    }
  }

  static double accuracy(long step) {
    return 0.1 + 0.8 * step / 2000.0;
  }

  static double auroc(long step) {
    return 0.5 + 0.45 * Math.exp(-Math.pow((step - T_SEP) / 600.0, 2));
  }

  /** Variances exactly on the fitted line: log σ² = a − ψ log F. */
  static double variance(int i) {
    return i == 10 ? 1e-6 : Math.exp(INTERCEPT - PSI * Math.log(flatness(i)));
  }

  static double flatness(int i) {
    return 0.1 * i;
  }

  static Map<String, Object> phase(String method, String phase, int i, long[] starts) {
    return Map.of(
        "run_id",
        NOISY,
        "method",
        method,
        "phase",
        phase,
        "phase_order",
        i,
        "start_step",
        starts[i],
        "end_step",
        i + 1 < 4 ? starts[i + 1] - 100 : 2000L,
        "label_noise",
        true,
        "rule",
        "test");
  }

  static Map<String, Object> run(String id, String name, double noise, double lr) {
    Timestamp t = Timestamp.valueOf("2026-11-27 10:00:00");
    Map<String, Object> m = new HashMap<>();
    m.putAll(
        Map.of(
            "run_id",
            id,
            "status",
            "COMMITTED",
            "started_at",
            t,
            "finished_at",
            t,
            "dataset",
            "synthetic",
            "model",
            "mlp:4-3",
            "train_size",
            SAMPLES,
            "noise_fraction",
            noise,
            "num_mislabeled",
            noise > 0 ? WRONG : 0,
            "learning_rate",
            lr));
    m.putAll(
        Map.of(
            "batch_size",
            32,
            "steps",
            2000L,
            "final_test_accuracy",
            accuracy(2000),
            "diverged",
            false,
            "config_json",
            "{\"name\":\"" + name + "\",\"run_id\":\"" + id + "\"}"));
    return m;
  }

  /** A row of {@code table} from named values; absent columns are null, NaN becomes null. */
  static void add(Map<String, List<Row>> rows, String table, Map<String, Object> values) {
    StructType schema = LakeTables.sparkSchema(table);
    for (String key : values.keySet()) {
      assertThat(schema.fieldNames()).as("column %s of %s", key, table).contains(key);
    }
    Object[] cells = new Object[schema.fields().length];
    int i = 0;
    for (StructField f : schema.fields()) {
      Object v = values.get(f.name());
      if (v == null && !f.nullable()) {
        v = filler(f);
      }
      cells[i++] = v instanceof Double d && d.isNaN() ? null : v;
    }
    rows.computeIfAbsent(table, k -> new ArrayList<>()).add(RowFactory.create(cells));
  }

  /** A value for a required column the report does not read. */
  static Object filler(StructField f) {
    return switch (f.dataType().typeName()) {
      case "string" -> "x";
      case "long" -> 0L;
      case "integer" -> 0;
      case "double" -> 0.0;
      case "boolean" -> false;
      case "timestamp" -> Timestamp.valueOf("2026-11-27 10:00:00");
      case "array" -> List.of();
      default -> throw new IllegalArgumentException("no filler for " + f);
    };
  }

  // ------------------------------------------------------------------------------- helpers

  static Map<String, JsonNode> charts(String html) throws Exception {
    Map<String, JsonNode> out = new LinkedHashMap<>();
    Matcher m =
        Pattern.compile(
                "<script type=\"application/json\" id=\"([^\"]+)-option\">(.*?)</script>",
                Pattern.DOTALL)
            .matcher(html);
    while (m.find()) {
      out.put(m.group(1), Chart.JSON.readTree(m.group(2).replace("<\\/", "</")));
    }
    return out;
  }

  static JsonNode series(JsonNode option, String name) {
    for (JsonNode s : option.get("series")) {
      if (s.get("name").asText().equals(name)) {
        return s;
      }
    }
    throw new AssertionError("no series " + name + " in " + option.get("title"));
  }

  static List<String> list(String html, String regex) {
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile(regex).matcher(html);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  /** Every axis of a chart option (xAxis may be one object or an array). */
  static List<JsonNode> axes(JsonNode option) {
    List<JsonNode> out = new ArrayList<>();
    for (String key : List.of("xAxis", "yAxis")) {
      JsonNode a = option.get(key);
      if (a == null) {
        continue;
      }
      if (a.isArray()) {
        a.forEach(out::add);
      } else {
        out.add(a);
      }
    }
    return out;
  }

  static Report.Options sweepOptions(String sweep, List<String> shown, String out) {
    return new Report.Options(lake, List.of(), sweep, sweep == null, shown, out);
  }

  /** The series names a chart's legend starts with switched off. */
  static List<String> hiddenInLegend(JsonNode option) {
    List<String> out = new ArrayList<>();
    JsonNode selected = option.get("legend").get("selected");
    if (selected != null) {
      selected
          .fields()
          .forEachRemaining(
              e -> {
                if (!e.getValue().asBoolean()) {
                  out.add(e.getKey());
                }
              });
    }
    return out;
  }

  static Report.Result report(Report.Options o, List<String> progress) {
    return Report.run(spark, o, progress::add);
  }

  // --------------------------------------------------------------------------------- tests

  @Test
  void runReportHasEverySectionAndTheTablesData() throws Exception {
    Path out = tempDir.resolve("out");
    List<String> progress = new ArrayList<>();
    Report.Result r =
        report(new Report.Options(lake, NOISY, null, false, out.toString()), progress);
    String html = Files.readString(r.file());

    assertThat(r.file()).as("file name").isEqualTo(out.resolve("run-" + NOISY + ".html"));
    assertThat(r.rendered()).as("rendered sections").containsExactlyElementsOf(RunReport.SECTIONS);
    assertThat(r.omitted()).as("omitted sections").isEmpty();
    assertThat(progress).as("one progress line per section").hasSize(RunReport.SECTIONS.size());
    assertThat(list(html, "<section class=\"report-section\" id=\"([^\"]+)\">"))
        .as("section elements")
        .containsExactlyElementsOf(RunReport.SECTIONS);
    assertThat(html)
        .as("self-contained: no external scripts or styles")
        .doesNotContain("<script src")
        .doesNotContain("<link ")
        .startsWith("<!DOCTYPE html>")
        .endsWith("</html>\n");
    assertThat(html).as("ECharts inlined").contains(Page.echarts().substring(0, 200));

    Map<String, JsonNode> charts = charts(html);
    assertThat(charts.keySet())
        .as("chart options, in page order")
        .containsExactlyElementsOf(r.charts())
        .containsExactly(
            "chart-order-params",
            "chart-noise-scale",
            "chart-metrics",
            "chart-loss-histogram",
            "chart-separation",
            "chart-variance-flatness",
            "chart-pca-cumulative",
            "chart-pca-spectrum",
            "chart-curvature",
            "chart-noise-curvature",
            "chart-duality");
    assertThat(list(html, "<div class=\"chart[^\"]*\" id=\"([^\"]+)\"></div>"))
        .as("one div per chart")
        .containsExactlyElementsOf(r.charts());
    assertThat(html).as("chart count on body").contains("data-charts=\"" + charts.size() + "\"");
    for (Map.Entry<String, JsonNode> c : charts.entrySet()) {
      assertThat(c.getValue().get("series").size()).as("%s has series", c.getKey()).isPositive();
      assertThat(c.getValue().get("series").get(0).get("data").size())
          .as("%s has data", c.getKey())
          .isPositive();
    }

    // Headline: config, boundaries, t_sep, cleaning, psi with CI.
    assertThat(html)
        .as("headline numbers")
        .contains(
            "<td>sweep-a</td>",
            "<td>I-&gt;II</td>",
            "<td>800</td>",
            "1.500 [1.200, 1.800]",
            "<td>0.9000</td>",
            "<td>0.9500</td>");

    // Test error is 1 - test accuracy at every step.
    JsonNode testError =
        series(charts.get("chart-metrics"), "test error 1 − test accuracy").get("data");
    assertThat(testError).as("test error points").hasSize(21);
    for (JsonNode p : testError) {
      assertThat(p.get(1).asDouble())
          .as("test error at %s", p.get(0))
          .isCloseTo(1 - accuracy(p.get(0).asLong()), org.assertj.core.data.Offset.offset(1e-12));
    }
    // Phases: four ground-truth spans, label-free starts as markers.
    JsonNode alignment = charts.get("chart-order-params").get("series").get(0);
    assertThat(alignment.get("markArea").get("data")).as("ground-truth phase spans").hasSize(4);
    assertThat(alignment.get("markArea").get("data").get(1).get(0).get("xAxis").asDouble())
        .as("phase II starts at its ground-truth step")
        .isEqualTo(400.0);
    assertThat(alignment.get("markLine").get("data"))
        .as("label-free phase starts II..IV")
        .hasSize(3);
    JsonNode band = series(charts.get("chart-order-params"), "R q25–q75");
    assertThat(band.get("type").asText()).as("band series type").isEqualTo(Chart.BAND);
    assertThat(
            band.get("data").get(0).get(2).asDouble() - band.get("data").get(0).get(1).asDouble())
        .as("band width q75 - q25")
        .isCloseTo(0.2, org.assertj.core.data.Offset.offset(1e-12));

    // Histograms at t_sep: each group sums to 1; mislabeled mass sits above every clean bin.
    JsonNode hist = charts.get("chart-loss-histogram");
    assertThat(hist.get("title").get("text").asText())
        .as("histogram step")
        .contains("t_sep = " + T_SEP);
    double[] clean = values(series(hist, "clean").get("data"));
    double[] wrong = values(series(hist, "mislabeled").get("data"));
    assertThat(clean).as("bins").hasSize(RunReport.BINS);
    assertThat(java.util.Arrays.stream(clean).sum())
        .as("clean fractions sum")
        .isCloseTo(1, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(java.util.Arrays.stream(wrong).sum())
        .as("mislabeled fractions sum")
        .isCloseTo(1, org.assertj.core.data.Offset.offset(1e-9));
    int lastClean = 0;
    int firstWrong = clean.length;
    for (int i = 0; i < clean.length; i++) {
      if (clean[i] > 0) {
        lastClean = i;
      }
      if (wrong[i] > 0 && firstWrong == clean.length) {
        firstWrong = i;
      }
    }
    assertThat(firstWrong)
        .as("mislabeled losses (1..10) lie above clean ones (1e-3..1e-1)")
        .isGreaterThan(lastClean);
    assertThat(hist.get("xAxis").get("data").get(0).asText())
        .as("first bin centre is a loss near 1e-3")
        .startsWith("0.001");

    // σ² against F: the points lie on the fitted line, the censored direction is left out.
    JsonNode vf = charts.get("chart-variance-flatness");
    String yName = vf.get("yAxis").get(0).get("name").asText();
    int k = Chart.decade(variance(1));
    assertThat(yName)
        .as("rescaled σ² axis: a value v on it is σ² = v · 1e-k")
        .isEqualTo("variance σ², in units of 1e" + (-k));
    JsonNode inRange = vf.get("series").get(0).get("data");
    assertThat(inRange).as("components 2..9 in the fit range (10 is censored)").hasSize(8);
    JsonNode fitLine = vf.get("series").get(2).get("data");
    for (JsonNode p : fitLine) {
      double f = p.get(0).asDouble();
      assertThat(p.get(1).asDouble() / Math.pow(10, k))
          .as("fit line at F=%s", f)
          .isCloseTo(
              Math.exp(INTERCEPT - PSI * Math.log(f)),
              org.assertj.core.data.Offset.offset(1e-9 * Math.exp(INTERCEPT - PSI * Math.log(f))));
    }
    JsonNode cumulative =
        series(charts.get("chart-pca-cumulative"), "cumulative ratio").get("data");
    assertThat(cumulative.get(cumulative.size() - 1).get(1).asDouble())
        .as("cumulative ratio ends at 1")
        .isCloseTo(1, org.assertj.core.data.Offset.offset(1e-12));
  }

  static double[] values(JsonNode data) {
    double[] out = new double[data.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = data.get(i).asDouble();
    }
    return out;
  }

  @Test
  void curvatureSectionsDrawTheEdgeOfStabilityAndTheGammaFitWithItsBounds() throws Exception {
    Report.Result r =
        report(
            new Report.Options(lake, NOISY, null, false, tempDir.resolve("curv").toString()),
            new ArrayList<>());
    Map<String, JsonNode> charts = charts(Files.readString(r.file()));
    JsonNode curvature = charts.get("chart-curvature");
    assertThat(series(curvature, "λ_max").get("data")).as("λ_max points").hasSize(5);
    assertThat(series(curvature, "λ_max").get("data").get(4).get(1).asDouble()).isEqualTo(30.0);
    assertThat(series(curvature, "λ_max").get("data").get(2).get(1).asDouble())
        .as("step 1000: the job's row over the one recorded during training")
        .isEqualTo(20.0);
    assertThat(series(curvature, "λ_max").get("data").get(3).get(1).asDouble())
        .as("step 1500 likewise")
        .isEqualTo(25.0);
    JsonNode edge = series(curvature, "2/η (edge of stability)").get("data");
    assertThat(edge.get(0).get(1).asDouble()).as("2/η for lr 0.05").isCloseTo(40.0, within(1e-9));
    assertThat(edge.get(1).get(0).asDouble()).as("to the last step").isEqualTo(2000.0);

    JsonNode nc = charts.get("chart-noise-curvature");
    assertThat(series(nc, "in fit range").get("data")).hasSize(5);
    assertThat(series(nc, "outside fit range").get("data")).hasSize(1);
    JsonNode fit = series(nc, String.format(java.util.Locale.ROOT, "fit γ = %.3f", NC_GAMMA));
    double x0 = fit.get("data").get(0).get(0).asDouble();
    double x1 = fit.get("data").get(1).get(0).asDouble();
    assertThat(x0)
        .as("fit from the smallest fitted λ")
        .isCloseTo(Math.pow(10, -2.5), within(1e-15));
    assertThat(x1).as("to the largest").isCloseTo(Math.pow(10, -0.5), within(1e-12));
    assertThat(fit.get("data").get(1).get(1).asDouble())
        .as("the fitted line through the exact power law")
        .isCloseTo(Math.exp(NC_A + NC_GAMMA * Math.log(x1)), within(1e-12));
    for (int bound = 1; bound <= 2; bound++) {
      JsonNode b = series(nc, "γ = " + bound).get("data");
      double slope =
          Math.log(b.get(1).get(1).asDouble() / b.get(0).get(1).asDouble()) / Math.log(x1 / x0);
      assertThat(slope).as("slope of the γ = %d bound", bound).isCloseTo(bound, within(1e-9));
      double mid = Math.sqrt(x0 * x1);
      double atMid = b.get(0).get(1).asDouble() * Math.pow(mid / x0, bound);
      assertThat(atMid)
          .as("the γ = %d bound meets the fit at the middle of the range", bound)
          .isCloseTo(Math.exp(NC_A + NC_GAMMA * Math.log(mid)), within(1e-9 * atMid));
    }
  }

  @Test
  void dualitySectionDrawsTheDecompositionBarsOfTheSharpestDirections() throws Exception {
    Report.Result r =
        report(
            new Report.Options(lake, NOISY, null, false, tempDir.resolve("dual").toString()),
            new ArrayList<>());
    String html = Files.readString(r.file());
    JsonNode chart = charts(html).get("chart-duality");
    int shown = RunReport.DUALITY_DIRECTIONS;
    assertThat(chart.get("xAxis").get("data")).as("directions 1..%d", shown).hasSize(shown);
    assertThat(chart.get("xAxis").get("data").get(shown - 1).asText()).isEqualTo("" + shown);
    JsonNode spread = series(chart, "c σ_g σ_w").get("data");
    JsonNode mean = series(chart, "μ_g μ_w").get("data");
    JsonNode sharp = series(chart, "½ h σ_w² (sharpness × spread)").get("data");
    JsonNode secant = series(chart, "secant (authors)").get("data");
    for (int k = 0; k < shown; k++) {
      int i = k + 1;
      assertThat(spread.get(k).asDouble()).isCloseTo(0.3 * 2.0 * 0.5 / i, within(1e-12));
      assertThat(mean.get(k).asDouble()).isCloseTo(0.1 * i * 0.01, within(1e-12));
      assertThat(sharp.get(k).asDouble()).isCloseTo(0.125 / (i * i * i), within(1e-12));
      assertThat(secant.get(k).asDouble()).isCloseTo(0.02 * i, within(1e-12));
    }
    assertThat(html).contains("pairing in input space", "secant form: 0.5000");
  }

  @Test
  void emptyTablesLeaveSectionsOutWithANote() throws Exception {
    Report.Result r =
        report(
            new Report.Options(lake, BARE, null, false, tempDir.resolve("bare").toString()),
            new ArrayList<>());
    String html = Files.readString(r.file());
    assertThat(r.rendered()).as("rendered").containsExactly(RunReport.HEADLINE, RunReport.METRICS);
    assertThat(r.omitted())
        .as("omitted")
        .containsExactly(
            RunReport.ORDER_PARAMS,
            RunReport.LOSS_HISTOGRAMS,
            RunReport.SEPARATION,
            RunReport.VARIANCE_FLATNESS,
            RunReport.PCA,
            RunReport.CURVATURE,
            RunReport.NOISE_CURVATURE,
            RunReport.DUALITY);
    assertThat(list(html, "<p class=\"omitted\" data-section=\"([^\"]+)\">"))
        .as("one note each")
        .containsExactlyElementsOf(r.omitted());
    assertThat(html)
        .as("the note names the empty table")
        .contains("table order_params has no rows");
    assertThat(charts(html).keySet()).as("charts").containsExactly("chart-metrics");
    JsonNode fw = series(charts(html).get("chart-metrics"), "f_W mislabeled fit");
    assertThat(fw.get("data")).as("no f_W without label noise").isEmpty();
  }

  @Test
  void sweepReportHasOnePointPerRunOfTheSweep() throws Exception {
    Report.Result r =
        report(
            new Report.Options(lake, null, "sweep-a", false, tempDir.resolve("sweep").toString()),
            new ArrayList<>());
    String html = Files.readString(r.file());
    assertThat(r.file().getFileName().toString()).as("file").isEqualTo("sweep-sweep-a.html");
    assertThat(r.runs()).as("runs named sweep-a").containsExactly(BARE, NOISY);
    assertThat(r.rendered()).as("sections").containsExactlyElementsOf(SweepReport.SECTIONS);
    assertThat(html)
        .as("table of runs")
        .contains("<td>" + NOISY + "</td>", "<td>" + BARE + "</td>")
        .doesNotContain("<td>" + OTHER + "</td>");
    Map<String, JsonNode> charts = charts(html);
    JsonNode acc = charts.get("chart-final-test-accuracy-vs-noise-fraction");
    assertThat(acc.get("series").get(0).get("data")).as("one point per run").hasSize(2);
    assertThat(charts.get("chart-max-auroc-vs-noise-fraction").get("series").get(0).get("data"))
        .as("only the noisy run has an AUROC")
        .hasSize(1);
    JsonNode psiPoint =
        charts.get("chart-psi-vs-learning-rate").get("series").get(0).get("data").get(0);
    assertThat(psiPoint.get("value").get(0).asDouble())
        .as("psi at the noisy run's learning rate")
        .isEqualTo(0.05);
    assertThat(psiPoint.get("value").get(1).asDouble()).as("psi").isEqualTo(PSI);
    assertThat(psiPoint.get("name").asText()).as("point named by its run").isEqualTo(NOISY);
    JsonNode psiChart = charts.get("chart-psi-vs-learning-rate");
    List<String> psiSeries = new ArrayList<>();
    psiChart.get("series").forEach(s -> psiSeries.add(s.get("type").asText()));
    assertThat(psiSeries)
        .as("psi as points with error bars, not CI ends as separate markers")
        .containsExactly("scatter", Chart.ERROR_BARS);
    JsonNode bar = psiChart.get("series").get(1).get("data");
    assertThat(bar).as("one bar per run with a psi").hasSize(1);
    assertThat(bar.get(0).get("name").asText()).as("bar named by its run").isEqualTo(NOISY);
    assertThat(values(bar.get(0).get("value")))
        .as("[learning rate, CI low, CI high]")
        .containsExactly(0.05, 1.2, 1.8);
    assertThat(charts.get("chart-sweep-test-error").get("series"))
        .as("one curve per run")
        .hasSize(2);
    assertThat(Files.readString(r.file()))
        .as("the page script draws the error bars")
        .contains("s.type === '" + Chart.ERROR_BARS + "'");

    Report.Result all =
        report(
            new Report.Options(lake, null, null, true, tempDir.resolve("sweep").toString()),
            new ArrayList<>());
    assertThat(all.runs()).as("--all").containsExactly(BARE, NOISY, OTHER);
    assertThat(all.file().getFileName().toString()).as("file").isEqualTo("sweep-all.html");
  }

  @Test
  void everyLogAxisLabelsInScientificNotationAndNoLabelIsClipped() throws Exception {
    Map<String, Integer> logAxes = new LinkedHashMap<>();
    for (Report.Options o :
        List.of(
            new Report.Options(lake, NOISY, null, false, tempDir.resolve("log-run").toString()),
            sweepOptions("sweep-a", List.of(), tempDir.resolve("log-sweep").toString()))) {
      Report.Result r = report(o, new ArrayList<>());
      String html = Files.readString(r.file());
      int count = 0;
      for (Map.Entry<String, JsonNode> c : charts(html).entrySet()) {
        assertThat(c.getValue().get("grid").get("containLabel").asBoolean())
            .as("%s: margins measured from the labels, so none is clipped", c.getKey())
            .isTrue();
        for (JsonNode axis : axes(c.getValue())) {
          if (axis.get("type").asText().equals("log")) {
            count++;
            assertThat(axis.path("axisLabel").path("formatter").asText())
                .as("%s log axis '%s' labels", c.getKey(), axis.path("name").asText())
                .isEqualTo(Chart.LOG_LABELS);
          }
        }
      }
      logAxes.put(r.file().getFileName().toString(), count);
      assertThat(html)
          .as("the page script turns the marker into the scientific-notation formatter")
          .contains("a.axisLabel.formatter === '" + Chart.LOG_LABELS + "'")
          .contains("a.axisLabel.formatter = logLabel;");
    }
    assertThat(logAxes)
        .as(
            "log axes: A, noise scale, SNR, train loss, F and σ², rank and spectrum, H_ii and C_ii"
                + " in the run"
                + " report; train loss, noise scale, rank and spectrum in the sweep's curves")
        .containsEntry("run-" + NOISY + ".html", 10)
        .containsEntry("sweep-sweep-a.html", 4);
  }

  @Test
  void everyChartSavesAPngThroughTheCanvasRendererNotSvg() throws Exception {
    Report.Result r =
        report(
            new Report.Options(lake, NOISY, null, false, tempDir.resolve("png").toString()),
            new ArrayList<>());
    String html = Files.readString(r.file());
    for (Map.Entry<String, JsonNode> c : charts(html).entrySet()) {
      JsonNode features = c.getValue().get("toolbox").get("feature");
      assertThat(features.has("saveAsImage"))
          .as("%s: ECharts' saveAsImage saves SVG from the SVG renderer", c.getKey())
          .isFalse();
      assertThat(features.path(Chart.PNG_FEATURE).path("type").asText())
          .as("%s PNG feature", c.getKey())
          .isEqualTo("png");
      assertThat(features.path(Chart.PNG_FEATURE).path("title").asText()).isEqualTo("save PNG");
    }
    assertThat(html)
        .as("the exporter: the feature's onclick redraws the chart on a canvas and saves PNG")
        .contains("option.toolbox.feature['" + Chart.PNG_FEATURE + "']")
        .contains("feature.onclick = function () { download(entry); }")
        .contains("renderer: 'canvas'")
        .contains("getDataURL({ type: 'png'")
        .contains("a.download = entry.div.id.replace(/^chart-/, '') + '.png'")
        .contains("location.search.indexOf('" + Page.PNG_CHECK + "')");
  }

  @Test
  void severalRunsOnOnePageHoldEverySectionOfEachRun() throws Exception {
    Report.Result r =
        report(
            new Report.Options(
                lake,
                List.of(NOISY, BARE),
                null,
                false,
                List.of(),
                tempDir.resolve("two").toString()),
            new ArrayList<>());
    String html = Files.readString(r.file());
    assertThat(r.file().getFileName().toString())
        .as("file")
        .isEqualTo("run-" + NOISY + "+" + BARE + ".html");
    assertThat(r.runs()).as("runs").containsExactly(NOISY, BARE);
    assertThat(r.rendered())
        .as("a section is drawn when any run has it")
        .containsExactlyElementsOf(RunReport.SECTIONS);
    assertThat(html)
        .as("a heading per run in each section, a note where a run has nothing")
        .contains(
            "<h3 class=\"run\">Run " + NOISY + "</h3>", "<h3 class=\"run\">Run " + BARE + "</h3>")
        .contains("Nothing for run " + BARE + ": table order_params has no rows for this run");
    Map<String, JsonNode> charts = charts(html);
    assertThat(charts.keySet())
        .as("chart keys carry their run")
        .containsExactly(
            "chart-order-params--" + NOISY,
            "chart-noise-scale--" + NOISY,
            "chart-metrics--" + NOISY,
            "chart-metrics--" + BARE,
            "chart-loss-histogram--" + NOISY,
            "chart-separation--" + NOISY,
            "chart-variance-flatness--" + NOISY,
            "chart-pca-cumulative--" + NOISY,
            "chart-pca-spectrum--" + NOISY,
            "chart-curvature--" + NOISY,
            "chart-noise-curvature--" + NOISY,
            "chart-duality--" + NOISY);
    assertThat(list(html, "<div class=\"chart[^\"]*\" id=\"([^\"]+)\"></div>"))
        .as("one div per chart")
        .containsExactlyElementsOf(r.charts());
    JsonNode bare =
        series(charts.get("chart-metrics--" + BARE), "test error 1 − test accuracy").get("data");
    assertThat(bare).as("the bare run's own metrics").hasSize(21);
    for (JsonNode p : bare) {
      assertThat(p.get(1).asDouble())
          .isCloseTo(1 - accuracy(p.get(0).asLong()), org.assertj.core.data.Offset.offset(1e-12));
    }
    assertThat(
            series(charts.get("chart-metrics--" + BARE), "f_W mislabeled fit").get("data").size())
        .as("no f_W on the run without label noise, though the other run has it")
        .isZero();

    Report.Result none =
        report(
            new Report.Options(
                lake,
                List.of(BARE, OTHER),
                null,
                false,
                List.of(),
                tempDir.resolve("two").toString()),
            new ArrayList<>());
    assertThat(none.omitted())
        .as("sections no run has")
        .containsExactly(
            RunReport.ORDER_PARAMS,
            RunReport.LOSS_HISTOGRAMS,
            RunReport.SEPARATION,
            RunReport.VARIANCE_FLATNESS,
            RunReport.PCA,
            RunReport.CURVATURE,
            RunReport.NOISE_CURVATURE,
            RunReport.DUALITY);
    assertThat(Files.readString(none.file()))
        .contains("table order_params has no rows for any of these runs");
  }

  @Test
  void sweepCurvesOverlayTheRunsAndTheChosenOnesAreShown() throws Exception {
    // Curves are labelled with what differs between the sweep's runs: noise and learning rate.
    String bare = BARE + " (ρ 0, lr 0.1)";
    String noisy = NOISY + " (ρ 0.2, lr 0.05)";
    Report.Result r =
        report(
            sweepOptions("sweep-a", List.of(), tempDir.resolve("curves").toString()),
            new ArrayList<>());
    Map<String, JsonNode> charts = charts(Files.readString(r.file()));
    Map<String, List<String>> curves = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> c : charts.entrySet()) {
      if (c.getKey().startsWith("chart-sweep-")) {
        List<String> names = new ArrayList<>();
        c.getValue().get("series").forEach(s -> names.add(s.get("name").asText()));
        curves.put(c.getKey(), names);
        assertThat(c.getValue().get(Chart.LEGEND_GROUP).asText())
            .as("%s toggles runs with the other curve charts", c.getKey())
            .isEqualTo(SweepReport.RUN_GROUP);
        assertThat(hiddenInLegend(c.getValue())).as("%s: 2 runs, all shown", c.getKey()).isEmpty();
      }
    }
    assertThat(curves)
        .as("one curve per run that has the table's rows, named by its run")
        .containsExactly(
            Map.entry("chart-sweep-test-error", List.of(bare, noisy)),
            Map.entry("chart-sweep-train-loss", List.of(bare, noisy)),
            Map.entry("chart-sweep-auroc", List.of(noisy)),
            Map.entry("chart-sweep-alignment", List.of(noisy)),
            Map.entry("chart-sweep-noise-scale", List.of(noisy)),
            Map.entry("chart-sweep-pca-spectrum", List.of(noisy)));
    for (String chart : curves.keySet()) {
      assertThat(series(charts.get(chart), noisy).get("lineStyle").get("color").asText())
          .as("%s: the noisy run keeps its colour where the bare run has no curve", chart)
          .isEqualTo(SweepReport.PALETTE[1]);
    }
    for (JsonNode p : series(charts.get("chart-sweep-train-loss"), bare).get("data")) {
      assertThat(p.get(1).asDouble())
          .as("train loss at step %s", p.get(0))
          .isCloseTo(
              2.0 / (1 + p.get(0).asLong() / 100.0), org.assertj.core.data.Offset.offset(1e-12));
    }
    for (JsonNode p : series(charts.get("chart-sweep-auroc"), noisy).get("data")) {
      assertThat(p.get(1).asDouble())
          .as("AUROC at step %s", p.get(0))
          .isCloseTo(auroc(p.get(0).asLong()), org.assertj.core.data.Offset.offset(1e-12));
    }
    double total = 0;
    for (int i = 1; i <= 10; i++) {
      total += variance(i);
    }
    JsonNode spectrum = series(charts.get("chart-sweep-pca-spectrum"), noisy).get("data");
    assertThat(spectrum).as("components 1..10").hasSize(10);
    for (JsonNode p : spectrum) {
      assertThat(p.get(1).asDouble())
          .as("explained ratio of component %s", p.get(0))
          .isCloseTo(
              variance(p.get(0).asInt()) / total, org.assertj.core.data.Offset.offset(1e-12));
    }

    Report.Result chosen =
        report(
            sweepOptions("sweep-a", List.of(NOISY), tempDir.resolve("chosen").toString()),
            new ArrayList<>());
    Map<String, JsonNode> chosenCharts = charts(Files.readString(chosen.file()));
    assertThat(hiddenInLegend(chosenCharts.get("chart-sweep-test-error")))
        .as("--runs " + NOISY + ": the other run starts switched off")
        .containsExactly(bare);
    assertThat(hiddenInLegend(chosenCharts.get("chart-sweep-auroc")))
        .as("a chart without the hidden run")
        .isEmpty();
    assertThatThrownBy(
            () ->
                report(
                    sweepOptions("sweep-a", List.of(NOISY, OTHER), tempDir.toString()),
                    new ArrayList<>()))
        .as("--runs names a run of another sweep")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("[" + OTHER + "]")
        .hasMessageContaining("[" + BARE + ", " + NOISY + "]");
    assertThatThrownBy(
            () -> new Report.Options(lake, List.of(NOISY), null, false, List.of(BARE), "out"))
        .as("--runs with --run")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--runs [" + BARE + "] chooses the curves of a sweep report");
  }

  @Test
  void aLargeSweepShowsTheFirstRunsAndKeepsTheOthersInTheLegend() throws Exception {
    String many = lakePath("many-runs-lake");
    int n = SweepReport.SHOWN_DEFAULT + 2;
    Map<String, List<Row>> rows = new LinkedHashMap<>();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String id = String.format(java.util.Locale.ROOT, "many-%02d", i);
      ids.add(id);
      add(rows, Tables.RUNS, run(id, "many", 0.0, 0.1));
      for (long step = 0; step <= 200; step += 100) {
        add(
            rows,
            Tables.METRICS,
            Map.of("run_id", id, "step", step, "train_loss", 1.0 + i, "test_accuracy", 0.5));
      }
    }
    for (Map.Entry<String, List<Row>> e : rows.entrySet()) {
      LakeTables.write(
          spark.createDataFrame(e.getValue(), LakeTables.sparkSchema(e.getKey())),
          many,
          e.getKey());
    }
    Report.Result r =
        report(
            new Report.Options(
                many, List.of(), "many", false, List.of(), tempDir.resolve("many").toString()),
            new ArrayList<>());
    String html = Files.readString(r.file());
    JsonNode testError = charts(html).get("chart-sweep-test-error");
    assertThat(testError.get("series")).as("every run is in the chart").hasSize(n);
    assertThat(hiddenInLegend(testError))
        .as("runs after the first %d start switched off", SweepReport.SHOWN_DEFAULT)
        .containsExactlyElementsOf(ids.subList(SweepReport.SHOWN_DEFAULT, n));
    assertThat(html)
        .as("the page says so")
        .contains(SweepReport.SHOWN_DEFAULT + " of " + n + " runs")
        .contains("choose others with --runs ID,...");
  }

  @Test
  void badSelectionsNameTheValueAndTheFix() {
    String out = tempDir.resolve("bad").toString();
    assertThatThrownBy(
            () -> report(new Report.Options(lake, "nope", null, false, out), new ArrayList<>()))
        .as("unknown run")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'nope'")
        .hasMessageContaining(NOISY);
    assertThatThrownBy(
            () -> report(new Report.Options(lake, null, "nope", false, out), new ArrayList<>()))
        .as("unknown sweep")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'nope'")
        .hasMessageContaining("sweep-a")
        .hasMessageContaining("sweep-b");
    assertThatThrownBy(() -> new Report.Options(lake, NOISY, null, true, out))
        .as("two selections")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("exactly one of --run ID, --sweep NAME or --all");
  }

  @Test
  void entryPointWritesTheReportAndRejectsTwoSelections() throws Exception {
    Path out = tempDir.resolve("cli");
    assertThat(CliAccess.run("report", "--help")).as("--help exit code").isZero();
    assertThat(
            CliAccess.run("report", "--lake", lake, "--sweep", "sweep-b", "--out", out.toString()))
        .as("exit code")
        .isZero();
    assertThat(out.resolve("sweep-sweep-b.html")).as("written").isNotEmptyFile();
    assertThat(
            CliAccess.run(
                "report", "--lake", lake, "--run", NOISY + "," + BARE, "--out", out.toString()))
        .as("--run ID,ID exit code")
        .isZero();
    assertThat(out.resolve("run-" + NOISY + "+" + BARE + ".html"))
        .as("one page of both runs")
        .isNotEmptyFile();
    assertThat(
            CliAccess.run(
                "report", "--lake", lake, "--all", "--runs", OTHER, "--out", out.toString()))
        .as("--all --runs exit code")
        .isZero();
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    int code =
        JobMain.execute(
            "report",
            new String[] {"--lake", lake, "--run", NOISY, "--all"},
            CliAccess.body("report"),
            new java.io.PrintStream(err, true));
    assertThat(code).as("bad options exit code").isEqualTo(1);
    assertThat(err.toString()).as("one-line error").startsWith("report: give exactly one of");
  }
}
