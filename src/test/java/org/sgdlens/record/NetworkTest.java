package org.sgdlens.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.loss.Loss;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetworkTest {
  @Test
  void perSampleLossesAverageToDjlsSoftmaxCrossEntropyBatchLoss() {
    RunConfig config = TestRuns.synthetic("n");
    TrainingData data = TrainingData.load(config);
    try (Network net = new Network(config.model, data.inputShape(), data.classes(), Device.cpu());
        NDManager scope = net.manager().newSubManager()) {
      net.setWeights(net.initialWeights(3));
      int[] rows = new int[64];
      for (int i = 0; i < rows.length; i++) {
        rows[i] = i * 3;
      }
      NDArray x = net.batch(scope, data.trainX(), data.features(), rows, 0, 64);
      NDArray y = net.labels(scope, data.givenLabels(), rows, 0, 64);
      NDArray logits = net.logits(x, false);
      float mean = Network.perSampleLoss(logits, y).mean().getFloat();
      float djl =
          Loss.softmaxCrossEntropyLoss().evaluate(new NDList(y), new NDList(logits)).getFloat();
      assertThat((double) mean).isCloseTo(djl, within(1e-6));
    }
  }

  @Test
  void aPackedGradientIsTheFloatGradientInLittleEndianBytes() {
    RunConfig config = TestRuns.synthetic("n");
    TrainingData data = TrainingData.load(config);
    try (Network net = new Network(config.model, data.inputShape(), data.classes(), Device.cpu())) {
      net.setWeights(net.initialWeights(5));
      int[] rows = {3, 1, 4, 1, 5, 9, 2, 6};
      float[] g = new float[(int) net.size()];
      byte[] packed = new byte[g.length * Float.BYTES];
      assertThat(
              net.gradient(
                  data.trainX(), data.features(), data.givenLabels(), rows, 0, 8, 0.125, g))
          .isTrue();
      assertThat(
              net.gradient(
                  data.trainX(), data.features(), data.givenLabels(), rows, 0, 8, 0.125, packed))
          .isTrue();
      java.nio.FloatBuffer view =
          java.nio.ByteBuffer.wrap(packed).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
      float[] unpacked = new float[g.length];
      view.get(unpacked);
      assertThat(unpacked).as("bit for bit").containsExactly(g);
      assertThat(g).as("a gradient, not zeros").isNotEqualTo(new float[g.length]);
    }
  }

  @Test
  void gradientReportsWhetherEveryEntryIsFinite() {
    RunConfig config = TestRuns.synthetic("n");
    TrainingData data = TrainingData.load(config);
    try (Network net = new Network(config.model, data.inputShape(), data.classes(), Device.cpu())) {
      int[] rows = {0, 1, 2, 3, 4, 5, 6, 7};
      float[] g = new float[(int) net.size()];
      float[] w = net.initialWeights(3);
      net.setWeights(w);
      assertThat(
              net.gradient(
                  data.trainX(), data.features(), data.givenLabels(), rows, 0, 8, 0.125, g))
          .as("initial weights")
          .isTrue();
      for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
        float[] broken = w.clone();
        broken[(int) net.layout().get(net.layout().size() - 1).offset()] = bad; // last layer
        net.setWeights(broken);
        assertThat(
                net.gradient(
                    data.trainX(), data.features(), data.givenLabels(), rows, 0, 8, 0.125, g))
            .as("a weight set to %s", bad)
            .isFalse();
        boolean anyNonFinite = false;
        for (float v : g) {
          anyNonFinite |= !Float.isFinite(v);
        }
        assertThat(anyNonFinite).as("oracle: the copied gradient has a non-finite entry").isTrue();
      }
    }
  }

  @Test
  void authorsNetworkWithoutBiasesHasTheirParameterCount() {
    RunConfig.ModelConfig m = new RunConfig.ModelConfig();
    m.hidden = new java.util.ArrayList<>(List.of(50, 50));
    m.bias = false;
    try (Network net = new Network(m, new int[] {1, 28, 28}, 10, Device.cpu())) {
      assertThat(net.size()).isEqualTo(784 * 50 + 50 * 50 + 50 * 10);
      assertThat(net.layout())
          .extracting(Network.ParamInfo::name)
          .containsExactly("fc1.weight", "fc2.weight", "fc3.weight");
      assertThat(net.layout().get(1).shape()).containsExactly(50, 50);
    }
  }

  @Test
  void smallCnnBuildsAndCountsItsParameters() {
    RunConfig.ModelConfig m = new RunConfig.ModelConfig();
    m.kind = "cnn";
    m.channels = new java.util.ArrayList<>(List.of(4, 8));
    m.hidden = new java.util.ArrayList<>(List.of(16));
    try (Network net = new Network(m, new int[] {1, 28, 28}, 10, Device.cpu())) {
      long expected = (4 * 9 + 4) + (8 * 4 * 9 + 8) + (16 * 8 * 7 * 7 + 16) + (10 * 16 + 10);
      assertThat(net.size()).isEqualTo(expected);
      assertThat(net.layout())
          .extracting(Network.ParamInfo::name)
          .containsExactly(
              "conv1.weight",
              "conv1.bias",
              "conv2.weight",
              "conv2.bias",
              "fc1.weight",
              "fc1.bias",
              "fc2.weight",
              "fc2.bias");
    }
  }
}
