package org.sgdlens.cli;

import java.util.Locale;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.analysis.Landscape;
import org.sgdlens.kernel.FlatnessSearch;
import org.sgdlens.kernel.FlatnessSearch.Settings;
import org.sgdlens.record.RunModelOracleFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Entry point of the landscape job (docs/science.md sections 3.2–3.3). */
public final class LandscapeJob {
  @Command(
      name = "jobs/landscape",
      description =
          "Loss profiles L(w0 + theta p_i) along the stored principal directions from the final"
              + " weights w0 (the trained model rebuilt from final_params), and their flatness"
              + " F_i = theta_r - theta_l where the loss reaches factor * L0. Directions are"
              + " spread over Spark tasks; each task loads the model once. Writes"
              + " landscape_profiles and flatness, for every run with pca_directions or the --run"
              + " ones.",
      footer = AuthorsProtocol.LANDSCAPE_HELP)
  static final class Args {
    @Mixin StandardOptions standard = new StandardOptions();
    @Mixin RunSelection runs = new RunSelection();
    @Mixin AuthorsProtocol.Flag authors = new AuthorsProtocol.Flag();

    @Option(
        names = "--components",
        paramLabel = "SPEC",
        defaultValue = Landscape.Options.COMPONENTS_DEFAULT,
        description =
            "1-based components, e.g. 1-200, 2,5,7-9 or 1-1000/10 (every 10th from 1) (default:"
                + " ${DEFAULT-VALUE})")
    String components;

    @Option(
        names = "--search",
        paramLabel = "S",
        defaultValue = FlatnessSearch.Search.GEOMETRIC_LABEL,
        description =
            "geometric: outward steps by --growth, bisection of the last bracket to a relative"
                + " --tolerance, interpolation; authors: steps of --initial-step, bisection from 0"
                + " to an absolute --tolerance, midpoint (default: ${DEFAULT-VALUE})")
    String search;

    @Option(
        names = "--factor",
        paramLabel = "F",
        defaultValue = "" + Settings.FACTOR_DEFAULT,
        description = "threshold factor on L0 (default: ${DEFAULT-VALUE}, that is e)")
    double factor;

    @Option(
        names = "--initial-step",
        paramLabel = "S",
        defaultValue = "" + Settings.INITIAL_STEP_DEFAULT,
        description = "first |theta| tried on each side (default: ${DEFAULT-VALUE})")
    double initialStep;

    @Option(
        names = "--growth",
        paramLabel = "G",
        defaultValue = "" + Settings.GROWTH_DEFAULT,
        description = "outward bracketing factor (default: ${DEFAULT-VALUE})")
    double growth;

    @Option(
        names = "--search-range",
        paramLabel = "R",
        defaultValue = "" + Settings.MAX_THETA_DEFAULT,
        description =
            "largest |theta|; a side still below the threshold there is recorded as censored"
                + " (default: ${DEFAULT-VALUE})")
    double searchRange;

    @Option(
        names = "--tolerance",
        paramLabel = "T",
        defaultValue = "" + Settings.RELATIVE_TOLERANCE_DEFAULT,
        description =
            "bisection tolerance on theta, relative (geometric) or absolute (authors) (default:"
                + " ${DEFAULT-VALUE})")
    double tolerance;

    @Option(
        names = "--tasks",
        paramLabel = "N",
        defaultValue = "" + Landscape.Options.TASKS_DEFAULT,
        description = "Spark tasks, 0 for Spark's default parallelism (default: ${DEFAULT-VALUE})")
    int tasks;

    @Option(
        names = "--max-samples",
        paramLabel = "N",
        defaultValue = "" + RunModelOracleFactory.MAX_SAMPLES_DEFAULT,
        description = "training samples for the loss, 0 = all (default: ${DEFAULT-VALUE})")
    int maxSamples;

    @Option(
        names = "--seed",
        paramLabel = "S",
        defaultValue = "" + RunModelOracleFactory.SEED_DEFAULT,
        description = "seed of the sample subset (default: ${DEFAULT-VALUE})")
    long seed;
  }

  private LandscapeJob() {}

  public static void main(String[] a) {
    JobMain.main("landscape", a, LandscapeJob::run);
  }

  static int run(String[] args) {
    Args a = Cli.parse(new Args(), AuthorsProtocol.withPreset(AuthorsProtocol.LANDSCAPE, args));
    if (a == null) {
      return 0;
    }
    System.out.println(AuthorsProtocol.convention(a.authors.on, AuthorsProtocol.LANDSCAPE));
    Landscape.Options options =
        Landscape.Options.builder()
            .setLake(a.standard.lake)
            .optRuns(a.runs.ids())
            .optComponents(a.components)
            .optSearch(
                new Settings(
                    a.factor,
                    a.initialStep,
                    a.growth,
                    a.searchRange,
                    a.tolerance,
                    FlatnessSearch.Search.parse(a.search)))
            .optTasks(a.tasks)
            .build();
    int maxSamples = a.maxSamples;
    long seed = a.seed;
    SparkSession spark = SparkSession.builder().appName("sgdlens-landscape").getOrCreate();
    Landscape.Result result =
        Landscape.run(
            spark,
            options,
            (lakeRoot, runId) -> new RunModelOracleFactory(lakeRoot, runId, maxSamples, seed));
    result.warnings().forEach(w -> System.err.println("warning: " + w));
    for (Landscape.RunResult r : result.runs()) {
      long censored = r.profiles().stream().filter(p -> p.profile().censored()).count();
      double l0 = r.profiles().isEmpty() ? Double.NaN : r.profiles().get(0).profile().l0();
      int evaluations = r.profiles().stream().mapToInt(p -> p.profile().evaluations()).sum();
      System.out.printf(
          Locale.ROOT,
          "%s (window %s): L0 = %.6g; %d directions profiled with %d loss evaluations,"
              + " %d censored%n",
          r.runId(),
          r.window(),
          l0,
          r.profiles().size(),
          evaluations,
          censored);
      r.profiles().stream()
          .limit(5)
          .forEach(
              p ->
                  System.out.printf(
                      Locale.ROOT,
                      "  F_%d = %s%n",
                      p.component(),
                      p.profile().censored()
                          ? "censored (" + p.profile().censoredSide() + ")"
                          : String.format(Locale.ROOT, "%.5g", p.profile().flatness())));
    }
    return result.runs().isEmpty() ? 1 : 0;
  }
}
