package org.sgdlens.cli;

import org.apache.spark.sql.SparkSession;
import org.sgdlens.report.Report;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Entry point of the report job: a self-contained HTML report of one run or of a sweep. */
public final class ReportJob {
  @Command(
      name = "jobs/report",
      description =
          "Writes a self-contained HTML report (charts by Apache ECharts, inlined: the file opens"
              + " offline in any browser) from the lake's tables, of exactly one of --run ID,"
              + " --sweep NAME or --all.")
  static final class Args {
    @Mixin StandardOptions standard = new StandardOptions();

    @Option(
        names = "--run",
        paramLabel = "ID",
        description =
            "one run: headline numbers (config, phase boundaries, t_sep, AUROC, cleaning"
                + " precision/recall/F1, psi with its CI), order parameters with the phases"
                + " shaded, test error / train loss / f_C / f_W, per-sample loss histograms at"
                + " t_sep, AUROC and d' over time, sigma^2 against F with the fit, explained"
                + " variance. Sections whose tables are empty for the run are left out with a"
                + " one-line note. Writes DIR/run-<ID>.html.")
    String run;

    @Option(
        names = "--sweep",
        paramLabel = "NAME",
        description =
            "the runs whose runs.config_json has name NAME (jobs/train --name): a table of runs"
                + " and summary plots, one point per run. Writes DIR/sweep-<NAME>.html.")
    String sweep;

    @Option(
        names = "--all",
        description = "like --sweep, over every committed run. Writes DIR/sweep-all.html.")
    boolean all;

    @Option(
        names = "--out",
        paramLabel = "DIR",
        defaultValue = Report.Options.OUT_DIR_DEFAULT,
        description = "output folder (default: ${DEFAULT-VALUE})")
    String out;
  }

  private ReportJob() {}

  public static void main(String[] a) {
    JobMain.main("report", a, ReportJob::run);
  }

  static int run(String[] args) {
    Args a = Cli.parse(new Args(), args);
    if (a == null) {
      return 0;
    }
    Report.Options options = new Report.Options(a.standard.lake, a.run, a.sweep, a.all, a.out);
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
