package org.sgdlens.cli;

import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.analysis.TrajectoryPca;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Entry point of the trajectory-pca job (docs/science.md section 3.1). */
public final class TrajectoryPcaJob {
  @Command(
      name = "jobs/trajectory-pca",
      description =
          "PCA of a window of recorded weight snapshots (table weights), centred on the window"
              + " mean, of every run or the --run ones. Writes pca_variances (all variances,"
              + " ddof=1, or the leading --components) and pca_directions (leading directions). The window is every recorded"
              + " snapshot unless --from-step, --to-step, --last or --min-train-accuracy narrow"
              + " it.",
      footer = AuthorsProtocol.TRAJECTORY_PCA_HELP)
  static final class Args {
    @Mixin StandardOptions standard = new StandardOptions();
    @Mixin RunSelection runs = new RunSelection();
    @Mixin AuthorsProtocol.Flag authors = new AuthorsProtocol.Flag();

    @Option(names = "--from-step", paramLabel = "S", description = "window: first step, inclusive")
    Long fromStep;

    @Option(names = "--to-step", paramLabel = "S", description = "window: last step, inclusive")
    Long toStep;

    @Option(
        names = "--last",
        paramLabel = "N",
        description = "window: the last N steps, recorded steps s > last - N")
    Long last;

    @Option(
        names = "--min-train-accuracy",
        paramLabel = "A",
        description =
            "window: start no earlier than the first step from which the training accuracy"
                + " (table metrics) stays above A, e.g. 0.99")
    Double minTrainAccuracy;

    @Option(
        names = "--method",
        paramLabel = "M",
        defaultValue = TrajectoryPca.Options.METHOD_DEFAULT,
        description = "mllib | gram | auto (default: ${DEFAULT-VALUE})")
    String method;

    @Option(
        names = "--mllib-max-params",
        paramLabel = "P",
        defaultValue = "" + TrajectoryPca.Options.MLLIB_MAX_PARAMS_DEFAULT,
        description =
            "auto uses MLlib's covariance PCA when P <= this and P < T (the P x P covariance is"
                + " the smaller matrix), the T x T Gram (snapshot) method otherwise (default:"
                + " ${DEFAULT-VALUE})")
    int mllibMaxParams;

    @Option(
        names = "--directions",
        paramLabel = "K",
        defaultValue = "" + TrajectoryPca.Options.DIRECTIONS_DEFAULT,
        description = "leading directions to store (default: ${DEFAULT-VALUE})")
    int directions;

    @Option(
        names = "--components",
        paramLabel = "K",
        defaultValue = "" + TrajectoryPca.Options.COMPONENTS_DEFAULT,
        description =
            "variances of the leading K components only, 0 for all (default: ${DEFAULT-VALUE});"
                + " the Gram method then finds K eigenpairs instead of decomposing T x T in full."
                + " Explained ratios stay fractions of the total (the trace)")
    int components;

    @Option(
        names = "--block-mb",
        paramLabel = "MB",
        defaultValue = "" + TrajectoryPca.Options.BLOCK_MB_DEFAULT,
        description =
            "Gram method: memory of one task's block, T x block x 4 bytes (default:"
                + " ${DEFAULT-VALUE})")
    long blockMb;
  }

  /** The help text. */
  static final String USAGE = Cli.usage(new Args());

  private TrajectoryPcaJob() {}

  public static void main(String[] a) {
    JobMain.main("trajectory-pca", a, TrajectoryPcaJob::run);
  }

  static int run(String[] args) {
    Args a =
        Cli.parse(new Args(), AuthorsProtocol.withPreset(AuthorsProtocol.TRAJECTORY_PCA, args));
    if (a == null) {
      return 0;
    }
    System.out.println(AuthorsProtocol.convention(a.authors.on, AuthorsProtocol.TRAJECTORY_PCA));
    TrajectoryPca.Options options =
        TrajectoryPca.Options.builder()
            .setLake(a.standard.lake)
            .optRuns(a.runs.ids())
            .optFromStep(a.fromStep)
            .optToStep(a.toStep)
            .optLastSteps(a.last)
            .optMethod(TrajectoryPca.Method.parse(a.method))
            .optMllibMaxParams(a.mllibMaxParams)
            .optDirections(a.directions)
            .optComponents(a.components)
            .optBlockMb(a.blockMb)
            .optMinTrainAccuracy(a.minTrainAccuracy)
            .build();
    SparkSession spark = SparkSession.builder().appName("sgdlens-trajectory-pca").getOrCreate();
    TrajectoryPca.Result result = TrajectoryPca.run(spark, options);
    result.warnings().forEach(w -> System.err.println("warning: " + w));
    for (TrajectoryPca.RunResult r : result.runs()) {
      System.out.printf(
          Locale.ROOT,
          "%s: window %s, T=%d snapshots, P=%d, method %s, %d directions stored%n",
          r.runId(),
          r.window(),
          r.snapshots(),
          r.params(),
          r.method().label(),
          r.directionsWritten());
      double[] v = r.variances();
      System.out.printf(
          Locale.ROOT,
          "  total variance %.6g; sigma^2_1..3 = %s; component 1 explains %.1f%%%n",
          r.totalVariance(),
          List.of(v.length > 0 ? v[0] : 0, v.length > 1 ? v[1] : 0, v.length > 2 ? v[2] : 0),
          r.totalVariance() > 0 && v.length > 0 ? 100 * v[0] / r.totalVariance() : 0.0);
    }
    return result.runs().isEmpty() ? 1 : 0;
  }
}
