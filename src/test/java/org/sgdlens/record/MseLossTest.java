package org.sgdlens.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sgdlens.lake.Lake;

/** Mean squared error on one-hot targets, torch.nn.MSELoss's convention. */
class MseLossTest {
  @TempDir Path dir;

  @Test
  void perSampleLossesAreTheClassMeanOfSquaredErrorsAndAverageToTheBatchLoss() {
    RunConfig c = TestRuns.synthetic("mse");
    c.model.loss = "mse";
    TrainingData data = TrainingData.load(c);
    try (Network net = new Network(c.model, data.inputShape(), 3, Device.cpu());
        NDManager scope = net.manager().newSubManager()) {
      net.setWeights(net.initialWeights(4));
      int[] rows = new int[40];
      for (int i = 0; i < rows.length; i++) {
        rows[i] = 5 * i;
      }
      NDArray x = net.batch(scope, data.trainX(), data.features(), rows, 0, 40);
      NDArray y = net.labels(scope, data.givenLabels(), rows, 0, 40);
      NDArray z = net.logits(x, false);
      float[] logits = z.toFloatArray();
      float[] losses = net.losses(z, y).toFloatArray();
      double batch = -net.negatedMeanLoss(z, y).getFloat();
      double mean = 0;
      for (int i = 0; i < 40; i++) {
        double expected = 0;
        for (int k = 0; k < 3; k++) {
          double target = data.givenLabels()[rows[i]] == k ? 1 : 0;
          expected += Math.pow(logits[3 * i + k] - target, 2) / 3;
        }
        assertThat((double) losses[i]).as("sample %d", i).isCloseTo(expected, within(1e-6));
        mean += expected / 40;
      }
      assertThat(batch)
          .as("the batch loss is the mean of the per-sample losses")
          .isCloseTo(mean, within(1e-6));
    }
  }

  @Test
  void aRunTrainsOnMseAndSaysSoInItsModelSpec() {
    RunConfig c = TestRuns.synthetic("mse");
    c.model.loss = "mse";
    c.sgd.steps = 200;
    TrainRun.Outcome o = TrainRun.execute(Lake.open(dir.toString()), c, false, null);
    assertThat(o.diverged()).as("%s", o.divergedReason()).isFalse();
    assertThat(o.finalTrainLoss()).isLessThan(2.0 / 9 + 0.1);
    assertThat(Lake.open(dir.toString()).runRow("mse").orElseThrow().get("model"))
        .isEqualTo("mlp:12-5-3,mse");
  }
}
