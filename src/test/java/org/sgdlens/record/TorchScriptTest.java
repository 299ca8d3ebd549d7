package org.sgdlens.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sgdlens.kernel.Permutations;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.LakeReader;
import org.sgdlens.lake.Tables;
import org.sgdlens.lake.VectorChunks;

/** TorchScript files exported from PyTorch train and record like the built-in networks. */
class TorchScriptTest {
  @TempDir Path dir;

  static String model(String name) {
    try {
      return Path.of(TorchScriptTest.class.getResource("/torchscript/" + name).toURI()).toString();
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static RunConfig.ModelConfig torchScript(String file) {
    RunConfig.ModelConfig m = new RunConfig.ModelConfig();
    m.kind = "torchscript";
    m.path = model(file);
    return m;
  }

  @Test
  void parametersKeepTheirPyTorchNamesAndShapes() {
    RunConfig c = TestRuns.synthetic("ts");
    TrainingData data = TrainingData.load(c);
    try (Network ts = new Network(torchScript("mlp.pt"), data.inputShape(), 3, Device.cpu())) {
      assertThat(ts.layout().stream().map(Network.ParamInfo::name))
          .containsExactly("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias");
      assertThat(ts.layout().get(0).shape()).containsExactly(5, 12);
      assertThat(ts.size()).isEqualTo(83);
    }
  }

  @Test
  void aTorchScriptMlpGivesTheBuiltInMlpsLossesAndGradientsForTheSameWeights() {
    RunConfig c = TestRuns.synthetic("ts");
    TrainingData data = TrainingData.load(c);
    try (Network ts = new Network(torchScript("mlp.pt"), data.inputShape(), 3, Device.cpu());
        Network mlp = new Network(c.model, data.inputShape(), 3, Device.cpu())) {
      float[] w = ts.weights();
      mlp.setWeights(w);
      int n = data.trainSize();
      double[] lossTs = new double[n];
      double[] lossMlp = new double[n];
      int[] predTs = new int[n];
      int[] predMlp = new int[n];
      ts.evaluate(data.trainX(), data.features(), data.givenLabels(), lossTs, predTs);
      mlp.evaluate(data.trainX(), data.features(), data.givenLabels(), lossMlp, predMlp);
      for (int i = 0; i < n; i++) {
        assertThat(lossTs[i]).as("sample %d", i).isCloseTo(lossMlp[i], within(1e-5));
      }
      assertThat(predTs).isEqualTo(predMlp);
      int[] rows = Permutations.permutation(n, 3, 4);
      float[] gTs = new float[(int) ts.size()];
      float[] gMlp = new float[(int) mlp.size()];
      ts.gradient(data.trainX(), data.features(), data.givenLabels(), rows, 0, 16, 1.0 / 16, gTs);
      mlp.gradient(data.trainX(), data.features(), data.givenLabels(), rows, 0, 16, 1.0 / 16, gMlp);
      for (int i = 0; i < gTs.length; i++) {
        assertThat((double) gTs[i]).as("gradient %d", i).isCloseTo(gMlp[i], within(1e-5));
      }
    }
  }

  @Test
  void aTorchScriptCnnTrainsAndItsRecordedGradientIsTheFiniteDifferenceOfItsLoss() {
    RunConfig c = new RunConfig();
    c.runId = "ts-cnn";
    c.model = torchScript("cnn.pt");
    c.dataset.perClass = 20;
    c.dataset.testSize = 100;
    c.sgd.batchSize = 20;
    c.sgd.steps = 30;
    c.sgd.learningRate = 0.1;
    c.noise.fraction = 0;
    c.record.weights = Schedule.every(1);
    c.record.gradients = Schedule.every(10);
    c.record.ensembleSize = 2;
    c.record.metrics = Schedule.every(10);
    c.record.layers = List.of("conv1.weight");
    Lake lake = Lake.open(dir.toString());
    TrainRun.Outcome o = TrainRun.execute(lake, c, false, null);
    assertThat(o.status()).isEqualTo("COMMITTED");
    assertThat(o.numParams()).isEqualTo(2010);
    assertThat(o.finalTrainLoss()).as("it learned").isLessThan(Math.log(10));

    // The last recorded ensemble is at the last step, whose weights are final_params.
    long step = c.sgd.steps;
    float[] w = vector(lake, Tables.FINAL_PARAMS, -1, -1);
    float[] g = vector(lake, Tables.GRADIENTS, step, 0);
    assertThat(vector(lake, Tables.WEIGHTS, step, -1))
        .as("record.layers=[conv1.weight] records that parameter alone, by its PyTorch name")
        .hasSize(36);
    assertThat(w).hasSize(2010);
    assertThat(g).hasSize(2010);

    TrainingData data = TrainingData.load(c);
    int b = c.sgd.batchSize;
    int[] perm =
        Permutations.permutation(data.trainSize(), Permutations.mix(c.sgd.seed, 0xE45E), step);
    int f = data.features();
    float[] x = new float[b * f];
    int[] y = new int[b];
    for (int i = 0; i < b; i++) {
      System.arraycopy(data.trainX(), perm[i] * f, x, i * f, f);
      y[i] = data.givenLabels()[perm[i]];
    }
    SplittableRandom random = new SplittableRandom(5);
    double[] v = new double[w.length];
    double norm = 0;
    for (int i = 0; i < v.length; i++) {
      v[i] = random.nextGaussian();
      norm += v[i] * v[i];
    }
    double directional = 0;
    for (int i = 0; i < v.length; i++) {
      v[i] /= Math.sqrt(norm);
      directional += g[i] * v[i];
    }
    double eps = 1e-2;
    try (Network net = new Network(c.model, data.inputShape(), 10, Device.cpu())) {
      double plus = meanLoss(net, shifted(w, v, eps), x, f, y);
      double minus = meanLoss(net, shifted(w, v, -eps), x, f, y);
      double central = (plus - minus) / (2 * eps);
      assertThat(Math.abs(directional)).as("a gradient, not zero").isGreaterThan(1e-3);
      assertThat(central).isCloseTo(directional, within(0.02 * Math.abs(directional) + 1e-4));
    }
  }

  private static float[] shifted(float[] w, double[] v, double eps) {
    float[] out = new float[w.length];
    for (int i = 0; i < w.length; i++) {
      out[i] = (float) (w[i] + eps * v[i]);
    }
    return out;
  }

  private static double meanLoss(Network net, float[] w, float[] x, int f, int[] y) {
    net.setWeights(w);
    double[] loss = new double[y.length];
    net.evaluate(x, f, y, loss, new int[y.length]);
    double sum = 0;
    for (double l : loss) {
      sum += l;
    }
    return sum / y.length;
  }

  private static boolean matches(Map<String, Object> r, long step, int member) {
    return (step < 0 || (Long) r.get("step") == step)
        && (member < 0 || (Integer) r.get("member") == member);
  }

  /** The vector a table holds at a step (member >= 0 for gradients), from its chunks. */
  static float[] vector(Lake lake, String table, long step, int member) {
    List<Map<String, Object>> rows = LakeReader.rows(lake, table, "ts-cnn");
    int length = 0;
    for (Map<String, Object> r : rows) {
      if (matches(r, step, member)) {
        length = (int) Math.max(length, (Long) r.get("chunk_offset") + (Integer) r.get("length"));
      }
    }
    float[] out = new float[length];
    for (Map<String, Object> r : rows) {
      if (matches(r, step, member)) {
        float[] chunk = VectorChunks.unpack((byte[]) r.get("values"));
        System.arraycopy(chunk, 0, out, (int) (long) (Long) r.get("chunk_offset"), chunk.length);
      }
    }
    return out;
  }

  @Test
  void aMissingOrBrokenFileIsAClearError() {
    RunConfig c = TestRuns.synthetic("bad");
    c.model.kind = "torchscript";
    c.model.path = dir.resolve("nope.pt").toString();
    assertThatThrownBy(() -> TrainRun.execute(Lake.open(dir.toString()), c, false, null))
        .hasMessageContaining("nope.pt does not exist")
        .hasMessageContaining("torch.jit.save");
    c.model.path = model("export_models.py");
    assertThatThrownBy(() -> TrainRun.execute(Lake.open(dir.toString()), c, false, null))
        .hasMessageContaining("is not a TorchScript file");
  }
}
