package org.sgdlens.cli;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.analysis.Phases;
import org.sgdlens.kernel.PhaseRules.Thresholds;

/** Entry point of the phases job: phase boundaries by ground truth and label-free rules. */
public final class PhasesJob {
  static final String USAGE =
      """
      Usage: phases [--lake PATH] [--run ID[,ID...]] [threshold options]
        Phases of learning per run (tables phases, phase_boundaries, phase_signals), by a
        ground-truth rule (test error, f_W) and a label-free rule (per-sample loss bimodality,
        fit of the high-loss suspects, alignment R, train loss); reads metrics, order_params
        (optional) and sample_losses (optional).
        --lake PATH                 lake root (default ./lake)
        --run IDS                   runs (default: every committed run)
        --test-drop F               fraction of the test-error drop that ends phase I / fast
                                    learning (default 0.9; label free: of the train-loss drop
                                    when no order_params)
        --memorize-start F          memorisation progress starting phase III (default 0.1):
                                    (f - f(t1)) / (1 - f(t1)) with f = f_W, label free
                                    f = fit of the samples above the mixture threshold at t1
        --memorize-end F            memorisation progress starting phase IV (default 0.9)
        --separation-fraction F     label-free phase II starts when the log-loss mixture
                                    separation (Ashman D) reaches F of its median over the
                                    bimodal steps (default 0.9)
        --min-separation D          Ashman D from which a step counts as bimodal (high-loss
                                    component weight 2%..50%, first step excluded); no bimodal
                                    step: the run reads as noise-free (default 2)
        --alignment-drop F          label-free exploration starts when R falls to F of its
                                    maximum (default 0.2)
        --log-floor X               losses are floored at X before log (default 1e-8)
        --mixture-max-samples N     values per per-step mixture fit (default 20000)
        --debug                     full stack trace on error
      """;

  private PhasesJob() {}

  public static void main(String[] a) {
    JobMain.main("phases", a, PhasesJob::run);
  }

  static int run(String[] args) {
    JobArgs o =
        JobArgs.analysis(
            args,
            USAGE,
            "test-drop",
            "memorize-start",
            "memorize-end",
            "separation-fraction",
            "min-separation",
            "alignment-drop",
            "log-floor",
            "mixture-max-samples");
    if (o == null) {
      return 0;
    }
    Jobs.noPositional("phases", o);
    Thresholds d = Thresholds.DEFAULTS;
    Thresholds t =
        new Thresholds(
            o.getDouble("test-drop", d.testDrop()),
            o.getDouble("memorize-start", d.memorizeStart()),
            o.getDouble("memorize-end", d.memorizeEnd()),
            o.getDouble("separation-fraction", d.separationFraction()),
            o.getDouble("min-separation", d.minSeparation()),
            o.getDouble("alignment-drop", d.alignmentDrop()));
    Phases.Options defaults = Phases.Options.defaults(o.get("lake", "./lake"), o.all("run"));
    Phases.Options options =
        new Phases.Options(
            defaults.lake(),
            defaults.runs(),
            t,
            o.getDouble("log-floor", defaults.logFloor()),
            o.getInt("mixture-max-samples", defaults.mixtureMaxSamples()));
    SparkSession spark = SparkSession.builder().appName("sgdlens-phases").getOrCreate();
    Phases.Result r = Phases.run(spark, options);
    System.out.printf(
        "phases: %d phase rows, %d warnings%n", r.phases().size(), r.warnings().size());
    for (Row b : r.boundaries()) {
      System.out.printf(
          "  %s %-18s ground truth %s, label free %s, distance %s steps%n",
          b.getString(0), b.getString(1), b.get(2), b.get(3), b.get(4));
    }
    return 0;
  }
}
