package org.sgdlens.curvature;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.sgdlens.curvature.MlpLossOracle.randomSamples;
import static org.sgdlens.curvature.MlpLossOracle.randomVector;
import static org.sgdlens.curvature.MlpLossOracle.randomWeights;
import static org.sgdlens.curvature.MlpLossOracle.relativeError;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.sgdlens.record.Network;
import org.sgdlens.record.RunConfig;

/** The engine's derivatives against finite differences, closed forms and the project's Network. */
class MlpHessianOracleTest {
  static final int FEATURES = 4;
  static final int CLASSES = 3;

  static MlpSpec tanhNet(Network.Objective loss) {
    return MlpSpec.of(FEATURES, List.of(5), CLASSES, MlpSpec.Activation.TANH, true, loss);
  }

  static MlpHessian engine(MlpSpec spec, int chunkRows) {
    return MlpHessian.builder().setSpec(spec).optChunkRows(chunkRows).build();
  }

  @ParameterizedTest
  @EnumSource(Network.Objective.class)
  void lossAndGradientMatchTheLoopOracleAndItsFiniteDifferences(Network.Objective loss) {
    MlpSpec spec = tanhNet(loss);
    Samples data = randomSamples(30, FEATURES, CLASSES, 1);
    double[] w = randomWeights(spec, 2, 0.8);
    // Chunks of 7 rows: the sum over chunks must give the mean over all 30.
    try (MlpHessian h = engine(spec, 7)) {
      assertThat(h.loss(w, data))
          .as("loss vs loop oracle")
          .isCloseTo(MlpLossOracle.loss(spec, w, data), within(1e-12));
      double[] g = h.gradient(w, data, List.of());
      double[] fd = MlpLossOracle.finiteDifferenceGradient(spec, w, data, 1e-5);
      assertThat(relativeError(g, fd)).as("gradient vs central differences").isLessThan(1e-8);
    }
  }

  @ParameterizedTest
  @EnumSource(Network.Objective.class)
  void hvpEqualsTheCentralDifferenceOfTheExactGradient(Network.Objective loss) {
    MlpSpec spec = tanhNet(loss);
    Samples data = randomSamples(30, FEATURES, CLASSES, 3);
    double[] w = randomWeights(spec, 4, 0.8);
    SplittableRandom random = new SplittableRandom(5);
    double[][] v = new double[3][];
    for (int j = 0; j < v.length; j++) {
      v[j] = randomVector(spec.size(), random);
    }
    try (MlpHessian h = engine(spec, 11)) {
      double[][] hv = h.hvp(w, data, List.of(), v);
      double step = 1e-5;
      for (int j = 0; j < v.length; j++) {
        double[] up = w.clone();
        double[] down = w.clone();
        for (int i = 0; i < w.length; i++) {
          up[i] += step * v[j][i];
          down[i] -= step * v[j][i];
        }
        double[] gu = h.gradient(up, data, List.of());
        double[] gd = h.gradient(down, data, List.of());
        double[] fd = new double[w.length];
        for (int i = 0; i < w.length; i++) {
          fd[i] = (gu[i] - gd[i]) / (2 * step);
        }
        assertThat(relativeError(hv[j], fd)).as("HVP %d vs differences", j).isLessThan(1e-7);
      }
    }
  }

  @Test
  void reluHvpMatchesDifferencesAndFloat32AgreesWithFloat64() {
    // ReLU: σ'' = 0 off the kinks, so H v is the Gauss-Newton-like part only; a step of 1e-5
    // crosses no kink on this seeded data (checked by the agreement itself).
    MlpSpec spec =
        MlpSpec.of(
            FEATURES,
            List.of(6),
            CLASSES,
            MlpSpec.Activation.RELU,
            true,
            Network.Objective.CROSS_ENTROPY);
    Samples data = randomSamples(30, FEATURES, CLASSES, 31);
    double[] w = randomWeights(spec, 32, 0.8);
    double[] v = randomVector(spec.size(), new SplittableRandom(33));
    try (MlpHessian h = engine(spec, 8);
        MlpHessian single =
            MlpHessian.builder().setSpec(spec).optPrecision(DataType.FLOAT32).build()) {
      double[] hv = h.hvp(w, data, List.of(), new double[][] {v})[0];
      double step = 1e-5;
      double[] up = w.clone();
      double[] down = w.clone();
      for (int i = 0; i < w.length; i++) {
        up[i] += step * v[i];
        down[i] -= step * v[i];
      }
      double[] gu = h.gradient(up, data, List.of());
      double[] gd = h.gradient(down, data, List.of());
      double[] fd = new double[w.length];
      for (int i = 0; i < w.length; i++) {
        fd[i] = (gu[i] - gd[i]) / (2 * step);
      }
      assertThat(relativeError(hv, fd)).as("relu HVP vs differences").isLessThan(1e-7);
      assertThat(relativeError(single.hvp(w, data, List.of(), new double[][] {v})[0], hv))
          .as("float32 HVP vs float64")
          .isLessThan(1e-5);
      assertThat(relativeError(single.gradient(w, data, List.of()), h.gradient(w, data, List.of())))
          .as("float32 gradient vs float64")
          .isLessThan(1e-5);
    }
  }

