package org.sgdlens.analysis;

import static org.apache.spark.sql.functions.asc;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.desc;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.sgdlens.kernel.PhaseRules;
import org.sgdlens.kernel.Separation;
import org.sgdlens.kernel.TwoGaussianMixture;
import org.sgdlens.lake.Tables;

/**
 * The clean job: at a chosen step, flag the highest-loss samples of a run trained with label noise
 * (count from the label-free mixture estimate of the noise fraction, or a given fraction), score
 * the flagged set against the ground truth and export the flagged sample indices for retraining
 * without them.
 */
public final class Cleaning {
  /** How the cleaning step is chosen. */
  public enum StepRule {
    /** t_sep of the separation_summary table (needs the loss-separation job). */
    T_SEP("t-sep"),
    /** The label-free separation peak of the per-step log-loss mixtures. */
    LABEL_FREE("label-free"),
    /** The step given with --step. */
    GIVEN("given");

    private final String label;

    StepRule(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }

    public static StepRule parse(String s) {
      for (StepRule r : values()) {
        if (r.label.equals(s.toLowerCase(Locale.ROOT)) && r != GIVEN) {
          return r;
        }
      }
      throw new IllegalArgumentException(
          "--at is '" + s + "'; use t-sep or label-free (or give --step N)");
    }
  }

  /**
   * @param step the cleaning step when {@code rule} is GIVEN, else null
   * @param score loss (at the step) or history (mean loss over {@code window} recorded steps)
   * @param fraction fraction of samples to flag, or null for the mixture estimate
   * @param export text file for the flagged indices, or null for {@code
   *     <lake>/_exports/<run_id>-flagged.txt}
   */
  public record Options(
      String lake,
      List<String> runs,
      StepRule rule,
      Long step,
      String score,
      int window,
      Double fraction,
      String export,
      double logFloor,
      int mixtureMaxSamples) {
    /** The label of {@link StepRule#T_SEP}: clean at t_sep of separation_summary. */
    public static final String RULE_DEFAULT = "t-sep";

    public static final String SCORE_DEFAULT = LossSeparation.LOSS;

    /** The history score of the loss-separation job. */
    public static final int WINDOW_DEFAULT = LossSeparation.Options.WINDOW_DEFAULT;

    public static final double LOG_FLOOR_DEFAULT = LossMixtures.LOG_FLOOR_DEFAULT;
    public static final int MIXTURE_MAX_SAMPLES_DEFAULT = LossMixtures.MAX_SAMPLES_DEFAULT;

    public Options {
      if (!score.equals(LossSeparation.LOSS) && !score.equals(LossSeparation.HISTORY)) {
        throw new IllegalArgumentException("--score is '" + score + "'; use loss or history");
      }
      if (fraction != null && !(fraction > 0 && fraction < 1)) {
        throw new IllegalArgumentException(
            "--fraction is " + fraction + "; give the fraction of samples to flag, e.g. 0.2");
      }
      if (window < 1) {
        throw new IllegalArgumentException("--window is " + window + "; give e.g. 5");
      }
      if ((rule == StepRule.GIVEN) != (step != null)) {
        throw new IllegalArgumentException("A given step needs rule GIVEN and a step number");
      }
    }

    public static Options defaults(String lake, List<String> runs) {
      return builder().setLake(lake).optRuns(runs).build();
    }

    public static Builder builder() {
      return new Builder();
    }

    /** Options with every unset value at its {@code _DEFAULT}; {@code setLake} is required. */
    public static final class Builder {
      private String lake;
      private List<String> runs = List.of();
      private StepRule rule = StepRule.parse(RULE_DEFAULT);
      private Long step;
      private String score = SCORE_DEFAULT;
      private int window = WINDOW_DEFAULT;
      private Double fraction;
      private String export;
      private double logFloor = LOG_FLOOR_DEFAULT;
      private int mixtureMaxSamples = MIXTURE_MAX_SAMPLES_DEFAULT;

      private Builder() {}

      public Builder setLake(String lake) {
        this.lake = lake;
        return this;
      }

      /** Runs to clean; empty (the default) for every committed run with label noise. */
      public Builder optRuns(List<String> runs) {
        this.runs = runs;
        return this;
      }

      /** How the step is chosen (default t-sep); see {@link #optStep} for a given step. */
      public Builder optRule(StepRule rule) {
        this.rule = rule;
        return this;
      }

      /** Cleans at this recorded step (rule GIVEN); null keeps the rule. */
      public Builder optStep(Long step) {
        this.step = step;
        if (step != null) {
          this.rule = StepRule.GIVEN;
        }
        return this;
      }

      public Builder optScore(String score) {
        this.score = score;
        return this;
      }

      public Builder optWindow(int window) {
        this.window = window;
        return this;
      }

      /** The fraction of samples to flag; null (the default) for the mixture estimate. */
      public Builder optFraction(Double fraction) {
        this.fraction = fraction;
        return this;
      }

      /** The flagged indices file; null (the default) for the lake's _exports folder. */
      public Builder optExport(String export) {
        this.export = export;
        return this;
      }

      public Builder optLogFloor(double logFloor) {
        this.logFloor = logFloor;
        return this;
      }

      public Builder optMixtureMaxSamples(int mixtureMaxSamples) {
        this.mixtureMaxSamples = mixtureMaxSamples;
        return this;
      }

      public Options build() {
        return new Options(
            Objects.requireNonNull(lake, "call setLake"),
            runs,
            rule,
            step,
            score,
            window,
            fraction,
            export,
            logFloor,
            mixtureMaxSamples);
      }
    }
  }

