package org.sgdlens.cli;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.analysis.Duality;
import org.sgdlens.curvature.RunDualityModelFactory;
import org.sgdlens.kernel.DualityModel;
import org.sgdlens.lake.DualityRow;
import org.sgdlens.lake.DualitySummaryRow;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Entry point of the duality job (docs/generalization.md, "Duality"). */
public final class DualityJob {
  /** Directions printed, by |contribution|. */
  static final int PRINTED_DIRECTIONS = 5;

  @Command(
      name = "jobs/duality",
      description =
          "Activity-weight duality (Feng & Tu 2022) of one dense layer of the built-in MLP at its"
              + " final weights: each test sample is paired with its nearest training sample of"
              + " the same class (a distributed search over Spark tasks), the activity change is"
              + " mapped to dual weights dw = (W da) a^T/|a|^2 (the identity (W+dw)a = W(a+da)"
              + " checked on every pair), and the test-train loss gap is decomposed on the"
              + " layer's Hessian eigen-directions p_i as sum_i (mu_g mu_w + c sigma_g sigma_w)."
              + " Writes duality and duality_summary, for every committed run or the --run ones.")
  static final class Args {
    @Mixin StandardOptions standard = new StandardOptions();
    @Mixin RunSelection runs = new RunSelection();

    @Option(
        names = "--layer",
        paramLabel = "NAME",
        defaultValue = Duality.Options.LAYER_DEFAULT,
        description =
            "the dense layer: a weight matrix such as fc2.weight, or its layer name fc2"
                + " (default: ${DEFAULT-VALUE})")
    String layer;

    @Option(
        names = "--pairing",
        paramLabel = "SPACE",
        defaultValue = Duality.Options.PAIRING_DEFAULT,
        description =
            "where the nearest training sample is searched: input (the network input, as the"
                + " authors) or activity (the layer's input activity) (default: ${DEFAULT-VALUE})")
    String pairing;

    @Option(
        names = "--directions",
        paramLabel = "K",
        defaultValue = "" + Duality.Options.DIRECTIONS_DEFAULT,
        description =
            "Hessian eigen-directions of the decomposition, the top K; 0 = every direction of the"
                + " dense Hessian (default: ${DEFAULT-VALUE})")
    int directions;

    @Option(
        names = "--dense-max",
        paramLabel = "P",
        defaultValue = "" + Duality.Options.DENSE_MAX_DEFAULT,
        description =
            "largest layer (weights) whose Hessian block is built and decomposed in full; above"
                + " it the top --directions eigenpairs come from Lanczos (default: ${DEFAULT-VALUE})")
    int denseMax;

    @Option(
        names = "--tasks",
        paramLabel = "N",
        defaultValue = "" + Duality.Options.TASKS_DEFAULT,
        description = "Spark tasks, 0 for Spark's default parallelism (default: ${DEFAULT-VALUE})")
    int tasks;

    @Option(
        names = "--seed",
        paramLabel = "S",
        defaultValue = "" + Duality.Options.SEED_DEFAULT,
        description = "seed of Lanczos' start vector (default: ${DEFAULT-VALUE})")
    long seed;
  }

  private DualityJob() {}

  public static void main(String[] a) {
    JobMain.main("duality", a, DualityJob::run);
  }

  static int run(String[] args) {
    Args a = Cli.parse(new Args(), args);
    if (a == null) {
      return 0;
    }
    Duality.Options options =
        Duality.Options.builder()
            .setLake(a.standard.lake)
            .optRuns(a.runs.ids())
            .optLayer(a.layer)
            .optPairing(DualityModel.Space.of(a.pairing))
            .optDirections(a.directions)
            .optDenseMax(a.denseMax)
            .optTasks(a.tasks)
            .optSeed(a.seed)
            .build();
    SparkSession spark = SparkSession.builder().appName("sgdlens-duality").getOrCreate();
    Duality.Result result = Duality.run(spark, options, RunDualityModelFactory::new);
    result.warnings().forEach(w -> System.err.println("warning: " + w));
    for (Duality.RunResult r : result.runs()) {
      print(r);
    }
    return result.runs().isEmpty() ? 1 : 0;
  }

  static void print(Duality.RunResult r) {
    DualitySummaryRow s = r.summary();
    System.out.printf(
        Locale.ROOT,
        "%s step %d %s (P = %d, %s Hessian, %d directions), pairing %s: %d pairs (%d skipped)%n",
        s.runId(),
        s.step(),
        s.layer(),
        s.params(),
        s.hessian(),
        s.directions(),
        s.pairing(),
        s.pairs(),
        s.pairsSkipped());
    System.out.printf(
        Locale.ROOT,
        "  gap: measured %.5g over pairs (test %.5g - train %.5g over the sets = %.5g);"
            + " predicted %.5g (first order %.5g + curvature %.5g), secant (authors) %.5g%n",
        s.measuredGapPairs(),
        s.testLoss(),
        s.trainLoss(),
        s.measuredGap(),
        s.predictedGap(),
        s.firstOrderGap(),
        s.curvatureGap(),
        s.predictedGapSecant());
    System.out.printf(
        Locale.ROOT,
        "  identity error max %.3g (loss %.3g); lambda_max %.5g; dual weights |dw| %.4g on"
            + " average, %.4f of |dw|^2 inside the directions%n",
        s.identityErrorMax(),
        s.lossIdentityErrorMax(),
        s.lambdaMax(),
        s.meanDualNorm(),
        s.capturedFraction());
    List<DualityRow> top =
        r.directions().stream()
            .sorted(Comparator.comparingDouble((DualityRow d) -> -Math.abs(d.contribution())))
            .limit(PRINTED_DIRECTIONS)
            .toList();
    for (DualityRow d : top) {
      System.out.printf(
          Locale.ROOT,
          "  i=%d h=%.4g: contribution %.4g = mu_g mu_w %.4g + c sigma_g sigma_w %.4g (c=%.3f,"
              + " sigma_w=%.4g); h sigma_w^2/2 = %.4g%n",
          d.i(),
          d.h(),
          d.contribution(),
          d.muG() * d.muW(),
          d.c() * d.sigmaG() * d.sigmaW(),
          d.c(),
          d.sigmaW(),
          d.sharpnessSpread());
    }
  }
}
