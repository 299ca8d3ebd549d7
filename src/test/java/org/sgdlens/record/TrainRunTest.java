package org.sgdlens.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.LakeReader;
import org.sgdlens.lake.Tables;

/** Reproducibility, recording transparency, resume and config validation of whole runs. */
class TrainRunTest {
  @TempDir Path dir;

  private static float[] finalParams(Lake lake, String runId) {
    return LakeReader.vectors(LakeReader.rows(lake, Tables.FINAL_PARAMS, runId))
        .values()
        .iterator()
        .next();
  }

  /** Every recorded value of a run, in a comparable form. */
  private static List<String> dump(Lake lake, String runId) {
    List<String> s = new java.util.ArrayList<>();
    for (String table : Tables.RECORDS) {
      for (Map<String, Object> row : LakeReader.rows(lake, table, runId)) {
        row.replaceAll((k, v) -> v instanceof byte[] b ? java.util.Arrays.toString(b) : v);
        row.remove("wall_seconds");
        s.add(table + row);
      }
    }
    return s;
  }

  @Test
  void sameSeedGivesBitIdenticalRecordedValues() {
    Lake a = Lake.open(dir.resolve("a").toString());
    Lake b = Lake.open(dir.resolve("b").toString());
    TrainRun.execute(a, TestRuns.synthetic("r"), false, null);
    TrainRun.execute(b, TestRuns.synthetic("r"), false, null);
    List<String> dumpA = dump(a, "r");
    assertThat(String.join("\n", dumpA))
        .contains("gradients")
        .contains("sample_losses")
        .contains("weights");
    assertThat(dump(b, "r")).containsExactlyElementsOf(dumpA);
  }

  @Test
  void recordingDoesNotChangeTheTrajectory() {
    Lake lake = Lake.open(dir.toString());
    RunConfig plain = TestRuns.synthetic("plain");
    plain.record.weights = Schedule.never();
    plain.record.gradients = Schedule.never();
    plain.record.sampleLosses = Schedule.never();
    plain.record.metrics = Schedule.never();
    plain.checkpointEvery = 0;
    TrainRun.execute(lake, plain, false, null);
    TrainRun.execute(lake, TestRuns.synthetic("parallel"), false, null);
    RunConfig sequential = TestRuns.synthetic("sequential");
    sequential.parallelRecording = false;
    TrainRun.execute(lake, sequential, false, null);
    float[] reference = finalParams(lake, "plain");
    assertThat(finalParams(lake, "parallel")).as("recorded on a probe thread").isEqualTo(reference);
    assertThat(finalParams(lake, "sequential")).as("recorded inline").isEqualTo(reference);
    assertThat(dump(lake, "sequential"))
        .as("same records either way")
        .containsExactlyElementsOf(dump(lake, "parallel"));
  }

  @Test
  void theNumberOfProbeLanesChangesNoRecordedValueNorItsOrder() {
    Lake lake = Lake.open(dir.toString());
    RunConfig two = TestRuns.synthetic("lanes2");
    two.record.ensembleSize = 7; // members do not divide evenly over the lanes
    assertThat(two.record.probeThreads).as("default").isEqualTo(2);
    TrainRun.execute(lake, two, false, null);
    List<String> reference = dump(lake, "lanes2");
    for (int lanes : new int[] {1, 3}) {
      RunConfig c = TestRuns.synthetic("lanes" + lanes);
      c.record.ensembleSize = 7;
      c.record.probeThreads = lanes;
      TrainRun.execute(lake, c, false, null);
      assertThat(dump(lake, "lanes" + lanes))
          .as("%d probe lanes", lanes)
          .containsExactlyElementsOf(reference);
    }
  }

