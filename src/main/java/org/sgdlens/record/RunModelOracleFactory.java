package org.sgdlens.record;

import java.io.Serializable;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import org.sgdlens.kernel.LossOracle;
import org.sgdlens.kernel.LossOracleFactory;

/**
 * The landscape job's loss oracle on the trained DJL model: each Spark task opens one {@code
 * org.sgdlens.record.RunModel} (run config, training set with its given labels, model with the
 * parameters of {@code final_params}) and evaluates the mean training loss with the recorded layers
 * replaced.
 *
 * <p>RunModel is written on main in parallel with this class, so it is called through method
 * handles resolved once per task; once both are merged, the handles can become direct calls without
 * changing this class's contract.
 */
public final class RunModelOracleFactory implements LossOracleFactory, Serializable {
  private static final long serialVersionUID = 1L;
  static final String RUN_MODEL = "org.sgdlens.record.RunModel";

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
    Class<?> type;
    try {
      type = Class.forName(RUN_MODEL);
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(
          "The landscape job needs "
              + RUN_MODEL
              + " (the DJL model loader) on the classpath;"
              + " build sgdlens with the record package",
          e);
    }
    try {
      MethodHandles.Lookup lookup = MethodHandles.publicLookup();
      MethodHandle open =
          lookup.findStatic(
              type,
              "open",
              MethodType.methodType(type, String.class, String.class, int.class, long.class));
      MethodHandle finalWeights =
          lookup.findVirtual(type, "finalRecordedWeights", MethodType.methodType(float[].class));
      MethodHandle loss =
          lookup.findVirtual(type, "loss", MethodType.methodType(double.class, float[].class));
      MethodHandle close = lookup.findVirtual(type, "close", MethodType.methodType(void.class));
      Object model = open.invoke(lakeRoot, runId, maxSamples, seed);
      return new RunModelOracle(model, (float[]) finalWeights.invoke(model), loss, close);
    } catch (RuntimeException e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(
          "Cannot open the trained model of run '" + runId + "' in " + lakeRoot + ": " + e, e);
    }
  }

  private static final class RunModelOracle implements LossOracle {
    private final Object model;
    private final float[] origin;
    private final MethodHandle loss;
    private final MethodHandle close;

    RunModelOracle(Object model, float[] origin, MethodHandle loss, MethodHandle close) {
      this.model = model;
      this.origin = origin;
      this.loss = loss;
      this.close = close;
    }

    @Override
    public float[] origin() {
      return origin.clone();
    }

    @Override
    public double loss(float[] recordedWeights) {
      try {
        return (double) loss.invoke(model, recordedWeights);
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Throwable e) {
        throw new IllegalStateException("RunModel.loss failed: " + e, e);
      }
    }

    @Override
    public void close() {
      try {
        close.invoke(model);
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Throwable e) {
        throw new IllegalStateException("RunModel.close failed: " + e, e);
      }
    }
  }
}
