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