  @Test
  void aWriterBudgetSmallerThanOneGradientChangesNoRecordedValue() {
    Lake lake = Lake.open(dir.toString());
    List<List<String>> dumps = new java.util.ArrayList<>();
    for (long budget : new long[] {RunConfig.RecordConfig.WRITER_BUDGET_MB_DEFAULT, 1}) {
      RunConfig c = TestRuns.synthetic("budget" + budget);
      // 272,003 parameters: a gradient is 1.09 MB, more than a 1 MiB budget, so each is let in
      // alone and the probe waits for the writer at every one.
      c.model.hidden = new java.util.ArrayList<>(List.of(17_000));
      c.record.weights = Schedule.every(30);
      c.record.gradients = Schedule.every(30);
      c.record.writerBudgetMb = budget;
      TrainRun.execute(lake, c, false, null);
      List<String> rows = new java.util.ArrayList<>();
      for (String table : Tables.RECORDS) {
        for (Map<String, Object> row : LakeReader.rows(lake, table, "budget" + budget)) {
          row.replaceAll((k, v) -> v instanceof byte[] b ? sha256(b) : v);
          row.remove("wall_seconds");
          rows.add(table + row);
        }
      }
      dumps.add(rows);
    }
    assertThat(String.join("\n", dumps.get(0))).contains("gradients").contains("weights");
    assertThat(dumps.get(1)).as("1 MiB writer budget").containsExactlyElementsOf(dumps.get(0));
  }

