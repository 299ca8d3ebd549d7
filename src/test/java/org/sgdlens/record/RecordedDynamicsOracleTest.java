package org.sgdlens.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sgdlens.kernel.Permutations;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.LakeReader;
import org.sgdlens.lake.Tables;

/**
 * Checks what the recorder wrote against a hand-derived double-precision MLP: gradients, their
 * clean/mislabeled split, losses at recorded weights and per-sample losses.
 */
class RecordedDynamicsOracleTest {
  @TempDir static Path dir;
  static RunConfig config;
  static TrainingData data;
  static Lake lake;
  static MlpOracle oracle;
  static Map<String, float[]> weights;

  @BeforeAll
  static void train() {
    config = TestRuns.synthetic("oracle");
    TestRuns.train(dir, config);
    data = TrainingData.load(config);
    lake = Lake.open(dir.toString());
    oracle = new MlpOracle(12, 5, 3);
    weights = LakeReader.vectors(LakeReader.rows(lake, Tables.WEIGHTS, "oracle"), "step");
  }

  static double[] weightsAt(long step) {
    float[] w = weights.get(step + "|");
    assertThat(w).as("weights recorded at step %s", step).isNotNull();
    assertThat(w.length).isEqualTo(oracle.size());
    return MlpOracle.toDouble(w);
  }

  @Test
  void parameterLayoutIsDjlsLinearOrder() {
    List<Map<String, Object>> layout = LakeReader.rows(lake, Tables.PARAM_LAYOUT, "oracle");
    assertThat(layout)
        .extracting(r -> r.get("name"))
        .containsExactly("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias");
    assertThat(layout)
        .extracting(r -> r.get("shape"))
        .containsExactly("[5, 12]", "[5]", "[3, 5]", "[3]");
  }

  @Test
  void oracleGradientMatchesFiniteDifferencesInDoubles() {
    double[] w = weightsAt(20);
    double[] grad = new double[oracle.size()];
    oracle.forward(w, data.trainX(), 3, data.givenLabels()[3], grad, 1.0);
    double eps = 1e-6;
    for (int i = 0; i < w.length; i++) {
      double[] plus = w.clone();
      double[] minus = w.clone();
      plus[i] += eps;
      minus[i] -= eps;
      double fd =
          (oracle.loss(plus, data.trainX(), 3, data.givenLabels()[3])
                  - oracle.loss(minus, data.trainX(), 3, data.givenLabels()[3]))
              / (2 * eps);
      assertThat(grad[i]).as("d l / d w[%s]", i).isCloseTo(fd, within(1e-6));
    }
  }

  @Test
  void recordedCleanAndMislabeledGradientsEqualTheHandDerivedOnesAndSumToTheMinibatchGradient() {
    Map<String, float[]> grads =
        LakeReader.vectors(
            LakeReader.rows(lake, Tables.GRADIENTS, "oracle"), "step", "member", "part");
    int b = config.sgd.batchSize;
    int checked = 0;
    for (long step : new long[] {0, 20, 40, 60}) {
      double[] w = weightsAt(step);
      int[] perm =
          Permutations.permutation(
              data.trainSize(), Permutations.mix(config.sgd.seed, 0xE45E), step);
      for (int member = 0; member < config.record.ensembleSize; member++) {
        double[] clean = new double[oracle.size()];
        double[] wrong = new double[oracle.size()];
        double[] all = new double[oracle.size()];
        for (int i = member * b; i < (member + 1) * b; i++) {
          int n = perm[i];
          double[] target = data.mislabeled(n) ? wrong : clean;
          oracle.forward(w, data.trainX(), n, data.givenLabels()[n], target, 1.0 / b);
          oracle.forward(w, data.trainX(), n, data.givenLabels()[n], all, 1.0 / b);
        }
        float[] gc = grads.get(step + "|" + member + "|clean|");
        float[] gw = grads.get(step + "|" + member + "|wrong|");
        for (int i = 0; i < oracle.size(); i++) {
          assertThat((double) gc[i])
              .as("g_C[%s] step %s member %s", i, step, member)
              .isCloseTo(clean[i], within(2e-6 + 1e-5 * Math.abs(clean[i])));
          assertThat((double) gw[i])
              .as("g_W[%s]", i)
              .isCloseTo(wrong[i], within(2e-6 + 1e-5 * Math.abs(wrong[i])));
          assertThat((double) gc[i] + gw[i])
              .as("g_C + g_W = g at [%s]", i)
              .isCloseTo(all[i], within(4e-6 + 1e-5 * Math.abs(all[i])));
        }
        checked++;
      }
    }
    assertThat(checked).isEqualTo(16);
  }