  /** Rows written to cleaning (one per run) and the warnings. */
  public record Result(List<Row> summary, List<String> warnings) {
    public Row summary(String runId) {
      return summary.stream().filter(r -> runId.equals(r.getAs("run_id"))).findFirst().orElse(null);
    }
  }

  private Cleaning() {}

  public static Result run(SparkSession spark, Options o) {
    Warnings warnings = new Warnings();
    List<RunInfo> runs = SelectedRuns.committed(spark, o.lake(), o.runs(), warnings::add).runs();
    List<RunInfo> noisy = new ArrayList<>();
    for (RunInfo run : runs) {
      if (run.labelNoise()) {
        noisy.add(run);
      } else if (!o.runs().isEmpty()) {
        throw new IllegalArgumentException(
            "Run '"
                + run.runId()
                + "' was trained without label noise (noise_fraction "
                + run.noiseFraction()
                + ", 0 mislabeled samples), so there is nothing to clean"
                + " and no ground truth to score against; pick a run trained with label noise"
                + " (noise_fraction > 0)");
      } else {
        warnings.add("Run " + run.runId() + " has no label noise; skipped");
      }
    }
    if (o.export() != null && noisy.size() != 1) {
      throw new IllegalArgumentException(
          "--export names one file but "
              + noisy.size()
              + " runs would be cleaned; give a single --run with --export");
    }
    List<Row> summaries = new ArrayList<>();
    for (RunInfo run : noisy) {
      summaries.add(clean(spark, o, run, warnings));
    }
    LakeTables.write(
        spark.createDataFrame(summaries, LakeTables.sparkSchema(Tables.CLEANING)),
        o.lake(),
        Tables.CLEANING);
    return new Result(Rows.withSchema(summaries, Tables.CLEANING), warnings.list());
  }

  /**
   * Above this the mixture's estimate of the noise fraction is implausible: the method assumes the
   * mislabeled samples are the minority, so more than half flagged means the fit failed.
   */
  public static final double IMPLAUSIBLE_RHO = 0.5;

