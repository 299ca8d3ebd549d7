package org.sgdlens.curvature;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.sgdlens.kernel.LayerCurvatureProbe;
import org.sgdlens.kernel.LayerCurvatureProbeFactory;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.RunStatus;
import org.sgdlens.lake.Tables;
import org.sgdlens.record.ConfigLoader;
import org.sgdlens.record.RunConfig;
import org.sgdlens.record.TrainingData;

/**
 * The noise-curvature job's probe on a recorded run: each Spark task opens one (the run config, its
 * training set with the given labels it was trained on, the built-in MLP's Hessian engine in
 * float64 and the weights) and computes {@link LayerMoments} over its rows. The weights are the
 * run's {@code final_params}, or a recorded snapshot ({@code weights} at a step), which must then
 * cover every parameter: the Hessian block of one layer depends on all of them.
 */
public final class RunLayerProbeFactory implements LayerCurvatureProbeFactory, Serializable {
  private static final long serialVersionUID = 1L;

  /** 0: the loss is the mean over every training sample. */
  public static final int MAX_SAMPLES_DEFAULT = 0;

  /** Seed of the sample subset ({@link Samples#subset}) when a maximum is set. */
  public static final long SEED_DEFAULT = 0;

  private final String lakeRoot;
  private final String runId;
  private final String layer;
  private final float[] snapshot;
  private final long step;
  private final int maxSamples;
  private final long seed;

  /**
   * @param snapshot the recorded vector of the {@code weights} table at {@code step} (the run's
   *     {@code record.layers} in flat order), or null for {@code final_params}
   * @param maxSamples a seeded subset of this many training samples, 0 for all
   */
  public RunLayerProbeFactory(
      String lakeRoot,
      String runId,
      String layer,
      float[] snapshot,
      long step,
      int maxSamples,
      long seed) {
    this.lakeRoot = lakeRoot;
    this.runId = runId;
    this.layer = layer;
    this.snapshot = snapshot == null ? null : snapshot.clone();
    this.step = step;
    this.maxSamples = maxSamples;
    this.seed = seed;
  }

  @Override
  public LayerCurvatureProbe open() {
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
              + "'; noise-curvature differentiates only the built-in MLP (model.kind mlp), so"
              + " pick an MLP run (jobs/train --model mlp)");
    }
    if (config.dataset.augment.enabled()) {
      throw new IllegalArgumentException(
          "Run '"
              + runId
              + "' trains on augmented samples, so its training loss is not a fixed sum over"
              + " the stored training set; noise-curvature needs a run without dataset.augment");
    }
    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(Math.max(1, config.threads)));
    TrainingData data = TrainingData.load(config);
    MlpSpec spec = MlpSpec.of(config.model, data.inputShape(), data.classes());
    List<String> selection = List.of(layer);
    List<MlpSpec.Param> block = spec.select(selection);
    int size = block.stream().mapToInt(MlpSpec.Param::size).sum();
    if (size > DenseHessian.MAX_DIMENSION) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "--layer %s of run '%s' has P_S = %d parameters; noise-curvature builds P_S x P_S"
                  + " matrices for at most %d; choose a smaller layer of %s",
              layer,
              runId,
              size,
              DenseHessian.MAX_DIMENSION,
              spec.params().stream().map(p -> p.name() + "[" + p.size() + "]").toList()));
    }
    float[] weights = lake.readVector(Tables.FINAL_PARAMS, runId, spec.size());
    if (snapshot != null) {
      overlay(weights, spec, config.record.layers);
    }
    int n = data.trainSize();
    Samples rows =
        maxSamples > 0 && maxSamples < n
            ? Samples.subset(data.trainX(), data.givenLabels(), maxSamples, seed)
            : Samples.all(data.trainX(), data.givenLabels());
    MlpHessian engine = MlpHessian.builder().setSpec(spec).build();
    try {
      LayerMoments moments = new LayerMoments(engine, MlpHessian.widen(weights), rows, selection);
      int batch = config.sgd.batchSize;
      return new LayerCurvatureProbe() {
        @Override
        public int samples() {
          return moments.samples();
        }

        @Override
        public int dimension() {
          return moments.dimension();
        }

        @Override
        public int batchSize() {
          return batch;
        }

        @Override
        public double[] firstPass(int[] positions) {
          return moments.firstPass(positions);
        }

        @Override
        public double[] secondPass(int[] positions, double[][] basis, boolean full) {
          return moments.secondPass(positions, basis, full);
        }

        @Override
        public void close() {
          engine.close();
        }
      };
    } catch (RuntimeException e) {
      engine.close();
      throw e;
    }
  }

  /** Replaces the recorded parameters of {@code weights} by the snapshot's values. */
  private void overlay(float[] weights, MlpSpec spec, List<String> recorded) {
    List<MlpSpec.Param> covered = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (MlpSpec.Param p : spec.params()) {
      if (recorded.isEmpty() || recorded.contains(p.name())) {
        covered.add(p);
      } else {
        missing.add(p.name());
      }
    }
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException(
          "Run '"
              + runId
              + "' records only "
              + recorded
              + " at each step, so the weights at --step "
              + step
              + " lack "
              + missing
              + ", and the Hessian block depends on every layer; omit --step (the final weights"
              + " of final_params), or retrain recording every layer (--set 'record.layers=[]')");
    }
    int length = covered.stream().mapToInt(MlpSpec.Param::size).sum();
    if (snapshot.length != length) {
      throw new IllegalArgumentException(
          "The weights snapshot of run '"
              + runId
              + "' at step "
              + step
              + " has "
              + snapshot.length
              + " values but the recorded layers have "
              + length
              + "; the weights table and the run config disagree");
    }
    int at = 0;
    for (MlpSpec.Param p : covered) {
      System.arraycopy(snapshot, at, weights, p.offset(), p.size());
      at += p.size();
    }
  }
}
