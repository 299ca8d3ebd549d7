package org.sgdlens.cli;

import java.util.Locale;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.analysis.Landscape;
import org.sgdlens.kernel.FlatnessSearch;
import org.sgdlens.record.RunModelOracleFactory;

/** Entry point of the landscape job (science.md sections 3.2–3.3). */
public final class LandscapeJob {
  static final String USAGE =
      """
      Usage: landscape [--lake PATH] [--run ID]... [options]
      Loss profiles L(w0 + theta p_i) along the stored principal directions from the final
      weights w0 (the trained model rebuilt from final_params), and their flatness
      F_i = theta_r - theta_l where the loss reaches factor * L0. Directions are spread over Spark
      tasks; each task loads the model once. Writes landscape_profiles and flatness.

        --lake PATH          lake root (default ./lake)
        --run ID             run, repeatable or comma-separated (default: all runs with
                             pca_directions)
        --components SPEC    1-based components, e.g. 1-200 or 2,5,7-9 (default 1-200)
        --factor F           threshold factor on L0 (default e = 2.71828...)
        --initial-step S     first |theta| tried on each side (default 0.01)
        --growth G           outward bracketing factor (default 2)
        --search-range R     largest |theta|; a side still below the threshold there is
                             recorded as censored (default 100)
        --tolerance T        relative bisection tolerance on theta (default 1e-4)
        --tasks N            Spark tasks (default: Spark's default parallelism)
        --max-samples N      training samples for the loss, 0 = all (default 0)
        --seed S             seed of the sample subset (default 0)
      """;

  private LandscapeJob() {}

  public static void main(String[] a) {
    JobMain.main("landscape", a, LandscapeJob::run);
  }

  static int run(String[] args) {
    JobArgs o =
        JobArgs.analysis(
            args,
            USAGE,
            "components",
            "factor",
            "initial-step",
            "growth",
            "search-range",
            "tolerance",
            "tasks",
            "max-samples",
            "seed");
    if (o == null) {
      return 0;
    }
    FlatnessSearch.Settings search =
        new FlatnessSearch.Settings(
            o.getDouble("factor", Math.E),
            o.getDouble("initial-step", 0.01),
            o.getDouble("growth", 2),
            o.getDouble("search-range", 100),
            o.getDouble("tolerance", 1e-4));
    Landscape.Options options =
        new Landscape.Options(
            o.get("lake", "./lake"),
            o.all("run"),
            Landscape.parseComponents(o.get("components", "1-200")),
            search,
            o.getInt("tasks", 0));
    int maxSamples = o.getInt("max-samples", 0);
    long seed = o.getLong("seed", 0);
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