  private static Row clean(SparkSession spark, Options o, RunInfo run, Warnings warnings) {
    String id = run.runId();
    Dataset<Row> losses =
        LakeTables.read(spark, o.lake(), Tables.SAMPLE_LOSSES).where(col("run_id").equalTo(id));
    long step = chooseStep(spark, o, id, losses);
    String scoreColumn = o.score().equals(LossSeparation.LOSS) ? "loss" : "history";
    int window = o.score().equals(LossSeparation.LOSS) ? 1 : o.window();
    Dataset<Row> atStep =
        LossSeparation.scored(losses, window, o.logFloor())
            .where(col("step").equalTo(step))
            .select(
                col("run_id"),
                col("step"),
                col("sample_index"),
                col("mislabeled"),
                col(scoreColumn).as("score"))
            .cache();
    try {
      long n = atStep.count();
      if (n < 4) {
        throw new IllegalArgumentException(
            "Run '"
                + id
                + "' has "
                + n
                + " per-sample losses at step "
                + step
                + "; choose a step with sample_losses rows");
      }
      TwoGaussianMixture mixture = null;
      double rho;
      if (o.fraction() != null) {
        rho = o.fraction();
      } else {
        Row m =
            LossMixtures.perStep(
                    atStep.withColumn("loss", col("score")), o.logFloor(), o.mixtureMaxSamples())
                .first();
        Double w = Rows.nullable(m, "mixture_high_weight");
        if (w == null || Rows.nullable(m, "mixture_high_std") == null) {
          throw new IllegalArgumentException(
              "Run '"
                  + id
                  + "' step "
                  + step
                  + ": the loss"
                  + " distribution gives no two-component estimate of the noise fraction; give"
                  + " --fraction F");
        }
        mixture =
            new TwoGaussianMixture(
                1 - w,
                m.getAs("mixture_low_mean"),
                m.getAs("mixture_low_std"),
                w,
                m.getAs("mixture_high_mean"),
                m.getAs("mixture_high_std"),
                Double.NaN,
                0,
                true);
        rho = w;
        if (rho > IMPLAUSIBLE_RHO) {
          warnings.add(
              String.format(
                  java.util.Locale.ROOT,
                  "Run %s step %d: the loss mixture estimates rho = %.3f, above %.1f, so it would"
                      + " flag most samples: the two-component fit has probably failed here (the"
                      + " mislabeled samples are assumed to be the minority). The flagged set is"
                      + " written as computed; check the loss histogram (jobs/report) and rerun"
                      + " with --step N at another recorded step or --fraction F",
                  id,
                  step,
                  rho,
                  IMPLAUSIBLE_RHO));
        }
      }
      long k = Math.round(rho * n);
      double floor = o.logFloor();
      // The kernel stays free of java.io, so the UDF ships the mixture as plain doubles.
      double[] p =
          mixture == null
              ? null
              : new double[] {
                mixture.weightLow(), mixture.meanLow(), mixture.sdLow(),
                mixture.weightHigh(), mixture.meanHigh(), mixture.sdHigh()
              };
      Dataset<Row> ranked =
          atStep
              .withColumn("score_kind", lit(o.score()))
              .withColumn(
                  "rank",
                  row_number()
                      .over(
                          Window.partitionBy("run_id").orderBy(desc("score"), asc("sample_index"))))
              .withColumn("flagged", col("rank").leq(k))
              .withColumn(
                  "posterior_wrong",
                  p == null
                      ? lit(null).cast(DataTypes.DoubleType)
                      : udf(
                              (UDF1<Double, Double>)
                                  s ->
                                      new TwoGaussianMixture(
                                              p[0],
                                              p[1],
                                              p[2],
                                              p[3],
                                              p[4],
                                              p[5],
                                              Double.NaN,
                                              0,
                                              true)
                                          .posteriorHigh(Math.log(Math.max(s, floor))),
                              DataTypes.DoubleType)
                          .apply(col("score")));
      LakeTables.write(ranked, o.lake(), Tables.FLAGGED_SAMPLES);

      Dataset<Row> written =
          LakeTables.read(spark, o.lake(), Tables.FLAGGED_SAMPLES).where(col("run_id").equalTo(id));
      Row counts =
          written
              .agg(
                  sum(when(col("mislabeled"), 1L).otherwise(0L)).as("num_mislabeled"),
                  sum(when(col("mislabeled").and(col("flagged")), 1L).otherwise(0L))
                      .as("true_positives"))
              .first();
      long wrong = counts.getAs("num_mislabeled");
      long truePositives = counts.getAs("true_positives");
      double[] prf = Separation.precisionRecallF1(truePositives, k, wrong);
      String exportPath =
          o.export() != null
              ? o.export()
              : new Path(new Path(o.lake(), "_exports"), id + "-flagged.txt").toString();
      List<Integer> flagged =
          written
              .where(col("flagged"))
              .select("sample_index")
              .orderBy("sample_index")
              .as(org.apache.spark.sql.Encoders.INT())
              .collectAsList();
      export(spark, exportPath, flagged);
      return RowFactory.create(
          id,
          step,
          o.rule().label(),
          o.score(),
          window,
          n,
          k,
          o.fraction() != null ? "given" : "mixture",
          rho,
          wrong / (double) n,
          truePositives,
          Rows.finite(prf[0]),
          Rows.finite(prf[1]),
          Rows.finite(prf[2]),
          exportPath);
    } finally {
      atStep.unpersist();
    }
  }

