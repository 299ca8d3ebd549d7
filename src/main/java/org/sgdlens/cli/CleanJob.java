package org.sgdlens.cli;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.analysis.Cleaning;
import org.sgdlens.analysis.Cleaning.StepRule;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Entry point of the clean job: flag likely-mislabeled samples and export them. */
public final class CleanJob {
  @Command(
      name = "jobs/clean",
      description =
          "Flags the highest-loss samples of a run trained with label noise at one step (table"
              + " flagged_samples, every scored sample with its rank), scores the flagged set"
              + " against the ground truth (table cleaning: precision, recall, F1, estimated vs"
              + " true rho) and writes the flagged sample indices, one per line, for train"
              + " --exclude-samples FILE. Without --run: every committed run with label noise (a"
              + " named run without label noise is an error).")
  static final class Args {
    @Mixin StandardOptions standard = new StandardOptions();
    @Mixin RunSelection runs = new RunSelection();

    @Option(
        names = "--at",
        paramLabel = "RULE",
        description =
            "t-sep (t_sep from separation_summary, run loss-separation first) or label-free"
                + " (largest log-loss mixture separation before the high-loss population"
                + " shrinks); default: "
                + Cleaning.Options.RULE_DEFAULT
                + " unless --step is given")
    String at;

    @Option(names = "--step", paramLabel = "N", description = "clean at recorded step N instead")
    Long step;

    @Option(
        names = "--score",
        paramLabel = "KIND",
        defaultValue = Cleaning.Options.SCORE_DEFAULT,
        description = "loss or history (mean loss over --window steps) (default: ${DEFAULT-VALUE})")
    String score;

    @Option(
        names = "--window",
        paramLabel = "N",
        defaultValue = "" + Cleaning.Options.WINDOW_DEFAULT,
        description = "recorded steps of the history score (default: ${DEFAULT-VALUE})")
    int window;

    @Option(
        names = "--fraction",
        paramLabel = "F",
        description =
            "flag this fraction of samples (default: the high-loss weight of a two-component"
                + " Gaussian mixture on log losses)")
    Double fraction;

    @Option(
        names = "--export",
        paramLabel = "FILE",
        description =
            "flagged indices file (default: <lake>/_exports/<run>-flagged.txt; only with a"
                + " single run)")
    String export;

    @Option(
        names = "--log-floor",
        paramLabel = "X",
        defaultValue = "" + Cleaning.Options.LOG_FLOOR_DEFAULT,
        description = "losses are floored at X before log (default: ${DEFAULT-VALUE})")
    double logFloor;

    @Option(
        names = "--mixture-max-samples",
        paramLabel = "N",
        defaultValue = "" + Cleaning.Options.MIXTURE_MAX_SAMPLES_DEFAULT,
        description = "values per mixture fit (default: ${DEFAULT-VALUE})")
    int mixtureMaxSamples;
  }

  private CleanJob() {}

  public static void main(String[] a) {
    JobMain.main("clean", a, CleanJob::run);
  }

  static int run(String[] args) {
    Args a = Cli.parse(new Args(), args);
    if (a == null) {
      return 0;
    }
    if (a.step != null && a.at != null) {
      throw new IllegalArgumentException("Give either --step N or --at RULE, not both");
    }
    Cleaning.Options.Builder builder =
        Cleaning.Options.builder()
            .setLake(a.standard.lake)
            .optRuns(a.runs.ids())
            .optStep(a.step)
            .optScore(a.score)
            .optWindow(a.window)
            .optFraction(a.fraction)
            .optExport(a.export)
            .optLogFloor(a.logFloor)
            .optMixtureMaxSamples(a.mixtureMaxSamples);
    if (a.at != null) {
      builder.optRule(StepRule.parse(a.at));
    }
    Cleaning.Options options = builder.build();
    SparkSession spark = SparkSession.builder().appName("sgdlens-clean").getOrCreate();
    Cleaning.Result r = Cleaning.run(spark, options);
    for (Row s : r.summary()) {
      System.out.printf(
          "clean: %s step %d (%s): flagged %d of %d (rho est %.4f, true %.4f),"
              + " precision %s recall %s F1 %s -> %s%n",
          s.<String>getAs("run_id"),
          s.<Long>getAs("step"),
          s.<String>getAs("step_rule"),
          s.<Long>getAs("num_flagged"),
          s.<Long>getAs("num_samples"),
          s.<Double>getAs("estimated_rho"),
          s.<Double>getAs("true_rho"),
          s.getAs("precision"),
          s.getAs("recall"),
          s.getAs("f1"),
          s.<String>getAs("export_path"));
    }
    return 0;
  }
}
