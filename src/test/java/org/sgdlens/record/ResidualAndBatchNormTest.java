package org.sgdlens.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sgdlens.kernel.Permutations;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.LakeReader;
import org.sgdlens.lake.Tables;

/** ResNets from DJL's units, and what batch norm asks of the recorder. */
class ResidualAndBatchNormTest {
  @TempDir Path dir;

  static RunConfig.ModelConfig resnet(int depth) {
    RunConfig.ModelConfig m = new RunConfig.ModelConfig();
    m.kind = "resnet";
    m.depth = depth;
    return m;
  }

  static long trainable(Network net) {
    return net.layout().stream()
        .filter(Network.ParamInfo::trainable)
        .mapToLong(Network.ParamInfo::size)
        .sum();
  }

  @Test
  void resNetsHaveTheParameterCountsOfTheirPyTorchTwins() {
    // Counted with PyTorch (python3-torch) on the same architecture: 3x3 stem, basic units,
    // 1x1 projection shortcuts where the shape changes, global average pooling, one linear layer.
    try (Network r20 = new Network(resnet(20), new int[] {1, 28, 28}, 10, Device.cpu())) {
      assertThat(trainable(r20)).isEqualTo(272_186);
      assertThat(r20.hasRunningStatistics()).isTrue();
    }
    try (Network r18 = new Network(resnet(18), new int[] {3, 32, 32}, 10, Device.cpu())) {
      assertThat(trainable(r18)).as("ResNet-18 width").isEqualTo(11_173_962);
    }
  }

  @Test
  void badResNetSettingsAreRefused() {
    assertThatThrownBy(() -> new Network(resnet(21), new int[] {1, 28, 28}, 10, Device.cpu()))
        .hasMessageContaining("model.depth 21")
        .hasMessageContaining("6n+2");
    RunConfig.ModelConfig m = resnet(20);
    m.widths = List.of(8, 16);
    assertThatThrownBy(() -> new Network(m, new int[] {1, 28, 28}, 10, Device.cpu()))
        .hasMessageContaining("3 stages");
    assertThatThrownBy(() -> new Network(resnet(20), new int[] {784}, 10, Device.cpu()))
        .hasMessageContaining("needs image input");
  }

  @Test
  void batchNormStartsAtScaleOneShiftZeroAndUnitVariance() {
    try (Network net = new Network(resnet(8), new int[] {1, 28, 28}, 10, Device.cpu())) {
      float[] w = net.initialWeights(1);
      for (Network.ParamInfo p : net.layout()) {
        float expected =
            switch (p.type()) {
              case GAMMA, RUNNING_VAR -> 1f;
              case BETA, RUNNING_MEAN -> 0f;
              default -> Float.NaN;
            };
        if (!Float.isNaN(expected)) {
          for (long i = 0; i < p.size(); i++) {
            assertThat(w[(int) (p.offset() + i)]).as(p.name()).isEqualTo(expected);
          }
        }
        assertThat(p.trainable())
            .isEqualTo(
                p.type() != ai.djl.nn.Parameter.Type.RUNNING_MEAN
                    && p.type() != ai.djl.nn.Parameter.Type.RUNNING_VAR);
      }
    }
  }

  private static float[] floats(byte[] packed) {
    float[] out = new float[packed.length / 4];
    ByteBuffer.wrap(packed).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    return out;
  }

  /** The two parts of a minibatch gradient add up to it: both see the minibatch's statistics. */
  private static void partsAddUp(RunConfig.ModelConfig model) {
    RunConfig c = new RunConfig();
    c.dataset.perClass = 10;
    c.noise.fraction = 0.3;
    TrainingData data = TrainingData.load(c);
    try (Network net = new Network(model, data.inputShape(), 10, Device.cpu())) {
      net.setWeights(net.initialWeights(2));
      assertThat(net.couplesSamples()).isTrue();
      int b = 32;
      int[] rows = Permutations.permutation(data.trainSize(), 9, 1);
      boolean[] wrong = new boolean[b];
      for (int i = 0; i < b; i++) {
        wrong[i] = data.mislabeled(rows[i]);
      }
      int p = (int) net.size();
      byte[] gc = new byte[p * 4];
      byte[] gw = new byte[p * 4];
      assertThat(
              net.gradientParts(
                  data.trainX(),
                  data.features(),
                  data.givenLabels(),
                  rows,
                  0,
                  b,
                  wrong,
                  1.0 / b,
                  gc,
                  gw))
          .isTrue();
      float[] whole = new float[p];
      net.gradient(data.trainX(), data.features(), data.givenLabels(), rows, 0, b, 1.0 / b, whole);
      float[] c1 = floats(gc);
      float[] w1 = floats(gw);
      double scale = 0;
      for (float v : whole) {
        scale = Math.max(scale, Math.abs(v));
      }
      for (int i = 0; i < p; i++) {
        assertThat((double) c1[i] + w1[i])
            .as("parameter %d", i)
            .isCloseTo(whole[i], within(1e-4 * scale));
      }
    }
  }

  @Test
  void cleanAndMislabeledPartsAddUpToTheMinibatchGradientWithBatchNorm() {
    partsAddUp(resnet(8));
    RunConfig.ModelConfig ts = new RunConfig.ModelConfig();
    ts.kind = "torchscript";
    ts.path = TorchScriptTest.model("bn_cnn.pt");
    partsAddUp(ts);
  }

  @Test
  void recordingABatchNormNetworkLeavesItsTrainingAlone() {
    Lake lake = Lake.open(dir.toString());
    RunConfig base = new RunConfig();
    base.model = resnet(8);
    base.model.widths = List.of(4, 8, 8);
    base.dataset.perClass = 10;
    base.dataset.testSize = 50;
    base.noise.fraction = 0.2;
    base.sgd.batchSize = 20;
    base.sgd.steps = 12;
    base.sgd.momentum = 0.9;
    base.record.metrics = Schedule.never();
    String[] ids = {"plain", "parallel", "inline"};
    for (String id : ids) {
      RunConfig c = ConfigLoader.fromJson(ConfigLoader.toJson(base));
      c.runId = id;
      if (!id.equals("plain")) {
        c.record.gradients = Schedule.every(5);
        c.record.ensembleSize = 2;
        c.record.sampleLosses = Schedule.every(5);
        c.record.metrics = Schedule.every(5);
      }
      c.parallelRecording = !id.equals("inline");
      assertThat(TrainRun.execute(lake, c, false, null).status()).isEqualTo("COMMITTED");
    }
    List<String> reference = values(lake, "plain");
    assertThat(values(lake, "parallel")).isEqualTo(reference);
    assertThat(values(lake, "inline"))
        .as("probing on the training network itself")
        .isEqualTo(reference);
  }

  private static List<String> values(Lake lake, String run) {
    return LakeReader.rows(lake, Tables.FINAL_PARAMS, run).stream()
        .map(r -> java.util.Arrays.toString((byte[]) r.get("values")))
        .toList();
  }
}
