package org.sgdlens.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.LakeReader;
import org.sgdlens.lake.Tables;

class RunModelTest {
  @TempDir Path dir;

  @Test
  void rebuildsTheTrainedModelAndItsFinalLossOnSelectedLayers() {
    RunConfig c = TestRuns.synthetic("m");
    c.record.layers = List.of("fc2.weight");
    TestRuns.train(dir, c);
    Lake lake = Lake.open(dir.toString());
    List<Map<String, Object>> metrics = LakeReader.rows(lake, Tables.METRICS, "m");
    double finalLoss = (Double) metrics.get(metrics.size() - 1).get("train_loss");
    try (RunModel model = RunModel.open(dir.toString(), "m", 0, 1)) {
      assertThat(model.recordedLength()).isEqualTo(15);
      float[] w0 = model.finalRecordedWeights();
      assertThat((double) model.loss(w0))
          .as("L0 equals the recorded final training loss")
          .isCloseTo(finalLoss, within(1e-6));
      float[] moved = w0.clone();
      moved[0] += 5f;
      assertThat(model.loss(moved)).isNotCloseTo(finalLoss, within(1e-6));
      assertThat(model.loss(w0)).as("moving back restores L0").isCloseTo(finalLoss, within(1e-6));
    }
    try (RunModel subset = RunModel.open(dir.toString(), "m", 100, 1)) {
      assertThat(subset.samples()).isEqualTo(100);
    }
  }

  @Test
  void anUnknownRunIsAClearError() {
    assertThatThrownBy(() -> RunModel.open(dir.toString(), "nope", 0, 1))
        .hasMessageContaining("nope")
        .hasMessageContaining("not in the lake");
  }
}
