package org.sgdlens.bench;

import org.sgdlens.record.RunConfig;
import org.sgdlens.record.Schedule;
import org.sgdlens.record.TrainRun;

/**
 * Which part of issue 2's recording schedule slows training itself: the training loop's wall and
 * CPU time, and the whole run's, for plain training, each record kind of the schedule alone
 * (weights every 10 steps, a 64-minibatch gradient ensemble every 100, per-sample losses every
 * epoch) and the whole schedule. Run through bench/schedule-parts.
 */
public final class SchedulePartsBench {
  public static void main(String[] args) throws Exception {
    RecordingOverheadBench.Setup setup = RecordingOverheadBench.Setup.of(args, 3, "sgdlens-parts");
    RunConfig plain = RecordingOverheadBench.config(setup.dataDir(), setup.steps(), "plain");
    RunConfig weights = RecordingOverheadBench.config(setup.dataDir(), setup.steps(), "weights");
    weights.record.weights = Schedule.every(10);
    RunConfig gradients =
        RecordingOverheadBench.config(setup.dataDir(), setup.steps(), "gradients");
    gradients.record.gradients = Schedule.every(100);
    gradients.record.ensembleSize = 64;
    gradients.record.ensembleBatch = 64;
    RunConfig losses = RecordingOverheadBench.config(setup.dataDir(), setup.steps(), "losses");
    losses.record.sampleLosses = new Schedule();
    losses.record.sampleLosses.perEpoch = 1;
    RunConfig all =
        RecordingOverheadBench.recordedConfig(setup.dataDir(), setup.steps(), "schedule");
    RunConfig[] kinds = {plain, weights, gradients, losses, all};
    for (int w = 0; w < 3; w++) {
      for (RunConfig c : kinds) {
        TrainRun.execute(setup.lake(), c, true, null);
      }
    }
    System.out.println(
        "Training under parts of the schedule, MLP 784-256-10, Fashion-MNIST, batch 64, "
            + setup.steps()
            + " steps; "
            + setup.repeats()
            + " rounds after 3 warm-up rounds");
    System.out.println("  round   recorded     loop wall   loop CPU   whole run");
    for (int r = 1; r <= setup.repeats(); r++) {
      for (RunConfig c : kinds) {
        TrainRun.Outcome o = TrainRun.execute(setup.lake(), c, true, null);
        System.out.printf(
            "  %5d   %-10s   %7.3f s   %6.3f s   %7.3f s%n",
            r, c.runId, o.wallSeconds(), o.trainingCpuSeconds(), o.trainAndRecordSeconds());
      }
    }
    RecordingOverheadBench.deleteTree(setup.root());
  }
}
