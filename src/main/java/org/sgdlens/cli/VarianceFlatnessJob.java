package org.sgdlens.cli;

import java.util.Locale;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.analysis.VarianceFlatness;

/** Entry point of the variance-flatness job (science.md section 3.4). */
public final class VarianceFlatnessJob {
  static final String USAGE =
      """
      Usage: variance-flatness [--lake PATH] [--run ID]... [options]
      Joins pca_variances and flatness and fits log sigma_i^2 = a - psi log F_i (censored
      components excluded and counted), the rank law sigma_i^2 ~ i^-gamma and the number of
      components holding a variance fraction without component 1. Writes variance_flatness.

        --lake PATH            lake root (default ./lake)
        --run ID               run, repeatable or comma-separated (default: all runs)
        --fit-from I           first component of the psi fit (default 2: skips the drift)
        --fit-to I             last component of the psi fit (default 0 = the last
                               component with a flatness row)
        --rank-from I          first component of the gamma fit (default 20)
        --rank-to I            last component of the gamma fit (default 0 = all)
        --confidence C         confidence level of the intervals (default 0.95)
        --variance-fraction X  fraction for components_holding (default 0.9)
      """;

  private VarianceFlatnessJob() {}

  public static void main(String[] a) {
    JobMain.main("variance-flatness", a, VarianceFlatnessJob::run);
  }

  static int run(String[] args) {
    JobArgs o =
        JobArgs.analysis(
            args,
            USAGE,
            "fit-from",
            "fit-to",
            "rank-from",
            "rank-to",
            "confidence",
            "variance-fraction");
    if (o == null) {
      return 0;
    }
    VarianceFlatness.Options options =
        new VarianceFlatness.Options(
            o.get("lake", "./lake"),
            o.all("run"),
            o.getInt("fit-from", 2),
            o.getInt("fit-to", 0),
            o.getInt("rank-from", 20),
            o.getInt("rank-to", 0),
            o.getDouble("confidence", 0.95),
            o.getDouble("variance-fraction", 0.9));
    SparkSession spark = SparkSession.builder().appName("sgdlens-variance-flatness").getOrCreate();
    VarianceFlatness.Result result = VarianceFlatness.run(spark, options);
    result.warnings().forEach(w -> System.err.println("warning: " + w));
    for (Row r : result.rows()) {
      System.out.printf(
          Locale.ROOT,
          "%s (window %s, %s): psi = %s [%s, %s] R^2 = %s over %d components (%d censored"
              + " excluded); gamma = %s; %d components hold %.0f%% of the variance without i=1%n",
          r.getAs("run_id"),
          r.getAs("window"),
          r.getAs("method"),
          fmt(r.getAs("psi")),
          fmt(r.getAs("psi_ci_low")),
          fmt(r.getAs("psi_ci_high")),
          fmt(r.getAs("r2")),
          r.<Integer>getAs("fit_points"),
          r.<Integer>getAs("censored_excluded"),
          fmt(r.getAs("gamma")),
          r.<Integer>getAs("components_holding"),
          100 * r.<Double>getAs("variance_fraction"));
    }
    return 0;
  }

  private static String fmt(Double value) {
    return value == null ? "n/a" : String.format(Locale.ROOT, "%.3f", value);
  }
}
