package org.sgdlens.record;

import java.nio.file.Path;
import org.sgdlens.lake.Lake;

/** Small, fast run configs on the seeded synthetic dataset. */
public final class TestRuns {
  private TestRuns() {}

  public static RunConfig synthetic(String runId) {
    RunConfig c = new RunConfig();
    c.runId = runId;
    c.dataset.name = "synthetic";
    c.dataset.syntheticSamples = 256;
    c.dataset.syntheticFeatures = 12;
    c.dataset.syntheticClasses = 3;
    c.dataset.syntheticTestSamples = 96;
    c.model.hidden = new java.util.ArrayList<>(java.util.List.of(5));
    c.sgd.batchSize = 16;
    c.sgd.steps = 60;
    c.sgd.learningRate = 0.2;
    c.sgd.seed = 11;
    c.noise.fraction = 0.25;
    c.record.weights = Schedule.every(1);
    c.record.gradients = Schedule.every(20);
    c.record.ensembleSize = 4;
    c.record.sampleLosses = Schedule.every(20);
    c.record.metrics = Schedule.every(10);
    c.record.chunk = 17; // several chunks per vector, one short
    c.checkpointEvery = 25;
    return c;
  }

  public static TrainRun.Outcome train(Path lake, RunConfig config) {
    return TrainRun.execute(Lake.open(lake.toString()), config, false, null);
  }
}