  private static long chooseStep(SparkSession spark, Options o, String id, Dataset<Row> losses) {
    List<Long> steps =
        losses
            .select("step")
            .distinct()
            .orderBy("step")
            .as(org.apache.spark.sql.Encoders.LONG())
            .collectAsList();
    if (steps.isEmpty()) {
      throw new IllegalArgumentException(
          "Run '" + id + "' has no sample_losses rows; record per-sample losses when training");
    }
    switch (o.rule()) {
      case GIVEN -> {
        if (!steps.contains(o.step())) {
          throw new IllegalArgumentException(
              "Run '"
                  + id
                  + "' has no per-sample losses at step "
                  + o.step()
                  + "; recorded steps run from "
                  + steps.get(0)
                  + " to "
                  + steps.get(steps.size() - 1)
                  + " ("
                  + steps.size()
                  + " steps)");
        }
        return o.step();
      }
      case T_SEP -> {
        List<Row> summary =
            LakeTables.read(spark, o.lake(), Tables.SEPARATION_SUMMARY)
                .where(col("run_id").equalTo(id).and(col("score").equalTo(o.score())))
                .select("t_sep")
                .collectAsList();
        if (summary.isEmpty()) {
          throw new IllegalArgumentException(
              "Run '"
                  + id
                  + "' has no separation_summary row for"
                  + " score "
                  + o.score()
                  + "; run the loss-separation job first, or give --step N or"
                  + " --at label-free");
        }
        return summary.get(0).<Long>getAs("t_sep");
      }
      default -> {
        List<Row> perStep =
            LossMixtures.perStep(losses, o.logFloor(), o.mixtureMaxSamples())
                .orderBy("step")
                .collectAsList();
        double[] d = new double[perStep.size()];
        double[] w = new double[perStep.size()];
        for (int i = 0; i < d.length; i++) {
          Double di = Rows.nullable(perStep.get(i), "mixture_separation");
          Double wi = Rows.nullable(perStep.get(i), "mixture_high_weight");
          d[i] = di == null ? Double.NaN : di;
          w[i] = wi == null ? Double.NaN : wi;
        }
        int peak = PhaseRules.labelFreeSeparationPeak(d, w, PhaseRules.Thresholds.DEFAULTS);
        if (peak < 0) {
          throw new IllegalArgumentException(
              "Run '"
                  + id
                  + "': no recorded step has a bimodal log-loss distribution, so there is no"
                  + " label-free separation peak; give --step N");
        }
        return perStep.get(peak).<Long>getAs("step");
      }
    }
  }

  private static void export(SparkSession spark, String path, List<Integer> indices) {
    Path p = new Path(path);
    try {
      FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
      fs.mkdirs(p.getParent());
      try (Writer out = new OutputStreamWriter(fs.create(p, true), StandardCharsets.UTF_8)) {
        for (int i : indices) {
          out.write(Integer.toString(i));
          out.write('\n');
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot write the flagged samples to "
              + path
              + ": "
              + e.getMessage()
              + "; check --export",
          e);
    }
  }
}
