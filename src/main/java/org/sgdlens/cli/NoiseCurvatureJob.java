package org.sgdlens.cli;

import java.util.Locale;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.analysis.NoiseCurvature;
import org.sgdlens.curvature.RunLayerProbeFactory;
import org.sgdlens.kernel.NoiseCurvatureStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Entry point of the noise-curvature job (docs/curvature.md section 5). */
public final class NoiseCurvatureJob {
  @Command(
      name = "jobs/noise-curvature",
      description =
          "SGD noise covariance C = (1/B)(N-B)/(N-1) Sigma_g, Fisher F and E[h^2] of one layer"
              + " block of the built-in MLP, in the eigenbasis of the exact Hessian block H of"
              + " the mean training loss, with the power laws c_ii ~ lambda_i^gamma (95%% CI,"
              + " R^2), the relative commutator |CH - HC|/(|C||H|) and Frobenius cosines. The"
              + " training rows are spread over Spark tasks; each task builds the model once."
              + " Writes noise_curvature_pairs and noise_curvature, for every committed run or"
              + " the --run ones.")
  static final class Args {
    @Mixin StandardOptions standard = new StandardOptions();
    @Mixin RunSelection runs = new RunSelection();

    @Option(
        names = "--layer",
        paramLabel = "NAME",
        defaultValue = NoiseCurvature.Options.LAYER_DEFAULT,
        description =
            "parameter block S, e.g. fc2.weight (a layer name such as fc2 takes its weight and"
                + " bias; P_S at most 5000) (default: ${DEFAULT-VALUE})")
    String layer;

    @Option(
        names = "--step",
        paramLabel = "T",
        description =
            "use the recorded weights snapshot at this step (the run must record every layer);"
                + " without it, the final weights of final_params")
    Long step;

    @Option(
        names = "--gamma-range",
        paramLabel = "SPEC",
        defaultValue = NoiseCurvature.Options.GAMMA_RANGE_DEFAULT,
        description =
            "1-based eigen-indices of the fits, e.g. 1-50 or 2,5,7-9; auto = every lambda_i >="
                + " floor * lambda_max (default: ${DEFAULT-VALUE})")
    String gammaRange;

    @Option(
        names = "--floor",
        paramLabel = "X",
        defaultValue = "" + NoiseCurvatureStats.FLOOR_DEFAULT,
        description = "relative eigenvalue floor of --gamma-range auto (default: ${DEFAULT-VALUE})")
    double floor;

    @Option(
        names = "--full-eh2-max",
        paramLabel = "P",
        defaultValue = "" + NoiseCurvature.Options.FULL_EH2_MAX_DEFAULT,
        description =
            "largest P_S for which E[h^2] is built in full (cost N*P_S^3) for its cosine with C;"
                + " above it only its eigenbasis diagonal (default: ${DEFAULT-VALUE})")
    int fullEh2Max;

    @Option(
        names = "--tasks",
        paramLabel = "N",
        defaultValue = "" + NoiseCurvature.Options.TASKS_DEFAULT,
        description = "Spark tasks, 0 for Spark's default parallelism (default: ${DEFAULT-VALUE})")
    int tasks;

    @Option(
        names = "--max-samples",
        paramLabel = "N",
        defaultValue = "" + RunLayerProbeFactory.MAX_SAMPLES_DEFAULT,
        description = "training samples of the loss, 0 = all (default: ${DEFAULT-VALUE})")
    int maxSamples;

    @Option(
        names = "--seed",
        paramLabel = "S",
        defaultValue = "" + RunLayerProbeFactory.SEED_DEFAULT,
        description = "seed of the sample subset (default: ${DEFAULT-VALUE})")
    long seed;
  }

  private NoiseCurvatureJob() {}

  public static void main(String[] a) {
    JobMain.main("noise-curvature", a, NoiseCurvatureJob::run);
  }

  static int run(String[] args) {
    Args a = Cli.parse(new Args(), args);
    if (a == null) {
      return 0;
    }
    NoiseCurvature.Options options =
        NoiseCurvature.Options.builder()
            .setLake(a.standard.lake)
            .optRuns(a.runs.ids())
            .optLayer(a.layer)
            .optStep(a.step == null ? NoiseCurvature.Options.FINAL_STEP : a.step)
            .optGammaRange(a.gammaRange)
            .optFloor(a.floor)
            .optFullEh2Max(a.fullEh2Max)
            .optTasks(a.tasks)
            .build();
    int maxSamples = a.maxSamples;
    long seed = a.seed;
    SparkSession spark = SparkSession.builder().appName("sgdlens-noise-curvature").getOrCreate();
    NoiseCurvature.Result result =
        NoiseCurvature.run(
            spark,
            options,
            (lakeRoot, runId, layer, snapshot, step) ->
                new RunLayerProbeFactory(lakeRoot, runId, layer, snapshot, step, maxSamples, seed));
    result.warnings().forEach(w -> System.err.println("warning: " + w));
    for (NoiseCurvature.RunResult r : result.runs()) {
      print(r);
    }
    return result.runs().isEmpty() ? 1 : 0;
  }

  static void print(NoiseCurvature.RunResult r) {
    NoiseCurvatureStats.Result s = r.stats();
    System.out.printf(
        Locale.ROOT,
        "%s step %d %s: P_S = %d, N = %d, B = %d, C = %.6g * Sigma_g, loss %.6g,"
            + " lambda in [%.4g, %.4g]%n",
        r.runId(),
        r.step(),
        r.layer(),
        s.p(),
        s.n(),
        s.batch(),
        s.factor(),
        s.loss(),
        s.lambda()[s.p() - 1],
        s.lambda()[0]);
    System.out.printf(Locale.ROOT, "  fit range: %s%n", s.range().description());
    line("gamma   (c_ii vs lambda_i)", s.gammaC());
    line("gamma_F (f_ii vs lambda_i)", s.gammaF());
    line("gamma_E (E[h^2]_ii vs lambda_i)", s.gammaEh2());
    System.out.printf(
        Locale.ROOT,
        "  commutator |CH-HC|/(|C||H|) = %.4g; cos(C,H) = %.4f; cos(C,E[h^2]) = %s;"
            + " diagonal cosines (c,lambda) = %.4f, (c,eh2) = %.4f%n",
        s.commutator(),
        s.cosineCH(),
        s.expectedHessianSquare() == null
            ? "not computed (P_S above --full-eh2-max)"
            : String.format(Locale.ROOT, "%.4f", s.cosineCEh2()),
        s.cosineCHDiagonal(),
        s.cosineCEh2Diagonal());
  }

  private static void line(String name, NoiseCurvatureStats.GammaFit fit) {
    if (fit == null) {
      System.out.printf(Locale.ROOT, "  %s: fewer than 3 positive points, no fit%n", name);
      return;
    }
    System.out.printf(
        Locale.ROOT,
        "  %s = %.4f, 95%% CI [%.4f, %.4f], R^2 = %.4f, %d points%n",
        name,
        fit.gamma(),
        fit.low(),
        fit.high(),
        fit.r2(),
        fit.points());
  }
}
