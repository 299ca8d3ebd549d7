package org.sgdlens.record;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.LakeReader;
import org.sgdlens.lake.RunDump;
import org.sgdlens.lake.Tables;

/**
 * stop.when_fit ends training at the first epoch end where the rule holds, and says why. The oracle
 * is an uninterrupted run of the same config whose metrics are recorded at every epoch end: the
 * rule is applied to those recorded numbers by hand.
 */
class FitStopRunTest {
  @TempDir Path dir;

  private static final int EPOCHS_AVERAGED = 3;
  private static final double MIN_ACCURACY = 0.6;

  private static RunConfig config(String id) {
    RunConfig c = TestRuns.synthetic(id);
    c.noise.fraction = 0;
    c.sgd.steps = 640; // 40 epochs of 16 steps: the cap
    c.record.gradients = Schedule.never();
    c.record.sampleLosses = Schedule.never();
    c.record.weights = Schedule.every(4);
    c.record.metrics = Schedule.every(16); // every epoch end
    c.checkpointEvery = 100;
    return c;
  }

  /** The first epoch-end step where the rule holds on the reference run's metrics, or -1. */
  private static long oracle(List<Map<String, Object>> metrics, long perEpoch, double maxLoss) {
    List<Map<String, Object>> ends =
        metrics.stream()
            .filter(m -> (Long) m.get("step") > 0 && (Long) m.get("step") % perEpoch == 0)
            .sorted(Comparator.comparingLong(m -> (Long) m.get("step")))
            .toList();
    for (int e = 0; e < ends.size(); e++) {
      double sum = 0;
      int n = 0;
      for (int j = Math.max(0, e - EPOCHS_AVERAGED + 1); j <= e; j++) {
        sum += (Double) ends.get(j).get("train_accuracy");
        n++;
      }
      if (sum / n > MIN_ACCURACY && (Double) ends.get(e).get("train_loss") < maxLoss) {
        return (Long) ends.get(e).get("step");
      }
    }
    return -1;
  }

  @Test
  void stopsAtTheFirstEpochEndWhereTheRuleHoldsAndRecordsWhy() {
    Lake lake = Lake.open(dir.toString());
    RunConfig reference = config("reference");
    TrainRun.execute(lake, reference, false, null);
    List<Map<String, Object>> metrics = LakeReader.rows(lake, Tables.METRICS, "reference");
    // A loss threshold the reference run crosses in mid-run: its loss after 15 epochs.
    double maxLoss =
        metrics.stream()
            .filter(m -> (Long) m.get("step") == 15 * 16L)
            .mapToDouble(m -> (Double) m.get("train_loss"))
            .findFirst()
            .orElseThrow();
    long expected = oracle(metrics, 16, maxLoss);
    assertThat(expected)
        .as("the rule must first hold strictly inside the run for this test to mean something")
        .isGreaterThan(16)
        .isLessThan(reference.sgd.steps);

    RunConfig stopping = config("stopping");
    stopping.stop.whenFit = true;
    stopping.stop.accuracyEpochs = EPOCHS_AVERAGED;
    stopping.stop.minTrainAccuracy = MIN_ACCURACY;
    stopping.stop.maxTrainLoss = maxLoss;
    TrainRun.Outcome o = TrainRun.execute(lake, stopping, false, null);
    assertThat(o.steps()).as("stopped at the oracle's step").isEqualTo(expected);
    assertThat(o.stopReason())
        .startsWith("stop rule held: at step " + expected + " (end of epoch " + expected / 16 + ")")
        .contains("last " + EPOCHS_AVERAGED + " epoch(s)");
    Map<String, Object> row = lake.runRow("stopping").orElseThrow();
    assertThat(row)
        .containsEntry("steps", expected)
        .containsEntry("stop_reason", o.stopReason())
        .containsEntry("diverged", false);
    assertThat((String) row.get("config_json"))
        .as("the rule is recorded in the run config")
        .contains("\"stop\":{\"when_fit\":true,\"min_train_accuracy\":0.6,\"accuracy_epochs\":3");
    // The stopped run is the reference run cut short: same metrics up to the stop.
    assertThat(LakeReader.rows(lake, Tables.METRICS, "stopping"))
        .extracting(m -> m.get("step") + ":" + m.get("train_loss"))
        .containsExactlyElementsOf(
            metrics.stream()
                .filter(m -> (Long) m.get("step") <= expected)
                .map(m -> m.get("step") + ":" + m.get("train_loss"))
                .toList());
  }

