package org.sgdlens.cli;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.analysis.Phases;
import org.sgdlens.kernel.PhaseRules.Thresholds;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Entry point of the phases job: phase boundaries by ground truth and label-free rules. */
public final class PhasesJob {
  @Command(
      name = "jobs/phases",
      description =
          "Phases of learning per run (tables phases, phase_boundaries, phase_signals), by a"
              + " ground-truth rule (test error, f_W) and a label-free rule (per-sample loss"
              + " bimodality, fit of the high-loss suspects, alignment R, train loss); reads"
              + " metrics, order_params (optional) and sample_losses (optional).")
  static final class Args {
    @Mixin StandardOptions standard = new StandardOptions();
    @Mixin RunSelection runs = new RunSelection();

    @Option(
        names = "--test-drop",
        paramLabel = "F",
        defaultValue = "" + Thresholds.TEST_DROP_DEFAULT,
        description =
            "fraction of the test-error drop that ends phase I / fast learning (default:"
                + " ${DEFAULT-VALUE}; label free: of the train-loss drop when no order_params)")
    double testDrop;

    @Option(
        names = "--memorize-start",
        paramLabel = "F",
        defaultValue = "" + Thresholds.MEMORIZE_START_DEFAULT,
        description =
            "memorisation progress (f - f1) / (1 - f1) starting phase III, f1 being f at t1,"
                + " with f = f_W (label free: f = fit of the samples above the mixture threshold"
                + " at t1) (default: ${DEFAULT-VALUE})")
    double memorizeStart;

    @Option(
        names = "--memorize-end",
        paramLabel = "F",
        defaultValue = "" + Thresholds.MEMORIZE_END_DEFAULT,
        description = "memorisation progress starting phase IV (default: ${DEFAULT-VALUE})")
    double memorizeEnd;

    @Option(
        names = "--separation-fraction",
        paramLabel = "F",
        defaultValue = "" + Thresholds.SEPARATION_FRACTION_DEFAULT,
        description =
            "label-free phase II starts when the log-loss mixture separation (Ashman D) reaches"
                + " F of its median over the bimodal steps (default: ${DEFAULT-VALUE})")
    double separationFraction;

    @Option(
        names = "--min-separation",
        paramLabel = "D",
        defaultValue = "" + Thresholds.MIN_SEPARATION_DEFAULT,
        description =
            "Ashman D from which a step counts as bimodal (high-loss component weight 2..50"
                + " percent, first step excluded); no bimodal step: the run reads as noise-free"
                + " (default: ${DEFAULT-VALUE})")
    double minSeparation;

    @Option(
        names = "--alignment-drop",
        paramLabel = "F",
        defaultValue = "" + Thresholds.ALIGNMENT_DROP_DEFAULT,
        description =
            "label-free exploration starts when R falls to F of its maximum (default:"
                + " ${DEFAULT-VALUE})")
    double alignmentDrop;

    @Option(
        names = "--log-floor",
        paramLabel = "X",
        defaultValue = "" + Phases.Options.LOG_FLOOR_DEFAULT,
        description = "losses are floored at X before log (default: ${DEFAULT-VALUE})")
    double logFloor;

    @Option(
        names = "--mixture-max-samples",
        paramLabel = "N",
        defaultValue = "" + Phases.Options.MIXTURE_MAX_SAMPLES_DEFAULT,
        description = "values per per-step mixture fit (default: ${DEFAULT-VALUE})")
    int mixtureMaxSamples;
  }

  private PhasesJob() {}

  public static void main(String[] a) {
    JobMain.main("phases", a, PhasesJob::run);
  }

  static int run(String[] args) {
    Args a = Cli.parse(new Args(), args);
    if (a == null) {
      return 0;
    }
    Phases.Options options =
        Phases.Options.builder()
            .setLake(a.standard.lake)
            .optRuns(a.runs.ids())
            .optThresholds(
                new Thresholds(
                    a.testDrop,
                    a.memorizeStart,
                    a.memorizeEnd,
                    a.separationFraction,
                    a.minSeparation,
                    a.alignmentDrop))
            .optLogFloor(a.logFloor)
            .optMixtureMaxSamples(a.mixtureMaxSamples)
            .build();
    SparkSession spark = SparkSession.builder().appName("sgdlens-phases").getOrCreate();
    Phases.Result r = Phases.run(spark, options);
    System.out.printf(
        "phases: %d phase rows, %d warnings%n", r.phases().size(), r.warnings().size());
    for (Row b : r.boundaries()) {
      System.out.printf(
          "  %s %-18s ground truth %s, label free %s, distance %s steps%n",
          b.getAs("run_id"),
          b.getAs("boundary"),
          b.getAs("ground_truth_step"),
          b.getAs("label_free_step"),
          b.getAs("distance_steps"));
    }
    return 0;
  }
}
