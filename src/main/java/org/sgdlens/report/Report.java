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
   * What to report on. Exactly one of {@code runId}, {@code sweep} or {@code all} is set.
   *
   * @param lake lake root
   * @param runId one run (run report)
   * @param sweep runs whose {@code runs.config_json} has this {@code name} (sweep report)
   * @param all every committed run (sweep report)
   * @param outDir folder the HTML file is written to (created if absent)
   */
  public record Options(String lake, String runId, String sweep, boolean all, String outDir) {
    public static final String OUT_DIR_DEFAULT = "./reports";

    public Options {
      int kinds = (runId != null ? 1 : 0) + (sweep != null ? 1 : 0) + (all ? 1 : 0);
      if (kinds != 1) {
        throw new IllegalArgumentException(
            "give exactly one of --run ID, --sweep NAME or --all (got "
                + (kinds == 0 ? "none" : "run=" + runId + ", sweep=" + sweep + ", all=" + all)
                + ")");
      }
      if (outDir == null || outDir.isBlank()) {
        throw new IllegalArgumentException("--out is empty; give a folder, e.g. --out reports");
      }
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

  private Report() {}

  /** Builds and writes the report; {@code progress} gets one line per section as it renders. */
  public static Result run(SparkSession spark, Options o, Consumer<String> progress) {
    Page page;
    List<String> runs;
    String fileName;
    if (o.runId() != null) {
      RunReport report = new RunReport(spark, o.lake(), o.runId(), progress);
      page = report.render();
      runs = List.of(o.runId());
      fileName = "run-" + safe(o.runId()) + ".html";
    } else {
      SweepReport report = new SweepReport(spark, o.lake(), o.sweep(), progress);
      page = report.render();
      runs = report.runIds();
      fileName = "sweep-" + (o.sweep() == null ? "all" : safe(o.sweep())) + ".html";
    }
    page.subtitle(
        "Generated "
            + Instant.now().truncatedTo(ChronoUnit.SECONDS)
            + " from the lake at "
            + o.lake()
            + " by jobs/report. Charts: Apache ECharts (inlined; drag to zoom, toolbox saves"
            + " PNG).");
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