  @Test
  void blockHvpIsTheSubBlockOfTheFullHvp() {
    MlpSpec spec =
        MlpSpec.of(
            FEATURES,
            List.of(5, 4),
            CLASSES,
            MlpSpec.Activation.SIGMOID,
            true,
            Network.Objective.CROSS_ENTROPY);
    Samples data = randomSamples(25, FEATURES, CLASSES, 6);
    double[] w = randomWeights(spec, 7, 0.9);
    SplittableRandom random = new SplittableRandom(8);
    try (MlpHessian h = engine(spec, 10)) {
      for (List<String> layers :
          List.of(List.of("fc2"), List.of("fc1.weight"), List.of("fc3.bias", "fc1"))) {
        List<MlpSpec.Param> chosen = spec.select(layers);
        int size = h.selectionSize(layers);
        double[][] block = new double[2][];
        double[][] full = new double[2][spec.size()];
        for (int j = 0; j < 2; j++) {
          block[j] = randomVector(size, random);
          int c = 0;
          for (MlpSpec.Param p : chosen) {
            System.arraycopy(block[j], c, full[j], p.offset(), p.size());
            c += p.size();
          }
        }
        double[][] blockHv = h.hvp(w, data, layers, block);
        double[][] fullHv = h.hvp(w, data, List.of(), full);
        double[] g = h.gradient(w, data, List.of());
        double[] gBlock = h.gradient(w, data, layers);
        for (int j = 0; j < 2; j++) {
          double[] expected = new double[size];
          double[] expectedG = new double[size];
          int c = 0;
          for (MlpSpec.Param p : chosen) {
            System.arraycopy(fullHv[j], p.offset(), expected, c, p.size());
            System.arraycopy(g, p.offset(), expectedG, c, p.size());
            c += p.size();
          }
          assertThat(relativeError(blockHv[j], expected))
              .as("block %s vector %d", layers, j)
              .isLessThan(1e-12);
          assertThat(relativeError(gBlock, expectedG))
              .as("gradient block %s", layers)
              .isLessThan(1e-13);
        }
      }
    }
  }

