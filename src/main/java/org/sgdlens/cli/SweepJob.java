package org.sgdlens.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.sweep.SweepSpec;
import org.sgdlens.sweep.Sweeps;

/**
 * {@code jobs/sweep}: expands a sweep file, trains its missing runs as Spark tasks, analyses them.
 */
public final class SweepJob {
  static final String USAGE =
      """
      Usage: jobs/sweep --sweep NAME|FILE [--lake PATH] [--retries N] [--no-analyses]

      Expands a sweep file (docs/sweeps.md) into runs with stable ids <name>-<config hash>,
      records them in sweep_runs, trains the runs not committed yet as Spark tasks (one task per
      run; with GPUs, --conf spark.task.resource.gpu.amount=1 gives each task its own), runs the
      analyses on the runs that have not had them, and writes sweep_summary. Running it again
      does no work and changes no table.

        --sweep NAME|FILE  a YAML file, or NAME for conf/sweeps/NAME.yaml (also positional)
        --lake PATH        lake folder or Hadoop URI (default ./lake)
        --retries N        extra attempts of a failed run, each resuming from its checkpoint (default 1)
        --no-analyses      train and record membership only

      Exit code 0 when every run committed and every analysis ran, 4 when some failed.
      """;

  private SweepJob() {}

  public static void main(String[] args) {
    JobMain.main("sweep", args, SweepJob::run);
  }

  static int run(String[] args) {
    JobArgs a =
        JobArgs.parse(args, Set.of("lake", "sweep", "retries"), Set.of("help", "no-analyses"));
    if (a.has("help")) {
      System.out.print(USAGE);
      return 0;
    }
    SweepSpec spec = SweepSpec.load(resolve(sweepArg(a)));
    SparkSession spark = SparkSession.builder().appName("sgdlens-sweep").getOrCreate();
    Sweeps.Result r =
        Sweeps.run(
            spark,
            new Sweeps.Options(
                a.get("lake", "./lake"),
                spec,
                null,
                a.getInt("retries", 1),
                !a.has("no-analyses"),
                System.out));
    System.out.print(r.text());
    return r.ok() ? 0 : 4;
  }

  static String sweepArg(JobArgs a) {
    if (a.has("sweep")) {
      return a.get("sweep").orElseThrow();
    }
    if (a.positional().size() == 1) {
      return a.positional().get(0);
    }
    throw new IllegalArgumentException(
        "Give the sweep: --sweep NAME (conf/sweeps/NAME.yaml) or --sweep FILE; got "
            + a.positional());
  }

  /** A path to a file, or a name under conf/sweeps/. */
  static Path resolve(String sweep) {
    Path file = Path.of(sweep);
    if (Files.isRegularFile(file)) {
      return file;
    }
    return ConfDir.file("sweeps/" + sweep + ".yaml")
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "Sweep '"
                        + sweep
                        + "' is neither a file nor conf/sweeps/"
                        + sweep
                        + ".yaml; give a"
                        + " path or a name from conf/sweeps/ (set SGDLENS_CONF_DIR for another conf/)"));
  }
}
