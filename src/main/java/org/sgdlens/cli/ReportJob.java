package org.sgdlens.cli;

import java.util.ArrayList;
import java.util.List;
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
        split = ",",
        description =
            "a run (repeat it, or give ID,ID, for several runs on one page, e.g. the quickstart's"
                + " noisy and variance-flatness runs): headline numbers (config, phase boundaries, t_sep, AUROC, cleaning"
                + " precision/recall/F1, psi with its CI), order parameters with the phases"
                + " shaded, test error / train loss / f_C / f_W, per-sample loss histograms at"
                + " t_sep, AUROC and d' over time, sigma^2 against F with the fit, explained"
                + " variance. Sections whose tables are empty for the run are left out with a"
                + " one-line note. Writes DIR/run-<ID>.html (run-<ID>+<ID>.html for several).")
    List<String> run = new ArrayList<>();

    @Option(
        names = "--sweep",
        paramLabel = "NAME",
        description =
            "the runs whose runs.config_json has name NAME (jobs/train --name): a table of runs,"
                + " summary plots with one point per run (psi with its CI as error bars) and"
                + " overlaid curves of the runs (test error, train loss, AUROC, alignment, noise"
                + " scale, PCA spectrum) that a legend click shows or hides. Writes"
                + " DIR/sweep-<NAME>.html.")
    String sweep;

    @Option(
        names = "--all",
        description = "like --sweep, over every committed run. Writes DIR/sweep-all.html.")
    boolean all;

    @Option(
        names = "--runs",
        paramLabel = "ID,...",
        split = ",",
        description =
            "with --sweep or --all: the runs whose curves are shown when the page opens (the"
                + " others stay in the legends, switched off; default: "
                + SHOWN_DEFAULT
                + ", the first by run id)")
    List<String> runs = new ArrayList<>();

    @Option(
        names = "--out",
        paramLabel = "DIR",
        defaultValue = Report.Options.OUT_DIR_DEFAULT,
        description = "output folder (default: ${DEFAULT-VALUE})")
    String out;
  }

  /** {@code org.sgdlens.report.SweepReport.SHOWN_DEFAULT}, for the help text. */
  static final int SHOWN_DEFAULT = Report.SHOWN_DEFAULT;

  private ReportJob() {}

  public static void main(String[] a) {
    JobMain.main("report", a, ReportJob::run);
  }

  static int run(String[] args) {
    Args a = Cli.parse(new Args(), args);
    if (a == null) {
      return 0;
    }
    Report.Options options =
        new Report.Options(a.standard.lake, a.run, a.sweep, a.all, a.runs, a.out);
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
