package org.sgdlens.record;

import java.io.Serializable;
import org.sgdlens.kernel.LossOracle;
import org.sgdlens.kernel.LossOracleFactory;

/**
 * The landscape job's loss oracle on the trained DJL model: each Spark task opens one {@link
 * RunModel} (run config, training set with its given labels, model with the parameters of {@code
 * final_params}) and evaluates the mean training loss with the recorded layers replaced.
 */
public final class RunModelOracleFactory implements LossOracleFactory, Serializable {
  private static final long serialVersionUID = 2L;

  private final String lakeRoot;
  private final String runId;
  private final int maxSamples;
  private final long seed;

  /** 0: the loss is the mean over every training sample. */
  public static final int MAX_SAMPLES_DEFAULT = 0;

  /** Seed of the sample subset when {@code maxSamples} is set. */
  public static final long SEED_DEFAULT = 0;

  /** The loss over every training sample (the defaults). */
  public RunModelOracleFactory(String lakeRoot, String runId) {
    this(lakeRoot, runId, MAX_SAMPLES_DEFAULT, SEED_DEFAULT);
  }

  /**
   * @param maxSamples training samples the loss is evaluated on, 0 for all
   * @param seed seed of the sample subset
   */
  public RunModelOracleFactory(String lakeRoot, String runId, int maxSamples, long seed) {
    this.lakeRoot = lakeRoot;
    this.runId = runId;
    this.maxSamples = maxSamples;
    this.seed = seed;
  }

  @Override
  public LossOracle open() {
    RunModel model = RunModel.open(lakeRoot, runId, maxSamples, seed);
    float[] origin = model.finalRecordedWeights();
    return new LossOracle() {
      @Override
      public float[] origin() {
        return origin.clone();
      }

      @Override
      public double loss(float[] recordedWeights) {
        return model.loss(recordedWeights);
      }

      @Override
      public void close() {
        model.close();
      }
    };
  }
}
