package org.sgdlens.curvature;

import java.io.Serializable;
import java.util.List;
import org.sgdlens.kernel.DualityModel;
import org.sgdlens.kernel.DualityModelFactory;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.RunStatus;
import org.sgdlens.lake.Tables;
import org.sgdlens.record.ConfigLoader;
import org.sgdlens.record.RunConfig;
import org.sgdlens.record.TrainingData;

/**
 * The duality job's model of a recorded run (docs/generalization.md, "Duality"): each Spark task
 * opens one (the run config, its training set with the given labels, its test set, the final
 * weights of {@code final_params}); activities and per-sample losses come from {@link MlpForward},
 * per-sample gradients and Hessian-vector products of the layer from {@link MlpHessian} in float64,
 * the top eigenpairs from {@link Lanczos}. Only a weight matrix of the built-in MLP is a dense
 * layer here: {@code fcN.weight}, or {@code fcN} for it.
 */
public final class RunDualityModelFactory implements DualityModelFactory, Serializable {
  private static final long serialVersionUID = 1L;

  /** Hessian-vector products per backward pass of the dense Hessian and of Lanczos. */
  static final int HVP_BATCH = 16;

  private final String lakeRoot;
  private final String runId;
  private final String layer;

  public RunDualityModelFactory(String lakeRoot, String runId, String layer) {
    this.lakeRoot = lakeRoot;
    this.runId = runId;
    this.layer = layer;
  }

  /** The weight parameter a {@code --layer} value names: {@code fcN.weight} or {@code fcN}. */
  static MlpSpec.Param weightOf(MlpSpec spec, String layer, String runId) {
    List<MlpSpec.Param> chosen = spec.select(List.of(layer));
    for (MlpSpec.Param p : chosen) {
      if (!p.bias()) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        "--layer "
            + layer
            + " of run '"
            + runId
            + "' is a bias vector, not a dense layer's weight matrix (the duality maps activity"
            + " changes to weights W of z = W a + b); give "
            + chosen.get(0).layerName()
            + ".weight (or "
            + chosen.get(0).layerName()
            + ")");
  }

  @Override
  public DualityModel open() {
    Lake lake = Lake.open(lakeRoot);
    String status =
        lake.runStatus(runId)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "Run '"
                            + runId
                            + "' is not in the lake "
                            + lakeRoot
                            + "; list runs with jobs/sql -e 'SELECT run_id FROM runs' (check --run"
                            + " and --lake)"));
    if (!status.equals(RunStatus.COMMITTED.name())) {
      throw new IllegalArgumentException(
          "Run '" + runId + "' is " + status + ", not COMMITTED; resume it with jobs/train first");
    }
    RunConfig config = ConfigLoader.fromJson(lake.runField(runId, "config_json").orElseThrow());
    if (!"mlp".equals(config.model.kind)) {
      throw new IllegalArgumentException(
          "Run '"
              + runId
              + "' trains model.kind '"
              + config.model.kind
              + "'; the duality job needs the dense layers of the built-in MLP (model.kind mlp),"
              + " so pick an MLP run (jobs/train --model mlp)");
    }
    if (config.dataset.augment.enabled()) {
      throw new IllegalArgumentException(
          "Run '"
              + runId
              + "' trains on augmented samples, so its training loss is not a fixed sum over the"
              + " stored training set; the duality job needs a run without dataset.augment");
    }
    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(Math.max(1, config.threads)));
    TrainingData data = TrainingData.load(config);
    MlpSpec spec = MlpSpec.of(config.model, data.inputShape(), data.classes());
    MlpSpec.Param weight = weightOf(spec, layer, runId);
    if (data.testSize() == 0) {
      throw new IllegalArgumentException(
          "Run '"
              + runId
              + "' has no test samples, and the duality pairs each test sample with a training"
              + " sample; retrain with a test set (dataset.test_size > 0, or 0 for the whole test"
              + " split of a data set that has one)");
    }
    float[] flat;
    try {
      flat = lake.readVector(Tables.FINAL_PARAMS, runId, spec.size());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "Run '"
              + runId
              + "' has no final_params in "
              + lakeRoot
              + ", and the duality is taken at the final weights; retrain it with jobs/train"
              + " (a committed run writes them)",
          e);
    }
    double[] weights = MlpHessian.widen(flat);
    return new Model(spec, weight, data, weights);
  }

  private static final class Model implements DualityModel {
    private final MlpSpec spec;
    private final MlpSpec.Param weight;
    private final TrainingData data;
    private final double[] weights;
    private final MlpForward forward;
    private final List<String> selection;
    private final Samples train;
    private MlpHessian engine;

    Model(MlpSpec spec, MlpSpec.Param weight, TrainingData data, double[] weights) {
      this.spec = spec;
      this.weight = weight;
      this.data = data;
      this.weights = weights;
      this.forward = new MlpForward(spec, weights);
      this.selection = List.of(weight.name());
      this.train = Samples.all(data.trainX(), data.givenLabels());
    }

    private MlpHessian engine() {
      if (engine == null) {
        engine = MlpHessian.builder().setSpec(spec).build();
      }
      return engine;
    }

    @Override
    public int size(Split split) {
      return split == Split.TRAIN ? data.trainSize() : data.testSize();
    }

    @Override
    public int[] labels(Split split) {
      return (split == Split.TRAIN ? data.givenLabels() : data.testLabels()).clone();
    }

    @Override
    public int outputs() {
      return weight.rows();
    }

    @Override
    public int inputs() {
      return weight.cols();
    }

    @Override
    public double[] layerWeights() {
      return forward.layerWeights(weight.layer());
    }

    @Override
    public double[][] features(Split split, int[] rows, Space space) {
      float[] x = split == Split.TRAIN ? data.trainX() : data.testX();
      double[][] out = new double[rows.length][];
      for (int i = 0; i < rows.length; i++) {
        out[i] =
            space == Space.INPUT
                ? forward.input(x, rows[i])
                : forward.activity(x, rows[i], weight.layer());
      }
      return out;
    }

    @Override
    public double lossFromLayer(double[] activity, double[] layerWeights, int label) {
      return forward.lossFrom(weight.layer(), activity, layerWeights, label);
    }

    @Override
    public double[][] trainGradients(int[] rows) {
      return engine()
          .perSampleGradients(
              weights, new Samples(data.trainX(), data.givenLabels(), rows), selection);
    }

    @Override
    public double[][] hessianTimes(double[][] vectors) {
      return engine().hvp(weights, train, selection, vectors);
    }

    @Override
    public Eigenpairs leadingEigenpairs(int k, long seed) {
      Lanczos.Result r =
          Lanczos.topK(engine().operator(weights, train, selection, HVP_BATCH), k, seed);
      return new Eigenpairs(r.values(), r.vectors());
    }

    @Override
    public void close() {
      if (engine != null) {
        engine.close();
        engine = null;
      }
    }
  }
}
