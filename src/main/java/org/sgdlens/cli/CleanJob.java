package org.sgdlens.cli;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.analysis.Cleaning;
import org.sgdlens.analysis.Cleaning.StepRule;

/** Entry point of the clean job: flag likely-mislabeled samples and export them. */
public final class CleanJob {
  static final String USAGE =
      """
      Usage: clean [--lake PATH] [--run ID[,ID...]] [--at t-sep|label-free | --step N]
                   [--score loss|history] [--window N] [--fraction F] [--export FILE]
        Flags the highest-loss samples of a run trained with label noise at one step (table
        flagged_samples, every scored sample with its rank), scores the flagged set against
        the ground truth (table cleaning: precision, recall, F1, estimated vs true rho) and
        writes the flagged sample indices, one per line, for train --exclude-samples FILE.
        --lake PATH              lake root (default ./lake)
        --run IDS                runs (default: every committed run with label noise; a named
                                 run without label noise is an error)
        --at RULE                t-sep (default: t_sep from separation_summary, run
                                 loss-separation first) or label-free (largest log-loss
                                 mixture separation before the high-loss population shrinks)
        --step N                 clean at recorded step N instead
        --score KIND             loss (default) or history (mean loss over --window steps)
        --window N               recorded steps of the history score (default 5)
        --fraction F             flag this fraction of samples (default: the high-loss weight
                                 of a two-component Gaussian mixture on log losses)
        --export FILE            flagged indices file (default <lake>/_exports/<run>-flagged.txt;
                                 only with a single run)
        --log-floor X            losses are floored at X before log (default 1e-8)
        --mixture-max-samples N  values per mixture fit (default 20000)
        --debug                  full stack trace on error
      """;

  private CleanJob() {}

  public static void main(String[] a) {
    JobMain.main("clean", a, CleanJob::run);
  }

  static int run(String[] args) {
    JobArgs o =
        JobArgs.analysis(
            args,
            USAGE,
            "at",
            "step",
            "score",
            "window",
            "fraction",
            "export",
            "log-floor",
            "mixture-max-samples");
    if (o == null) {
      return 0;
    }
    Jobs.noPositional("clean", o);
    if (o.has("step") && o.has("at")) {
      throw new IllegalArgumentException("Give either --step N or --at RULE, not both");
    }
    Cleaning.Options d = Cleaning.Options.defaults(o.get("lake", "./lake"), o.all("run"));
    Long step = o.has("step") ? o.getLong("step", -1) : null;
    StepRule rule = step != null ? StepRule.GIVEN : StepRule.parse(o.get("at", "t-sep"));
    Cleaning.Options options =
        new Cleaning.Options(
            d.lake(),
            d.runs(),
            rule,
            step,
            o.get("score", d.score()),
            o.getInt("window", d.window()),
            o.has("fraction") ? o.getDouble("fraction", 0) : null,
            o.get("export").orElse(null),
            o.getDouble("log-floor", d.logFloor()),
            o.getInt("mixture-max-samples", d.mixtureMaxSamples()));
    SparkSession spark = SparkSession.builder().appName("sgdlens-clean").getOrCreate();
    Cleaning.Result r = Cleaning.run(spark, options);
    for (Row s : r.summary()) {
      System.out.printf(
          "clean: %s step %d (%s): flagged %d of %d (rho est %.4f, true %.4f),"
              + " precision %s recall %s F1 %s -> %s%n",
          s.getString(0),
          s.getLong(1),
          s.getString(2),
          s.getLong(6),
          s.getLong(5),
          s.getDouble(8),
          s.getDouble(9),
          s.get(11),
          s.get(12),
          s.get(13),
          s.getString(14));
    }
    return 0;
  }
}
