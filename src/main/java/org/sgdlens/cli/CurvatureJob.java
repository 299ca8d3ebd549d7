package org.sgdlens.cli;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.analysis.Curvature;
import org.sgdlens.curvature.RunCurvature;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Entry point of the curvature job (docs/curvature.md, "The curvature job"). */
public final class CurvatureJob {
  @Command(
      name = "jobs/curvature",
      description =
          "Hessian curvature of the mean training loss at a run's recorded weight snapshots,"
              + " after the fact: the top-k eigenvalues (Lanczos), the trace (Hutchinson, with its"
              + " standard error) and optionally the spectral density (stochastic Lanczos"
              + " quadrature), of all parameters or of one layer's block. Only the built-in MLP"
              + " (model.kind mlp) is supported, and only runs whose snapshots hold every"
              + " parameter (record.layers empty). Steps are spread over Spark tasks; each task"
              + " loads the training set once. Writes curvature (and curvature_density with"
              + " --density), for every run with weights or the --run ones.")
  static final class Args {
    @Mixin StandardOptions standard = new StandardOptions();
    @Mixin RunSelection runs = new RunSelection();

    @Option(
        names = "--steps",
        paramLabel = "SPEC",
        description =
            "recorded steps and ranges, e.g. 0,100,200-400 (a range takes the recorded steps in"
                + " it); default: every recorded weight snapshot")
    String steps;

    @Option(
        names = "--every",
        paramLabel = "N",
        defaultValue = "" + Curvature.Options.EVERY_DEFAULT,
        description =
            "keep every N-th of the selected snapshots, starting with the first (default:"
                + " ${DEFAULT-VALUE})")
    int every;

    @Option(
        names = "--layer",
        paramLabel = "NAME",
        description =
            "the Hessian block of one layer (fc2: its weight and bias) or parameter (fc2.weight);"
                + " default: all parameters")
    String layer;

    @Option(
        names = "--top-k",
        paramLabel = "K",
        defaultValue = "" + Curvature.Options.TOP_K_DEFAULT,
        description = "largest eigenvalues per snapshot (default: ${DEFAULT-VALUE})")
    int topK;

    @Option(
        names = "--lanczos-steps",
        paramLabel = "M",
        defaultValue = "" + Curvature.Options.LANCZOS_STEPS_DEFAULT,
        description =
            "Lanczos steps, at most P; 0 for min(P, max(2k + 20, 3k)) (default: ${DEFAULT-VALUE})")
    int lanczosSteps;

    @Option(
        names = "--trace-probes",
        paramLabel = "N",
        defaultValue = "" + Curvature.Options.TRACE_PROBES_DEFAULT,
        description = "Rademacher probes of the Hutchinson trace (default: ${DEFAULT-VALUE})")
    int traceProbes;

    @Option(
        names = "--density",
        description = "also estimate the spectral density (SLQ) into curvature_density")
    boolean density;

    @Option(
        names = "--density-probes",
        paramLabel = "N",
        defaultValue = "" + Curvature.Options.DENSITY_PROBES_DEFAULT,
        description = "probes of the spectral density (default: ${DEFAULT-VALUE})")
    int densityProbes;

    @Option(
        names = "--density-steps",
        paramLabel = "M",
        defaultValue = "" + Curvature.Options.DENSITY_STEPS_DEFAULT,
        description = "Lanczos steps per density probe, at most P (default: ${DEFAULT-VALUE})")
    int densitySteps;

    @Option(
        names = "--subset",
        paramLabel = "N",
        defaultValue = "" + Curvature.Options.SUBSET_DEFAULT,
        description =
            "a seeded subset of N training rows; 0 for the run's whole training set (default:"
                + " ${DEFAULT-VALUE})")
    int subset;

    @Option(
        names = "--seed",
        paramLabel = "S",
        defaultValue = "" + Curvature.Options.SEED_DEFAULT,
        description =
            "seed of the subset, the Lanczos start vector and the probes (default:"
                + " ${DEFAULT-VALUE})")
    long seed;

    @Option(
        names = "--tasks",
        paramLabel = "N",
        defaultValue = "" + Curvature.Options.TASKS_DEFAULT,
        description = "Spark tasks, 0 for Spark's default parallelism (default: ${DEFAULT-VALUE})")
    int tasks;
  }

  private CurvatureJob() {}

  public static void main(String[] a) {
    JobMain.main("curvature", a, CurvatureJob::run);
  }

  static int run(String[] args) {
    Args a = Cli.parse(new Args(), args);
    if (a == null) {
      return 0;
    }
    Curvature.Options options =
        Curvature.Options.builder()
            .setLake(a.standard.lake)
            .optRuns(a.runs.ids())
            .optSteps(a.steps)
            .optEvery(a.every)
            .optLayer(a.layer)
            .optTopK(a.topK)
            .optLanczosSteps(a.lanczosSteps)
            .optTraceProbes(a.traceProbes)
            .optDensity(a.density)
            .optDensityProbes(a.densityProbes)
            .optDensitySteps(a.densitySteps)
            .optSubset(a.subset)
            .optSeed(a.seed)
            .optTasks(a.tasks)
            .build();
    SparkSession spark = SparkSession.builder().appName("sgdlens-curvature").getOrCreate();
    Curvature.Result result = Curvature.run(spark, options, CurvatureJob::engine);
    result.warnings().forEach(w -> System.err.println("warning: " + w));
    for (Curvature.RunResult r : result.runs()) {
      System.out.printf(
          Locale.ROOT, "%s (scope %s): %d snapshot(s)%n", r.runId(), r.scope(), r.steps().size());
      r.steps().stream()
          .limit(5)
          .forEach(
              s ->
                  System.out.printf(
                      Locale.ROOT,
                      "  step %d: L = %.6g, lambda = %s, tr(H) = %.6g +- %.2g (P = %d, N = %d)%n",
                      s.step(),
                      s.loss(),
                      Arrays.toString(
                          Arrays.stream(s.eigenvalues())
                              .mapToObj(v -> String.format(Locale.ROOT, "%.5g", v))
                              .toArray()),
                      s.trace(),
                      s.traceStandardError(),
                      s.params(),
                      s.rows()));
    }
    return result.runs().isEmpty() ? 1 : 0;
  }

  /** The engine of the built-in MLP (org.sgdlens.curvature), as the job's oracle of a run. */
  static RunCurvature engine(String lakeRoot, String runId, Curvature.Options o) {
    return new RunCurvature(
        lakeRoot,
        runId,
        new RunCurvature.Settings(
            o.layer() == null ? List.of() : List.of(o.layer()),
            o.topK(),
            o.lanczosSteps(),
            o.traceProbes(),
            o.density() ? o.densityProbes() : 0,
            o.densitySteps(),
            o.subset(),
            o.seed()));
  }
}
