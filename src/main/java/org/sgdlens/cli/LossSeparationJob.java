package org.sgdlens.cli;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.analysis.LossSeparation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Entry point of the loss-separation job. */
public final class LossSeparationJob {
  @Command(
      name = "jobs/loss-separation",
      description =
          "Per recorded step, separation of clean and mislabeled per-sample losses (table"
              + " loss_separation): group statistics, exact AUROC from ranks (Mann-Whitney, ties"
              + " 1/2), d' on log losses, the same for a history score, all steps in one pass;"
              + " t_sep and its phase per run (table separation_summary; run the phases job first"
              + " to fill the phase columns). Runs without label noise are skipped with a"
              + " warning.")
  static final class Args {
    @Mixin StandardOptions standard = new StandardOptions();
    @Mixin RunSelection runs = new RunSelection();

    @Option(
        names = "--window",
        paramLabel = "N",
        defaultValue = "" + LossSeparation.Options.WINDOW_DEFAULT,
        description = "recorded steps averaged by the history score (default: ${DEFAULT-VALUE})")
    int window;

    @Option(
        names = "--log-floor",
        paramLabel = "X",
        defaultValue = "" + LossSeparation.Options.LOG_FLOOR_DEFAULT,
        description = "losses are floored at X before log (default: ${DEFAULT-VALUE})")
    double logFloor;
  }

  private LossSeparationJob() {}

  public static void main(String[] a) {
    JobMain.main("loss-separation", a, LossSeparationJob::run);
  }

  static int run(String[] args) {
    Args a = Cli.parse(new Args(), args);
    if (a == null) {
      return 0;
    }
    LossSeparation.Options options =
        LossSeparation.Options.builder()
            .setLake(a.standard.lake)
            .optRuns(a.runs.ids())
            .optWindow(a.window)
            .optLogFloor(a.logFloor)
            .build();
    SparkSession spark = SparkSession.builder().appName("sgdlens-loss-separation").getOrCreate();
    LossSeparation.Result r = LossSeparation.run(spark, options);
    System.out.printf(
        "loss-separation: %d steps, %d warnings%n", r.steps().size(), r.warnings().size());
    for (Row s : r.summary()) {
      System.out.printf(
          "  %s %-7s t_sep %d, AUROC %.4f, d' %s, phase %s (label free %s)%n",
          s.<String>getAs("run_id"),
          s.<String>getAs("score"),
          s.<Long>getAs("t_sep"),
          s.<Double>getAs("max_auroc"),
          s.getAs("d_prime_at_t_sep"),
          s.getAs("phase_ground_truth"),
          s.getAs("phase_label_free"));
    }
    return 0;
  }
}