  private static String sha256(byte[] b) {
    try {
      return java.util.HexFormat.of()
          .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void aRunKilledMidwayResumesFromItsCheckpointWithoutDuplicatesOrDifferences() {
    Lake reference = Lake.open(dir.resolve("ref").toString());
    TrainRun.execute(reference, TestRuns.synthetic("r"), false, null);

    Lake lake = Lake.open(dir.resolve("crash").toString());
    RunConfig config = TestRuns.synthetic("r");
    assertThatThrownBy(
            () ->
                TrainRun.execute(
                    lake,
                    config,
                    false,
                    step -> {
                      if (step == 55) {
                        throw new IllegalStateException("simulated crash");
                      }
                    }))
        .hasMessageContaining("simulated crash");
    assertThat(lake.runStatus("r")).contains("FAILED");
    assertThat(LakeReader.rows(lake, Tables.WEIGHTS, "r"))
        .as("nothing visible before commit")
        .isEmpty();

    TrainRun.Outcome resumed = TrainRun.execute(lake, TestRuns.synthetic("r"), false, null);
    assertThat(resumed.resumed()).isTrue();
    assertThat(lake.runStatus("r")).contains("COMMITTED");
    assertThat(dump(lake, "r")).containsExactlyElementsOf(dump(reference, "r"));
  }

  @Test
  void rerunningACommittedRunIdNeverDuplicatesRows() {
    Lake lake = Lake.open(dir.toString());
    TrainRun.execute(lake, TestRuns.synthetic("r"), false, null);
    int rows = LakeReader.rows(lake, Tables.METRICS, "r").size();
    TrainRun.Outcome again = TrainRun.execute(lake, TestRuns.synthetic("r"), false, null);
    assertThat(again.skipped()).isTrue();
    TrainRun.execute(lake, TestRuns.synthetic("r"), true, null);
    assertThat(LakeReader.rows(lake, Tables.METRICS, "r")).hasSize(rows);
    assertThat(LakeReader.rows(lake, Tables.RUNS, "r")).hasSize(1);
  }

  @Test
  void derivedRunIdsAreStableAndDependOnTheConfig() {
    RunConfig a = TestRuns.synthetic("");
    RunConfig b = TestRuns.synthetic("");
    assertThat(TrainRun.runId(a)).isEqualTo(TrainRun.runId(b)).startsWith("run-");
    b.record.writerBudgetMb = 64;
    assertThat(TrainRun.runId(b))
        .as("the writer's memory budget changes how, not what, is recorded")
        .isEqualTo(TrainRun.runId(a));
    b.sgd.learningRate = 0.3;
    assertThat(TrainRun.runId(b)).isNotEqualTo(TrainRun.runId(a));
    assertThat(ConfigLoader.hashedJson(a))
        .as("record.curvature, added later, enters the hash only when set: old run ids hold")
        .doesNotContain("curvature")
        .contains("\"record\"");
    RunConfig curved = TestRuns.synthetic("");
    curved.record.curvature.every = 50;
    assertThat(ConfigLoader.hashedJson(curved)).contains("\"curvature\"");
    assertThat(TrainRun.runId(curved)).isNotEqualTo(TrainRun.runId(a));
  }

  @Test
  void badConfigsFailBeforeTrainingNamingTheValueAndTheFix() {
    Lake lake = Lake.open(dir.toString());
    RunConfig layer = TestRuns.synthetic("bad1");
    layer.record.layers = List.of("fc9.weight");
    assertThatThrownBy(() -> TrainRun.execute(lake, layer, false, null))
        .hasMessageContaining("fc9.weight")
        .hasMessageContaining("fc1.weight");

    RunConfig batch = TestRuns.synthetic("bad2");
    batch.sgd.batchSize = 100_000;
    assertThatThrownBy(() -> TrainRun.execute(lake, batch, false, null))
        .hasMessageContaining("100000")
        .hasMessageContaining("at most 256");

    RunConfig lr = TestRuns.synthetic("bad3");
    lr.sgd.learningRate = -0.1;
    assertThatThrownBy(() -> TrainRun.execute(lake, lr, false, null))
        .hasMessageContaining("-0.1")
        .hasMessageContaining("positive");

    RunConfig path = TestRuns.synthetic("bad4");
    path.dataset.name = "idx";
    path.dataset.path = dir.resolve("nowhere").toString();
    assertThatThrownBy(() -> TrainRun.execute(lake, path, false, null))
        .hasMessageContaining("nowhere")
        .hasMessageContaining("apt-get install -y dataset-fashion-mnist");

    RunConfig ensemble = TestRuns.synthetic("bad5");
    ensemble.record.ensembleSize = 100;
    assertThatThrownBy(() -> TrainRun.execute(lake, ensemble, false, null))
        .hasMessageContaining("100 x 16");

    RunConfig nice = TestRuns.synthetic("bad6");
    nice.record.threadNice = 25;
    assertThatThrownBy(() -> TrainRun.execute(lake, nice, false, null))
        .hasMessageContaining("record.thread_nice is 25")
        .hasMessageContaining("0 (same priority");

    RunConfig lanes = TestRuns.synthetic("bad7");
    lanes.record.probeThreads = 0;
    assertThatThrownBy(() -> TrainRun.execute(lake, lanes, false, null))
        .hasMessageContaining("record.probe_threads is 0")
        .hasMessageContaining("1 to 64");

    RunConfig writer = TestRuns.synthetic("bad8");
    writer.record.writerBudgetMb = 0;
    assertThatThrownBy(() -> TrainRun.execute(lake, writer, false, null))
        .hasMessageContaining("record.writer_budget_mb is 0")
        .hasMessageContaining("default 512");

    RunConfig group = TestRuns.synthetic("bad9");
    group.record.gradientGroupMb = -1;
    assertThatThrownBy(() -> TrainRun.execute(lake, group, false, null))
        .hasMessageContaining("record.gradient_group_mb is -1")
        .hasMessageContaining("default 2048");

    assertThat(lake.runStatus("bad1")).as("no run row for a rejected config").isEmpty();
    assertThat(Files.exists(dir.resolve("weights"))).isFalse();
  }

  @Test
  void selectedLayersAreRecordedAlone() {
    Lake lake = Lake.open(dir.toString());
    RunConfig c = TestRuns.synthetic("layer");
    c.record.layers = List.of("fc2.weight");
    TrainRun.execute(lake, c, false, null);
    Map<String, float[]> w =
        LakeReader.vectors(LakeReader.rows(lake, Tables.WEIGHTS, "layer"), "step");
    float[] fin = finalParams(lake, "layer");
    float[] last = w.get("60|");
    assertThat(last).hasSize(15);
    // fc2.weight follows fc1.weight (60) and fc1.bias (5) in the full vector.
    assertThat(last).isEqualTo(java.util.Arrays.copyOfRange(fin, 65, 80));
    List<Map<String, Object>> layout = LakeReader.rows(lake, Tables.PARAM_LAYOUT, "layer");
    assertThat(layout).extracting(r -> r.get("weights_offset")).containsExactly(-1L, -1L, 0L, -1L);
  }
}