  @Test
  void linearRegressionHasTheClosedFormHessian() {
    // No hidden layer and no bias: z = W x, L = (1/(N K)) sum_n |W x_n - e_{y_n}|^2, so
    // H = (2/K) I_K ⊗ X^T X / N with W row-major [K, d].
    int d = 6;
    int k = 4;
    MlpSpec spec =
        MlpSpec.of(d, List.of(), k, MlpSpec.Activation.RELU, false, Network.Objective.MSE);
    Samples data = randomSamples(40, d, k, 9);
    double[] xtx = new double[d * d];
    for (int n = 0; n < 40; n++) {
      for (int i = 0; i < d; i++) {
        for (int j = 0; j < d; j++) {
          xtx[i * d + j] += (double) data.x()[n * d + i] * data.x()[n * d + j] / 40;
        }
      }
    }
    double[] w = randomWeights(spec, 10, 1);
    SplittableRandom random = new SplittableRandom(11);
    double[][] v = new double[5][];
    for (int j = 0; j < v.length; j++) {
      v[j] = randomVector(spec.size(), random);
    }
    try (MlpHessian h = engine(spec, 16)) {
      double[][] hv = h.hvp(w, data, List.of(), v);
      for (int j = 0; j < v.length; j++) {
        double[] expected = new double[spec.size()];
        for (int o = 0; o < k; o++) {
          for (int i = 0; i < d; i++) {
            double s = 0;
            for (int q = 0; q < d; q++) {
              s += xtx[i * d + q] * v[j][o * d + q];
            }
            expected[o * d + i] = 2.0 / k * s;
          }
        }
        assertThat(relativeError(hv[j], expected)).as("vector %d", j).isLessThan(1e-12);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Network.Objective.class)
  void perSampleGradientsAndHvpsAverageToTheFullOnes(Network.Objective loss) {
    MlpSpec spec = tanhNet(loss);
    Samples data =
        Samples.subset(
            randomSamples(50, FEATURES, CLASSES, 12).x(),
            randomSamples(50, FEATURES, CLASSES, 12).labels(),
            23,
            13);
    double[] w = randomWeights(spec, 14, 0.8);
    // A per-sample budget of 100 values: chunks of 100/23 = 4 samples for fc2 (18 parameters).
    try (MlpHessian h =
        MlpHessian.builder().setSpec(spec).optChunkRows(5).optPerSampleValues(100).build()) {
      for (List<String> layers : List.of(List.<String>of(), List.of("fc2"))) {
        int size = h.selectionSize(layers);
        double[][] perSample = h.perSampleGradients(w, data, layers);
        assertThat(perSample.length).isEqualTo(23);
        double[] mean = new double[size];
        for (double[] row : perSample) {
          for (int i = 0; i < size; i++) {
            mean[i] += row[i] / 23;
          }
        }
        assertThat(relativeError(mean, h.gradient(w, data, layers)))
            .as("mean per-sample gradient %s", layers)
            .isLessThan(1e-13);
        // One sample's gradient is the gradient of a one-row data set.
        Samples one = new Samples(data.x(), data.labels(), new int[] {data.rows()[7]});
        assertThat(relativeError(perSample[7], h.gradient(w, one, layers)))
            .as("sample 7 %s", layers)
            .isLessThan(1e-13);
        double[] v = randomVector(size, new SplittableRandom(15));
        double[][] perSampleHv = h.perSampleHvp(w, data, layers, v);
        double[] meanHv = new double[size];
        for (double[] row : perSampleHv) {
          for (int i = 0; i < size; i++) {
            meanHv[i] += row[i] / 23;
          }
        }
        assertThat(relativeError(meanHv, h.hvp(w, data, layers, new double[][] {v})[0]))
            .as("mean per-sample HVP %s", layers)
            .isLessThan(1e-12);
        assertThat(relativeError(perSampleHv[7], h.hvp(w, one, layers, new double[][] {v})[0]))
            .as("sample 7 HVP %s", layers)
            .isLessThan(1e-12);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Network.Objective.class)
  void lossEqualsTheProjectNetworkLossOnTheSameWeights(Network.Objective loss) {
    RunConfig.ModelConfig model = new RunConfig.ModelConfig();
    model.hidden = new java.util.ArrayList<>(List.of(5));
    model.activation = "tanh";
    model.loss = loss == Network.Objective.MSE ? "mse" : "cross_entropy";
    MlpSpec spec = MlpSpec.of(model, new int[] {FEATURES}, CLASSES);
    Samples data = randomSamples(40, FEATURES, CLASSES, 16);
    try (Network net = new Network(model, new int[] {FEATURES}, CLASSES, Device.cpu());
        MlpHessian h = MlpHessian.builder().setSpec(spec).optPrecision(DataType.FLOAT32).build()) {
      spec.requireSameLayout(net.layout());
      float[] weights = net.initialWeights(17);
      net.setWeights(weights);
      double[] losses = new double[40];
      net.evaluate(data.x(), FEATURES, data.labels(), losses, new int[40]);
      double mean = java.util.Arrays.stream(losses).average().orElseThrow();
      assertThat(h.loss(MlpHessian.widen(weights), data)).isCloseTo(mean, within(1e-5));
    }
  }

  @Test
  void badInputsAreRefusedNamingTheValue() {
    MlpSpec spec = tanhNet(Network.Objective.CROSS_ENTROPY);
    Samples data = randomSamples(10, FEATURES, CLASSES, 18);
    double[] w = randomWeights(spec, 19, 1);
    try (MlpHessian h = engine(spec, 4)) {
      assertThatThrownBy(() -> h.loss(new double[7], data))
          .hasMessageContaining("7 values")
          .hasMessageContaining(Integer.toString(spec.size()));
      assertThatThrownBy(() -> h.hvp(w, data, List.of("fc2"), new double[][] {new double[5]}))
          .hasMessageContaining("Vector 0 has 5 values")
          .hasMessageContaining("[fc2] has 18");
      assertThatThrownBy(() -> h.gradient(w, data, List.of("fc9.weight")))
          .hasMessageContaining("'fc9.weight'")
          .hasMessageContaining("fc2.bias");
      int[] labels = data.labels().clone();
      labels[3] = 3;
      assertThatThrownBy(() -> h.loss(w, Samples.all(data.x(), labels)))
          .hasMessageContaining("label 3");
    }
    RunConfig.ModelConfig cnn = new RunConfig.ModelConfig();
    cnn.kind = "cnn";
    assertThatThrownBy(() -> MlpSpec.of(cnn, new int[] {1, 28, 28}, 10))
        .hasMessageContaining("model.kind 'cnn'")
        .hasMessageContaining("mlp");
    RunConfig.ModelConfig gelu = new RunConfig.ModelConfig();
    gelu.activation = "gelu";
    assertThatThrownBy(() -> MlpSpec.of(gelu, new int[] {4}, 3)).hasMessageContaining("'gelu'");
  }
}
