package org.sgdlens.sweep;

import java.io.Serializable;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.util.CollectionAccumulator;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.RunStatus;
import org.sgdlens.record.ConfigLoader;
import org.sgdlens.record.RunConfig;
import org.sgdlens.record.TrainRun;

/** What runs inside one Spark task of a sweep: one training run, retried in place. */
final class SweepTask {
  private SweepTask() {}

  /** One run to train, shipped to a task as plain values. */
  record Input(int index, String runId, String lake, String configJson, int retries)
      implements Serializable {}

  /**
   * A run's fate.
   *
   * @param status COMMITTED or FAILED
   * @param trained a task trained (or resumed) the run; false when it was already committed
   * @param attempts training attempts made (1 + retries at most)
   */
  record Outcome(
      int index,
      String runId,
      String status,
      boolean trained,
      boolean resumed,
      int attempts,
      String message,
      String device,
      double seconds)
      implements Serializable {
    boolean ok() {
      return status.equals(RunStatus.COMMITTED.name());
    }
  }

  /**
   * Trains a run: TrainRun skips a committed run and resumes a failed one from its checkpoint, so a
   * retry continues where the failed attempt stopped. Never throws: a run that fails every attempt
   * comes back FAILED and the other tasks go on.
   */
  static Outcome train(Input in, CollectionAccumulator<String> progress) {
    RunConfig config = ConfigLoader.fromJson(in.configJson());
    // Fix the id first: the device is part of the config hash, and a GPU chosen here must not
    // rename the run.
    config.runId = in.runId();
    String gpu = assignedGpu();
    if (gpu != null) {
      config.device = "gpu:" + gpu;
    }
    Lake lake = Lake.open(in.lake());
    long start = System.nanoTime();
    String message = null;
    int attempts = 0;
    Outcome outcome = null;
    while (attempts <= in.retries()) {
      attempts++;
      try {
        TrainRun.Outcome o = TrainRun.execute(lake, config, false, null);
        outcome =
            new Outcome(
                in.index(),
                in.runId(),
                RunStatus.COMMITTED.name(),
                !o.skipped(),
                o.resumed() || attempts > 1,
                attempts,
                null,
                config.device,
                (System.nanoTime() - start) / 1e9);
        break;
      } catch (RuntimeException e) {
        message = e.getClass().getSimpleName() + ": " + e.getMessage();
      }
    }
    if (outcome == null) {
      outcome =
          new Outcome(
              in.index(),
              in.runId(),
              RunStatus.FAILED.name(),
              true,
              false,
              attempts,
              message,
              config.device,
              (System.nanoTime() - start) / 1e9);
    }
    if (progress != null) {
      progress.add(in.index() + "\t" + outcome.status() + "\t" + in.runId());
    }
    return outcome;
  }

  /**
   * The GPU Spark's GPU-aware scheduling gave this task ({@code spark.task.resource.gpu.amount=1}
   * with executors that have {@code spark.executor.resource.gpu.amount} and a discovery script), or
   * null without one.
   */
  static String assignedGpu() {
    TaskContext tc = TaskContext.get();
    if (tc == null) {
      return null;
    }
    scala.Option<ResourceInformation> gpu = tc.resources().get("gpu");
    if (gpu.isEmpty() || gpu.get().addresses().length == 0) {
      return null;
    }
    return gpu.get().addresses()[0];
  }
}
