package org.sgdlens.cli;

import org.apache.spark.sql.SparkSession;
import org.sgdlens.sweep.SweepSpec;
import org.sgdlens.sweep.Sweeps;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code jobs/sweep}: expands a sweep file, trains its missing runs as Spark tasks, analyses them.
 */
public final class SweepJob {
  @Command(
      name = "jobs/sweep",
      description =
          "Expands a sweep file (docs/sweeps.md) into runs with stable ids <name>-<config hash>,"
              + " records them in sweep_runs, trains the runs not committed yet as Spark tasks"
              + " (one task per run; with GPUs, --conf spark.task.resource.gpu.amount=1 gives each"
              + " task its own), runs the analyses on the runs that have not had them, and writes"
              + " sweep_summary. Running it again does no work and changes no table.",
      footer = "Exit code 0 when every run committed and every analysis ran, 4 when some failed.")
  static final class Args {
    @Mixin StandardOptions standard = new StandardOptions();
    @Mixin SweepChoice sweep = new SweepChoice();

    @Option(
        names = "--retries",
        paramLabel = "N",
        defaultValue = "" + Sweeps.Options.RETRIES_DEFAULT,
        description =
            "extra attempts of a failed run, each resuming from its checkpoint (default:"
                + " ${DEFAULT-VALUE})")
    int retries;

    @Option(names = "--no-analyses", description = "train and record membership only")
    boolean noAnalyses;
  }

  private SweepJob() {}

  public static void main(String[] args) {
    JobMain.main("sweep", args, SweepJob::run);
  }

  static int run(String[] args) {
    Args a = Cli.parse(new Args(), args, SweepChoice.ONE_SWEEP);
    if (a == null) {
      return 0;
    }
    SweepSpec spec = SweepSpec.load(a.sweep.file());
    SparkSession spark = SparkSession.builder().appName("sgdlens-sweep").getOrCreate();
    Sweeps.Result r =
        Sweeps.run(
            spark,
            new Sweeps.Options(a.standard.lake, spec, null, a.retries, !a.noAnalyses, System.out));
    System.out.print(r.text());
    return r.ok() ? 0 : 4;
  }
}
