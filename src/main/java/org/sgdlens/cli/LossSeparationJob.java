package org.sgdlens.cli;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.analysis.LossSeparation;

/** Entry point of the loss-separation job. */
public final class LossSeparationJob {
  static final String USAGE =
      """
      Usage: loss-separation [--lake PATH] [--run ID[,ID...]] [--window N] [--log-floor X]
                             [--parallel-jobs N]
        Per recorded step, separation of clean and mislabeled per-sample losses (table
        loss_separation): group statistics, AUROC (Spark MLlib BinaryClassificationMetrics),
        d' on log losses, the same for a history score; t_sep and its phase per run (table
        separation_summary; run the phases job first to fill the phase columns). Runs without
        label noise are skipped with a warning.
        --lake PATH          lake root (default ./lake)
        --run IDS            runs (default: every committed run)
        --window N           recorded steps averaged by the history score (default 5)
        --log-floor X        losses are floored at X before log (default 1e-8)
        --parallel-jobs N    AUROC curves evaluated at once (default 4)
        --debug              full stack trace on error
      """;

  private LossSeparationJob() {}

  public static void main(String[] a) {
    JobMain.main("loss-separation", a, LossSeparationJob::run);
  }

  static int run(String[] args) {
    JobArgs o = JobArgs.analysis(args, USAGE, "window", "log-floor", "parallel-jobs");
    if (o == null) {
      return 0;
    }
    Jobs.noPositional("loss-separation", o);
    LossSeparation.Options d =
        LossSeparation.Options.defaults(o.get("lake", "./lake"), o.all("run"));
    LossSeparation.Options options =
        new LossSeparation.Options(
            d.lake(),
            d.runs(),
            o.getInt("window", d.window()),
            o.getDouble("log-floor", d.logFloor()),
            o.getInt("parallel-jobs", d.parallelJobs()));
    SparkSession spark = SparkSession.builder().appName("sgdlens-loss-separation").getOrCreate();
    LossSeparation.Result r = LossSeparation.run(spark, options);
    System.out.printf(
        "loss-separation: %d steps, %d warnings%n", r.steps().size(), r.warnings().size());
    for (Row s : r.summary()) {
      System.out.printf(
          "  %s %-7s t_sep %d, AUROC %.4f, d' %s, phase %s (label free %s)%n",
          s.getString(0),
          s.getString(1),
          s.getLong(3),
          s.getDouble(4),
          s.get(5),
          s.get(8),
          s.get(9));
    }
    return 0;
  }
}