  @Test
  void recordedCountsAreTheMinibatchSplit() {
    List<Map<String, Object>> rows = LakeReader.rows(lake, Tables.GRADIENTS, "oracle");
    int b = config.sgd.batchSize;
    for (Map<String, Object> r : rows) {
      long step = (Long) r.get("step");
      int member = (Integer) r.get("member");
      int[] perm =
          Permutations.permutation(
              data.trainSize(), Permutations.mix(config.sgd.seed, 0xE45E), step);
      int wrong = 0;
      for (int i = member * b; i < (member + 1) * b; i++) {
        wrong += data.mislabeled(perm[i]) ? 1 : 0;
      }
      int expected = r.get("part").equals("wrong") ? wrong : b - wrong;
      assertThat(r.get("count")).as("count of %s", r.get("part")).isEqualTo(expected);
      assertThat(r.get("ensemble_size")).isEqualTo(4);
      assertThat(r.get("batch_size")).isEqualTo(b);
    }
  }

  @Test
  void recordedWeightsReproduceTheRecordedTrainingLoss() {
    List<Map<String, Object>> metrics = LakeReader.rows(lake, Tables.METRICS, "oracle");
    assertThat(metrics)
        .extracting(r -> r.get("step"))
        .containsExactly(0L, 10L, 20L, 30L, 40L, 50L, 60L);
    for (Map<String, Object> m : metrics) {
      long step = (Long) m.get("step");
      double[] w = weightsAt(step);
      double sum = 0;
      for (int n = 0; n < data.trainSize(); n++) {
        sum += oracle.loss(w, data.trainX(), n, data.givenLabels()[n]);
      }
      assertThat((Double) m.get("train_loss"))
          .as("train loss at step %s", step)
          .isCloseTo(sum / data.trainSize(), within(1e-5));
    }
  }

  @Test
  void perSampleLossesAreTheOracleLossesAndAverageToTheTrainingLoss() {
    List<Map<String, Object>> losses = LakeReader.rows(lake, Tables.SAMPLE_LOSSES, "oracle");
    List<Map<String, Object>> metrics = LakeReader.rows(lake, Tables.METRICS, "oracle");
    for (long step : new long[] {0, 20, 40, 60}) {
      double[] w = weightsAt(step);
      double sum = 0;
      int count = 0;
      for (Map<String, Object> r : losses) {
        if ((Long) r.get("step") != step) {
          continue;
        }
        int n = (Integer) r.get("sample_index");
        double expected = oracle.loss(w, data.trainX(), n, data.givenLabels()[n]);
        assertThat((Double) r.get("loss")).isCloseTo(expected, within(1e-5 + 1e-5 * expected));
        assertThat(r.get("mislabeled")).isEqualTo(data.mislabeled(n));
        assertThat(r.get("given_label")).isEqualTo(data.givenLabels()[n]);
        assertThat(r.get("true_label")).isEqualTo(data.trueLabels()[n]);
        sum += (Double) r.get("loss");
        count++;
      }
      assertThat(count).isEqualTo(data.trainSize());
      double trainLoss =
          metrics.stream()
              .filter(m -> (Long) m.get("step") == step)
              .findFirst()
              .map(m -> (Double) m.get("train_loss"))
              .orElseThrow();
      assertThat(sum / count)
          .as("mean per-sample loss at %s", step)
          .isCloseTo(trainLoss, within(1e-9));
    }
  }

  @Test
  void finalParamsAreTheLastWeights() {
    Map<String, float[]> fin =
        LakeReader.vectors(LakeReader.rows(lake, Tables.FINAL_PARAMS, "oracle"));
    assertThat(fin.values().iterator().next()).isEqualTo(weights.get("60|"));
  }
}
