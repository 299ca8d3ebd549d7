package org.sgdlens.cli;

import java.util.Locale;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.analysis.VarianceFlatness;
import org.sgdlens.lake.Columns;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Entry point of the variance-flatness job (docs/science.md section 3.4). */
public final class VarianceFlatnessJob {
  @Command(
      name = "jobs/variance-flatness",
      description =
          "Joins pca_variances and flatness and fits log sigma_i^2 = a - psi log F_i (censored"
              + " components excluded and counted), the rank law sigma_i^2 ~ i^-gamma and the"
              + " number of components holding a variance fraction without component 1, for"
              + " every run or the --run ones. Writes variance_flatness.",
      footer = AuthorsProtocol.VARIANCE_FLATNESS_HELP)
  static final class Args {
    @Mixin StandardOptions standard = new StandardOptions();
    @Mixin RunSelection runs = new RunSelection();
    @Mixin AuthorsProtocol.Flag authors = new AuthorsProtocol.Flag();

    @Option(
        names = "--fit-from",
        paramLabel = "I",
        defaultValue = "" + VarianceFlatness.Options.FIT_FROM_DEFAULT,
        description = "first component of the psi fit (default: ${DEFAULT-VALUE}: skips the drift)")
    int fitFrom;

    @Option(
        names = "--fit-to",
        paramLabel = "I",
        defaultValue = "" + VarianceFlatness.Options.FIT_TO_DEFAULT,
        description =
            "last component of the psi fit, 0 = the last component with a flatness row (default:"
                + " ${DEFAULT-VALUE})")
    int fitTo;

    @Option(
        names = "--fit-every",
        paramLabel = "K",
        defaultValue = "" + VarianceFlatness.Options.FIT_EVERY_DEFAULT,
        description =
            "stride of the psi fit: components --fit-from, +K, ... (default: ${DEFAULT-VALUE})")
    int fitEvery;

    @Option(
        names = "--rank-from",
        paramLabel = "I",
        defaultValue = "" + VarianceFlatness.Options.RANK_FROM_DEFAULT,
        description = "first component of the gamma fit (default: ${DEFAULT-VALUE})")
    int rankFrom;

    @Option(
        names = "--rank-to",
        paramLabel = "I",
        defaultValue = "" + VarianceFlatness.Options.RANK_TO_DEFAULT,
        description = "last component of the gamma fit, 0 = all (default: ${DEFAULT-VALUE})")
    int rankTo;

    @Option(
        names = "--confidence",
        paramLabel = "C",
        defaultValue = "" + VarianceFlatness.Options.CONFIDENCE_DEFAULT,
        description = "confidence level of the intervals (default: ${DEFAULT-VALUE})")
    double confidence;

    @Option(
        names = "--variance-fraction",
        paramLabel = "X",
        defaultValue = "" + VarianceFlatness.Options.VARIANCE_FRACTION_DEFAULT,
        description = "fraction for components_holding (default: ${DEFAULT-VALUE})")
    double varianceFraction;
  }

  private VarianceFlatnessJob() {}

  public static void main(String[] a) {
    JobMain.main("variance-flatness", a, VarianceFlatnessJob::run);
  }

  static int run(String[] args) {
    Args a =
        Cli.parse(new Args(), AuthorsProtocol.withPreset(AuthorsProtocol.VARIANCE_FLATNESS, args));
    if (a == null) {
      return 0;
    }
    System.out.println(AuthorsProtocol.convention(a.authors.on, AuthorsProtocol.VARIANCE_FLATNESS));
    VarianceFlatness.Options options =
        VarianceFlatness.Options.builder()
            .setLake(a.standard.lake)
            .optRuns(a.runs.ids())
            .optFitFrom(a.fitFrom)
            .optFitTo(a.fitTo)
            .optFitEvery(a.fitEvery)
            .optRankFrom(a.rankFrom)
            .optRankTo(a.rankTo)
            .optConfidence(a.confidence)
            .optVarianceFraction(a.varianceFraction)
            .build();
    SparkSession spark = SparkSession.builder().appName("sgdlens-variance-flatness").getOrCreate();
    VarianceFlatness.Result result = VarianceFlatness.run(spark, options);
    result.warnings().forEach(w -> System.err.println("warning: " + w));
    for (Row r : result.rows()) {
      System.out.printf(
          Locale.ROOT,
          "%s (window %s, %s): psi = %s [%s, %s] R^2 = %s over %d components (%d-%d%s, %d"
              + " censored excluded)%s; gamma = %s over components %d-%d%s; %d components hold %.0f%% of"
              + " the variance without i=1%n",
          r.getAs("run_id"),
          r.getAs(Columns.PCA_WINDOW),
          r.getAs("method"),
          fmt(r.getAs("psi")),
          fmt(r.getAs("psi_ci_low")),
          fmt(r.getAs("psi_ci_high")),
          fmt(r.getAs("r2")),
          r.<Integer>getAs("fit_points"),
          r.<Integer>getAs("fit_from"),
          r.<Integer>getAs("fit_to"),
          r.<Integer>getAs("fit_every") == 1 ? "" : " every " + r.getAs("fit_every") + "th",
          r.<Integer>getAs("censored_excluded"),
          r.getAs("fit_caveat") == null ? "" : " [weak fit: " + r.getAs("fit_caveat") + "]",
          fmt(r.getAs("gamma")),
          r.<Integer>getAs("rank_from"),
          r.<Integer>getAs("rank_to"),
          r.getAs("precision_floor") == null
              ? ""
              : String.format(
                  Locale.ROOT,
                  " (above 100 x the float32 floor %.1e)",
                  r.<Double>getAs("precision_floor")),
          r.<Integer>getAs("components_holding"),
          100 * r.<Double>getAs("variance_fraction"));
    }
    return 0;
  }

  private static String fmt(Double value) {
    return value == null ? "n/a" : String.format(Locale.ROOT, "%.3f", value);
  }
}
