package org.sgdlens.report;

import static org.apache.spark.sql.functions.col;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.analysis.LakeTables;

/**
 * {@code jobs/report}: a self-contained HTML report of one run or of a sweep of runs, with the
 * plots a researcher would otherwise make by hand (Apache ECharts, inlined, so the file opens
 * offline). Sections whose tables have no rows for the run are left out with a one-line note.
 */
public final class Report {
  /**
   * What to report on. Exactly one of {@code runIds}, {@code sweep} or {@code all} is set.
   *
   * @param lake lake root
   * @param runIds one run, or several on one page (run report; empty for a sweep report)
   * @param sweep runs whose {@code runs.config_json} has this {@code name} (sweep report)
   * @param all every committed run (sweep report)
   * @param shownRuns sweep report only: the runs whose curves are shown when the page opens (empty:
   *     the first {@value #SHOWN_DEFAULT} by run id)
   * @param outDir folder the HTML file is written to (created if absent)
   */
  public record Options(
      String lake,
      List<String> runIds,
      String sweep,
      boolean all,
      List<String> shownRuns,
      String outDir) {
    public static final String OUT_DIR_DEFAULT = "./reports";

    public Options {
      runIds = runIds == null ? List.of() : List.copyOf(runIds);
      shownRuns = shownRuns == null ? List.of() : List.copyOf(shownRuns);
      int kinds = (runIds.isEmpty() ? 0 : 1) + (sweep != null ? 1 : 0) + (all ? 1 : 0);
      if (kinds != 1) {
        throw new IllegalArgumentException(
            "give exactly one of --run ID, --sweep NAME or --all (got "
                + (kinds == 0 ? "none" : "run=" + runIds + ", sweep=" + sweep + ", all=" + all)
                + ")");
      }
      if (!shownRuns.isEmpty() && !runIds.isEmpty()) {
        throw new IllegalArgumentException(
            "--runs "
                + shownRuns
                + " chooses the curves of a sweep report; a run report (--run) shows its runs"
                + " already: drop --runs, or use it with --sweep NAME or --all");
      }
      if (runIds.stream().distinct().count() != runIds.size()) {
        throw new IllegalArgumentException("--run names a run twice: " + runIds);
      }
      if (outDir == null || outDir.isBlank()) {
        throw new IllegalArgumentException("--out is empty; give a folder, e.g. --out reports");
      }
    }

    /** One run ({@code runId} non-null), a sweep or every run; no curve selection. */
    public Options(String lake, String runId, String sweep, boolean all, String outDir) {
      this(lake, runId == null ? List.of() : List.of(runId), sweep, all, List.of(), outDir);
    }
  }

  /**
   * A written report.
   *
   * @param file the HTML file
   * @param runs runs covered
   * @param sections every section in page order, omitted ones with their reason
   * @param charts chart keys in page order
   * @param bytes size of the file
   */
  public record Result(
      Path file, List<String> runs, List<Page.Section> sections, List<String> charts, long bytes) {
    public List<String> rendered() {
      return sections.stream().filter(s -> !s.omitted()).map(Page.Section::id).toList();
    }

    public List<String> omitted() {
      return sections.stream().filter(Page.Section::omitted).map(Page.Section::id).toList();
    }
  }

  /** Sections of a run report, in page order. */
  public static final List<String> RUN_SECTIONS = RunReport.SECTIONS;

  /** The run report's sections drawn from the curvature jobs' tables. */
  public static final String CURVATURE_SECTION = RunReport.CURVATURE;

  public static final String NOISE_CURVATURE_SECTION = RunReport.NOISE_CURVATURE;

  public static final String DUALITY_SECTION = RunReport.DUALITY;

  /** Runs whose curves a sweep report shows at first when {@code --runs} is not given. */
  public static final int SHOWN_DEFAULT = SweepReport.SHOWN_DEFAULT;

  private Report() {}

  /** Builds and writes the report; {@code progress} gets one line per section as it renders. */
  public static Result run(SparkSession spark, Options o, Consumer<String> progress) {
    Page page;
    List<String> runs;
    String fileName;
    if (!o.runIds().isEmpty()) {
      RunReport report = new RunReport(spark, o.lake(), o.runIds(), progress);
      page = report.render();
      runs = o.runIds();
      fileName =
          "run-" + String.join("+", o.runIds().stream().map(Report::safe).toList()) + ".html";
    } else {
      SweepReport report = new SweepReport(spark, o.lake(), o.sweep(), o.shownRuns(), progress);
      page = report.render();
      runs = report.runIds();
      fileName = "sweep-" + (o.sweep() == null ? "all" : safe(o.sweep())) + ".html";
    }
    page.subtitle(
        "Generated "
            + Instant.now().truncatedTo(ChronoUnit.SECONDS)
            + " from the lake at "
            + o.lake()
            + " by jobs/report. Charts: Apache ECharts (inlined; legend clicks show or hide"
            + " series, the toolbox zooms and saves PNG).");
    String html = page.html();
    Path dir = Path.of(o.outDir());
    Path file = dir.resolve(fileName);
    try {
      Files.createDirectories(dir);
      Files.writeString(file, html, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot write the report to " + file + ": " + e.getMessage(), e);
    }
    List<String> charts = page.charts().stream().map(Chart::key).toList();
    return new Result(file, runs, List.copyOf(page.sections()), charts, html.length());
  }

  /** A file-name-safe version of an id. */
  static String safe(String id) {
    return id.replaceAll("[^A-Za-z0-9._-]", "_");
  }

  /** Rows of a table for the given runs, ordered by the given columns. */
  static List<Row> rows(
      SparkSession spark, String lake, String table, List<String> runIds, String... orderBy) {
    Dataset<Row> data =
        LakeTables.read(spark, lake, table).where(col("run_id").isin(runIds.toArray()));
    if (orderBy.length > 0) {
      data = data.orderBy(orderBy[0], java.util.Arrays.copyOfRange(orderBy, 1, orderBy.length));
    }
    return new ArrayList<>(data.collectAsList());
  }
}
