package org.sgdlens.cli;

import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.analysis.TrajectoryPca;

/** Entry point of the trajectory-pca job (science.md section 3.1). */
public final class TrajectoryPcaJob {
  static final String USAGE =
      """
      Usage: trajectory-pca [--lake PATH] [--run ID]... [window] [options]
      PCA of a window of recorded weight snapshots (table weights), centred on the window mean.
      Writes pca_variances (all variances, ddof=1) and pca_directions (leading directions).

        --lake PATH          lake root (default ./lake)
        --run ID             run to analyse, repeatable or comma-separated (default: all runs)
      Window (default: every recorded snapshot):
        --from-step S        first step, inclusive
        --to-step S          last step, inclusive
        --last N             the last N steps: recorded steps s > last - N
        --min-train-accuracy A  start no earlier than the first step from which the
                             training accuracy (table metrics) stays above A, e.g. 0.99
      Options:
        --method M           mllib | gram | auto (default auto)
        --mllib-max-params P auto uses MLlib's covariance PCA when P <= this (default 5000),
                             the T x T Gram (snapshot) method otherwise
        --directions K       leading directions to store (default 200)
        --block-mb MB        Gram method: memory of one task's block, T x block x 4 bytes
                             (default 64)
        --debug              stack traces on errors
      """;

  private TrajectoryPcaJob() {}

  public static void main(String[] a) {
    JobMain.main("trajectory-pca", a, TrajectoryPcaJob::run);
  }

  static int run(String[] args) {
    JobArgs o =
        JobArgs.analysis(
            args,
            USAGE,
            "from-step",
            "to-step",
            "last",
            "method",
            "mllib-max-params",
            "directions",
            "block-mb",
            "min-train-accuracy");
    if (o == null) {
      return 0;
    }
    TrajectoryPca.Options options =
        new TrajectoryPca.Options(
            o.get("lake", "./lake"),
            o.all("run"),
            o.has("from-step") ? o.getLong("from-step", 0) : null,
            o.has("to-step") ? o.getLong("to-step", 0) : null,
            o.has("last") ? o.getLong("last", 0) : null,
            TrajectoryPca.Method.parse(o.get("method", "auto")),
            o.getInt("mllib-max-params", 5000),
            o.getInt("directions", 200),
            o.getLong("block-mb", 64) << 20,
            o.has("min-train-accuracy") ? o.getDouble("min-train-accuracy", 0) : null);
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
