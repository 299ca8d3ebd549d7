package org.sgdlens.curvature;

import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import org.sgdlens.kernel.CurvatureOracle;
import org.sgdlens.kernel.CurvatureOracleFactory;
import org.sgdlens.lake.Lake;
import org.sgdlens.record.ConfigLoader;
import org.sgdlens.record.RunConfig;
import org.sgdlens.record.TrainingData;

/**
 * The curvature job's oracle on a run's built-in MLP: each Spark task opens one (the run config,
 * its training set with the given labels it was trained on, one float64 {@link MlpHessian}) and
 * computes, for each weight snapshot, the Lanczos top-k, the Hutchinson trace and optionally the
 * SLQ density of the Hessian (block) of the mean training loss (docs/curvature.md).
 *
 * <p>The constructor runs on the driver and refuses a run whose model is not the built-in MLP, so
 * the error names the run and its model before any task starts.
 */
public final class RunCurvature implements CurvatureOracleFactory, Serializable {
  private static final long serialVersionUID = 1L;

  /** HVPs per backward pass of the probes and the final residual check. */
  static final int BATCH = 8;

  private final String lakeRoot;
  private final String runId;
  private final String configJson;
  private final Settings settings;

  /**
   * What to compute at every snapshot.
   *
   * @param layers parameter or layer names of the block ({@link MlpSpec#select}), empty for all
   * @param topK eigenvalues wanted
   * @param lanczosSteps Lanczos steps, 0 for {@link Lanczos#defaultSteps}
   * @param traceProbes Rademacher probes of the trace
   * @param densityProbes probes of the spectral density, 0 for no density
   * @param densitySteps Lanczos steps per density probe (at most P_S are taken)
   * @param subset training rows of a seeded subset ({@link Samples#subset}), 0 for all
   * @param seed seed of the subset, the Lanczos start and the probes
   */
  public record Settings(
      List<String> layers,
      int topK,
      int lanczosSteps,
      int traceProbes,
      int densityProbes,
      int densitySteps,
      int subset,
      long seed)
      implements Serializable {
    public Settings {
      layers = List.copyOf(layers);
    }
  }

  public RunCurvature(String lakeRoot, String runId, Settings settings) {
    Lake lake = Lake.open(lakeRoot);
    String json =
        lake.runField(runId, "config_json")
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "Run '"
                            + runId
                            + "' is not in the lake "
                            + lakeRoot
                            + "; list runs with jobs/sql -e 'SELECT run_id FROM runs'"));
    RunConfig config = ConfigLoader.fromJson(json);
    if (!"mlp".equals(config.model.kind)) {
      throw new IllegalArgumentException(
          "Run '"
              + runId
              + "' trains the model "
              + lake.runField(runId, "model").orElse(config.model.kind)
              + " (model.kind "
              + config.model.kind
              + "); the curvature job supports only the built-in MLP (model.kind mlp: Linear"
              + " layers with relu, tanh or sigmoid, cross_entropy or mse), whose Hessian"
              + " org.sgdlens.curvature.MlpHessian computes exactly; choose a run trained with"
              + " model.kind mlp");
    }
    this.lakeRoot = lakeRoot;
    this.runId = runId;
    this.configJson = json;
    this.settings = settings;
  }

  @Override
  public CurvatureOracle open() {
    RunConfig config = ConfigLoader.fromJson(configJson);
    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(Math.max(1, config.threads)));
    return oracle(runId, config, TrainingData.load(config), settings);
  }

  /**
   * The oracle of a run's MLP on its training set (given labels): what each curvature task and the
   * recorder's {@code record.curvature} compute at a snapshot, so the two agree by construction.
   */
  static CurvatureOracle oracle(
      String runId, RunConfig config, TrainingData data, Settings settings) {
    MlpSpec spec = MlpSpec.of(config.model, data.inputShape(), data.classes());
    Samples rows =
        settings.subset() > 0 && settings.subset() < data.trainSize()
            ? Samples.subset(data.trainX(), data.givenLabels(), settings.subset(), settings.seed())
            : Samples.all(data.trainX(), data.givenLabels());
    // Unknown layer names fail here, before training or any task starts.
    spec.select(settings.layers());
    MlpHessian engine = MlpHessian.builder().setSpec(spec).build();
    return new CurvatureOracle() {
      @Override
      public Estimates at(float[] recordedWeights) {
        if (recordedWeights.length != spec.size()) {
          throw new IllegalArgumentException(
              String.format(
                  Locale.ROOT,
                  "Run '%s' stores %d weights per snapshot but its MLP %s has %d parameters;"
                      + " curvature needs every parameter, retrain with record.layers empty",
                  runId,
                  recordedWeights.length,
                  spec,
                  spec.size()));
        }
        double[] w = MlpHessian.widen(recordedWeights);
        HessianOperator h = engine.operator(w, rows, settings.layers(), BATCH);
        int p = h.dimension();
        int steps =
            settings.lanczosSteps() > 0
                ? Math.min(p, settings.lanczosSteps())
                : Lanczos.defaultSteps(settings.topK(), p);
        Lanczos.Result top = Lanczos.topK(h, Math.min(settings.topK(), p), steps, settings.seed());
        Hutchinson.Estimate trace =
            Hutchinson.trace(h, settings.traceProbes(), settings.seed() + 1);
        double[] grid = new double[0];
        double[] density = new double[0];
        if (settings.densityProbes() > 0) {
          SpectralDensity.Density d =
              SpectralDensity.estimate(
                  h,
                  settings.densityProbes(),
                  Math.min(p, settings.densitySteps()),
                  settings.seed() + 2);
          grid = d.grid();
          density = d.density();
        }
        return new Estimates(
            engine.loss(w, rows),
            p,
            rows.count(),
            top.values(),
            top.residuals(),
            top.steps(),
            trace.trace(),
            trace.standardError(),
            trace.probes(),
            grid,
            density);
      }

      @Override
      public void close() {
        engine.close();
      }
    };
  }

  /** The run this factory computes for. */
  public String runId() {
    return runId;
  }

  /** The lake the run is in. */
  public String lakeRoot() {
    return lakeRoot;
  }
}
