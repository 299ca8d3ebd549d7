package org.sgdlens.cli;

import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.sweep.Nightly;
import org.sgdlens.sweep.SweepSpec;
import org.sgdlens.sweep.Sweeps;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code jobs/nightly}: one night of a nightly sweep (see jobs/crontab.example). */
public final class NightlyJob {
  @Command(
      name = "jobs/nightly",
      description =
          "Runs a sweep as one night of a nightly schedule (cron: jobs/crontab.example). Holds"
              + " <state-dir>/<sweep>.lock for the whole night (a second night exits with code 3"
              + " naming the lock and its holder's PID), tees its output into"
              + " <state-dir>/<sweep>/<night>.log, and writes what changed since earlier nights"
              + " (new runs, new failures, final_test_accuracy / psi / max_auroc outside the band"
              + " of earlier nights of the same config) to <state-dir>/<sweep>/<night>-summary.md"
              + " and the nightly_summary table.",
      footer =
          "Exit codes: 0 all ran, 1 bad input, 2 the sweep stopped with an error, 3 another night"
              + " is running, 4 runs or analyses failed.")
  static final class Args {
    @Mixin StandardOptions standard = new StandardOptions();
    @Mixin SweepChoice sweep = new SweepChoice();

    @Option(
        names = "--state-dir",
        paramLabel = "DIR",
        description =
            "local folder for lock, logs and summaries (default: <lake>/_nightly; required when"
                + " the lake is not a local folder)")
    String stateDir;

    @Option(
        names = "--night",
        paramLabel = "DATE",
        description = "the night's date, YYYY-MM-DD (default: today, UTC)")
    String night;

    @Option(
        names = "--retries",
        paramLabel = "N",
        defaultValue = "" + Sweeps.Options.RETRIES_DEFAULT,
        description = "extra attempts of a failed run (default: ${DEFAULT-VALUE})")
    int retries;

    @Option(
        names = "--fresh",
        description =
            "retrain the whole sweep every night under ids <sweep>-n<YYYYMMDD>-<hash> (regression"
                + " runs: the bands then compare fresh results night to night)")
    boolean fresh;

    @Option(names = "--no-analyses", description = "train only")
    boolean noAnalyses;
  }

  private NightlyJob() {}

  public static void main(String[] args) {
    JobMain.main("nightly", args, NightlyJob::run);
  }

  static int run(String[] args) {
    Args a = Cli.parse(new Args(), args, SweepChoice.ONE_SWEEP);
    if (a == null) {
      return 0;
    }
    String lake = a.standard.lake;
    SweepSpec spec = SweepSpec.load(a.sweep.file());
    Path state = a.stateDir != null ? Path.of(a.stateDir) : Nightly.defaultStateDir(lake);
    Nightly.Options options =
        new Nightly.Options(
            lake,
            spec,
            state,
            a.night != null ? a.night : Nightly.today(),
            a.retries,
            a.fresh,
            !a.noAnalyses);
    Nightly.Result r =
        Nightly.run(() -> SparkSession.builder().appName("sgdlens-nightly").getOrCreate(), options);
    if (r.exitCode() == Nightly.LOCKED) {
      System.err.println(r.message());
    } else {
      System.out.println("Summary: " + r.summary());
    }
    return r.exitCode();
  }
}
