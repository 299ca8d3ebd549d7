package org.sgdlens.cli;

import java.nio.file.Path;
import java.util.Set;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.sweep.Nightly;
import org.sgdlens.sweep.SweepSpec;

/** {@code jobs/nightly}: one night of a nightly sweep (see jobs/crontab.example). */
public final class NightlyJob {
  static final String USAGE =
      """
      Usage: jobs/nightly --sweep NAME|FILE [--lake PATH] [--state-dir DIR] [--night YYYY-MM-DD]
                          [--retries N] [--fresh] [--no-analyses]

      Runs a sweep as one night of a nightly schedule (cron: jobs/crontab.example). Holds
      <state-dir>/<sweep>.lock for the whole night (a second night exits with code 3 naming the
      lock and its holder's PID), tees its output into <state-dir>/<sweep>/<night>.log, and writes
      what changed since earlier nights (new runs, new failures, final_test_accuracy / psi /
      max_auroc outside the band of earlier nights of the same config) to
      <state-dir>/<sweep>/<night>-summary.md and the nightly_summary table.

        --sweep NAME|FILE  a YAML sweep file, or NAME for conf/sweeps/NAME.yaml (also positional)
        --lake PATH        lake folder or Hadoop URI (default ./lake)
        --state-dir DIR    local folder for lock, logs and summaries (default <lake>/_nightly;
                           required when the lake is not a local folder)
        --night DATE       the night's date (default today, UTC)
        --retries N        extra attempts of a failed run (default 1)
        --fresh            retrain the whole sweep every night under ids <sweep>-n<YYYYMMDD>-<hash>
                           (regression runs: the bands then compare fresh results night to night)
        --no-analyses      train only

      Exit codes: 0 all ran, 1 bad input, 2 the sweep stopped with an error, 3 another night is
      running, 4 runs or analyses failed.
      """;

  private NightlyJob() {}

  public static void main(String[] args) {
    JobMain.main("nightly", args, NightlyJob::run);
  }

  static int run(String[] args) {
    JobArgs a =
        JobArgs.parse(
            args,
            Set.of("lake", "sweep", "retries", "state-dir", "night"),
            Set.of("help", "fresh", "no-analyses"));
    if (a.has("help")) {
      System.out.print(USAGE);
      return 0;
    }
    String lake = a.get("lake", "./lake");
    SweepSpec spec = SweepSpec.load(SweepJob.resolve(SweepJob.sweepArg(a)));
    Path state = a.get("state-dir").map(Path::of).orElseGet(() -> Nightly.defaultStateDir(lake));
    Nightly.Options options =
        new Nightly.Options(
            lake,
            spec,
            state,
            a.get("night").orElseGet(Nightly::today),
            a.getInt("retries", 1),
            a.has("fresh"),
            !a.has("no-analyses"));
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