  @Test
  void aResumedRunStopsAtTheSameStepWithTheSameReason() {
    // The rule's accuracy window is in the checkpoint: a run killed after a checkpoint and
    // resumed must average the same epochs as the uninterrupted one.
    RunConfig c = config("resumed");
    c.stop.whenFit = true;
    c.stop.accuracyEpochs = 20;
    c.stop.maxTrainLoss = 10;
    Lake reference = Lake.open(dir.resolve("ref").toString());
    // An accuracy bound that the 20-epoch mean first exceeds after the checkpoint at step 300: the
    // largest mean up to epoch 18 (step 288). A resumed run that forgot the epochs before the
    // checkpoint would average fewer, later (higher) accuracies and stop at another step.
    RunConfig probe = config("probe");
    TrainRun.execute(reference, probe, false, null);
    List<Double> accuracies =
        LakeReader.rows(reference, Tables.METRICS, "probe").stream()
            .filter(m -> (Long) m.get("step") > 0 && (Long) m.get("step") % 16 == 0)
            .sorted(Comparator.comparingLong(m -> (Long) m.get("step")))
            .map(m -> (Double) m.get("train_accuracy"))
            .toList();
    double bound = 0;
    for (int e = 0; e < 18; e++) {
      double sum = 0;
      int n = 0;
      for (int j = Math.max(0, e - 19); j <= e; j++) {
        sum += accuracies.get(j);
        n++;
      }
      bound = Math.max(bound, sum / n);
    }
    c.stop.minTrainAccuracy = bound;
    TrainRun.Outcome straight = TrainRun.execute(reference, c, false, null);
    assertThat(straight.steps())
        .as("stops after the checkpoint at 300 and before the cap")
        .isGreaterThan(300)
        .isLessThan(c.sgd.steps);
    Lake lake = Lake.open(dir.resolve("crash").toString());
    long killAt = straight.steps() - 1;
    try {
      TrainRun.execute(
          lake,
          c,
          false,
          s -> {
            if (s == killAt) {
              throw new IllegalStateException("simulated crash");
            }
          });
    } catch (RuntimeException expected) {
      // crashed after the checkpoint at step 300
    }
    TrainRun.Outcome resumed = TrainRun.execute(lake, c, false, null);
    assertThat(resumed.resumed())
        .as("resumed; the straight run took %d steps", straight.steps())
        .isTrue();
    assertThat(resumed.steps()).isEqualTo(straight.steps());
    assertThat(resumed.stopReason()).isEqualTo(straight.stopReason());
    assertThat(RunDump.of(lake, "resumed")).isEqualTo(RunDump.of(reference, "resumed"));
  }

  @Test
  void aRunThatNeverFitsTrainsToItsCapAndSaysSo() {
    Lake lake = Lake.open(dir.toString());
    RunConfig c = config("capped");
    c.sgd.steps = 96;
    c.stop.whenFit = true;
    c.stop.maxTrainLoss = 1e-12;
    TrainRun.Outcome o = TrainRun.execute(lake, c, false, null);
    assertThat(o.steps()).isEqualTo(96);
    assertThat(o.stopReason())
        .startsWith("the step cap (sgd.steps or sgd.epochs) of 96 steps was reached")
        .contains("at step 96 (end of epoch 6)");
    assertThat(lake.runRow("capped").orElseThrow()).containsEntry("stop_reason", o.stopReason());
  }

  @Test
  void withoutTheRuleNothingChanges() {
    Lake lake = Lake.open(dir.toString());
    RunConfig c = config("plain");
    c.sgd.steps = 32;
    TrainRun.Outcome o = TrainRun.execute(lake, c, false, null);
    assertThat(o.steps()).isEqualTo(32);
    assertThat(o.stopReason()).isNull();
    assertThat(lake.runRow("plain").orElseThrow()).containsEntry("stop_reason", null);
    assertThat(TrainRun.runId(new RunConfig()))
        .as("the default stop section stays out of the config hash (run ids of old lakes)")
        .isEqualTo("run-" + ConfigLoader.hash(new RunConfig()));
  }
}
