package org.sgdlens.record;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sgdlens.lake.CrashingFileSystem;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.RunDump;

/** What a researcher calls divergence ends up in runs.diverged with the reason. */
class DivergenceRunTest {
  @TempDir Path dir;

  private static RunConfig run(String id, double lr) {
    RunConfig c = TestRuns.synthetic(id);
    c.sgd.learningRate = lr;
    c.sgd.steps = 200;
    return c;
  }

  private static Map<String, Object> row(Lake lake, String id) {
    return lake.runRow(id).orElseThrow();
  }

  @Test
  void aHealthyRunIsNotDiverged() {
    Lake lake = Lake.open(dir.toString());
    TrainRun.Outcome o = TrainRun.execute(lake, run("ok", 0.2), false, null);
    assertThat(o.diverged()).as("%s", o.divergedReason()).isFalse();
    assertThat(row(lake, "ok"))
        .containsEntry("diverged", false)
        .containsEntry("diverged_reason", null);
  }

  @ParameterizedTest(name = "lr {0}")
  @ValueSource(doubles = {50, 1e4, 1e8})
  void aHugeLearningRateIsDivergedWithItsReason(double lr) {
    Lake lake = Lake.open(dir.toString());
    TrainRun.Outcome o = TrainRun.execute(lake, run("big", lr), false, null);
    assertThat(o.diverged()).isTrue();
    assertThat(o.divergedReason())
        .containsAnyOf("times the initial", "is NaN", "Infinity", "at chance");
    assertThat(row(lake, "big"))
        .containsEntry("diverged", true)
        .containsEntry("diverged_reason", o.divergedReason())
        .containsEntry("status", "COMMITTED");
  }

  @Test
  void theLossRuleStopsTrainingAtTheStepItFires() {
    Lake lake = Lake.open(dir.toString());
    RunConfig c = run("stop", 1e4);
    TrainRun.Outcome o = TrainRun.execute(lake, c, false, null);
    assertThat(o.steps()).as(o.divergedReason()).isLessThan(c.sgd.steps);
    assertThat(o.divergedReason()).contains("is NaN");
    // A finite blow-up: the loss-ratio rule fires; with stop: false training goes on.
    RunConfig on = run("go-on", 20);
    TrainRun.Outcome stopped = TrainRun.execute(lake, on, false, null);
    assertThat(stopped.divergedReason()).contains("times the initial");
    assertThat(stopped.steps()).isLessThan(on.sgd.steps);
    on.runId = "go-on-2";
    on.divergence.stop = false;
    TrainRun.Outcome through = TrainRun.execute(lake, on, false, null);
    assertThat(through.divergedReason()).isEqualTo(stopped.divergedReason());
    assertThat(through.steps())
        .as("trains on past the ratio rule (a NaN still ends it)")
        .isGreaterThan(stopped.steps());
  }

  @Test
  void aResumedDivergingRunIsIdenticalToAnUninterruptedOne() {
    Lake reference = CrashingFileSystem.lake(dir.resolve("ref"));
    RunConfig c = run("d", 3);
    c.divergence.lossRatio = 1.5;
    c.divergence.lossWindow = 30;
    TrainRun.Outcome straight = TrainRun.execute(reference, c, false, null);
    assertThat(straight.diverged()).as("the config must diverge after a checkpoint").isTrue();
    Lake lake = CrashingFileSystem.lake(dir.resolve("crash"));
    long killAt = Math.max(30, straight.steps() - 5);
    try {
      TrainRun.execute(
          lake,
          c,
          false,
          s -> {
            if (s == killAt) {
              CrashingFileSystem.kill();
              throw new IllegalStateException("simulated kill");
            }
          });
    } catch (RuntimeException expected) {
      // killed
    }
    CrashingFileSystem.revive();
    TrainRun.Outcome resumed = TrainRun.execute(lake, c, false, null);
    assertThat(resumed.steps()).isEqualTo(straight.steps());
    assertThat(resumed.divergedReason()).isEqualTo(straight.divergedReason());
    assertThat(RunDump.of(lake, "d")).isEqualTo(RunDump.of(reference, "d"));
  }
}
