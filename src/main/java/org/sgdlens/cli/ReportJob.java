package org.sgdlens.cli;

import java.util.Set;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.report.Report;

/** Entry point of the report job: a self-contained HTML report of one run or of a sweep. */
public final class ReportJob {
  static final String USAGE =
      """
      Usage: jobs/report [--lake PATH] (--run ID | --sweep NAME | --all) [--out DIR]
        Writes a self-contained HTML report (charts by Apache ECharts, inlined: the file opens
        offline in any browser) from the lake's tables.
        --run ID      one run: headline numbers (config, phase boundaries, t_sep, AUROC, cleaning
                      precision/recall/F1, psi with its CI), order parameters with the phases
                      shaded, test error / train loss / f_C / f_W, per-sample loss histograms at
                      t_sep, AUROC and d' over time, sigma^2 against F with the fit, explained
                      variance. Sections whose tables are empty for the run are left out with a
                      one-line note. Writes DIR/run-<ID>.html.
        --sweep NAME  the runs whose runs.config_json has name NAME (jobs/train --name): a table of
                      runs and summary plots, one point per run. Writes DIR/sweep-<NAME>.html.
        --all         like --sweep, over every committed run. Writes DIR/sweep-all.html.
        --lake PATH   lake root (default ./lake)
        --out DIR     output folder (default ./reports)
        --debug       full stack trace on error
      """;

  private ReportJob() {}

  public static void main(String[] a) {
    JobMain.main("report", a, ReportJob::run);
  }

  static int run(String[] args) {
    JobArgs o = JobArgs.parse(args, Set.of("lake", "run", "sweep", "out"), Set.of("help", "all"));
    if (o.has("help")) {
      System.out.print(USAGE);
      return 0;
    }
    Jobs.noPositional("report", o);
    Report.Options options =
        new Report.Options(
            o.get("lake", "./lake"),
            o.get("run").orElse(null),
            o.get("sweep").orElse(null),
            o.has("all"),
            o.get("out", "./reports"));
    SparkSession spark = SparkSession.builder().appName("sgdlens-report").getOrCreate();
    Report.Result r = Report.run(spark, options, line -> System.out.println("[report] " + line));
    System.out.printf(
        "report: %s (%d KiB): %d runs, %d charts, sections %s%s%n",
        r.file().toAbsolutePath(),
        r.bytes() / 1024,
        r.runs().size(),
        r.charts().size(),
        r.rendered(),
        r.omitted().isEmpty() ? "" : ", omitted " + r.omitted());
    return 0;
  }
}
