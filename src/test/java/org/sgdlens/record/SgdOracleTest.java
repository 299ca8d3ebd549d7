package org.sgdlens.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sgdlens.kernel.Permutations;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.LakeReader;
import org.sgdlens.lake.Tables;

/**
 * The trainer's SGD update (plain, with momentum, with weight decay) against PyTorch's SGD written
 * out in doubles on the hand-derived MLP: every recorded weight snapshot must match.
 */
class SgdOracleTest {
  @TempDir Path dir;

  @ParameterizedTest
  @CsvSource({"0.0, 0.0", "0.9, 0.0", "0.0, 0.01", "0.9, 0.01"})
  void recordedTrajectoryIsPyTorchSgd(double momentum, double weightDecay) {
    RunConfig c = TestRuns.synthetic("sgd");
    c.noise.fraction = 0;
    c.sgd.momentum = momentum;
    c.sgd.weightDecay = weightDecay;
    c.sgd.steps = 20;
    c.record.gradients = Schedule.never();
    c.record.sampleLosses = Schedule.never();
    c.checkpointEvery = 0;
    TestRuns.train(dir, c);
    Map<String, float[]> weights =
        LakeReader.vectors(
            LakeReader.rows(Lake.open(dir.toString()), Tables.WEIGHTS, "sgd"), "step");
    TrainingData data = TrainingData.load(c);
    MlpOracle oracle = new MlpOracle(12, 5, 3);
    double[] w = MlpOracle.toDouble(weights.get("0|"));
    double[] v = new double[w.length];
    int b = c.sgd.batchSize;
    long perEpoch = data.trainSize() / b;
    double lr = c.sgd.learningRate;
    for (long step = 0; step < c.sgd.steps; step++) {
      int[] order = Permutations.permutation(data.trainSize(), c.sgd.seed, step / perEpoch);
      int from = (int) (step % perEpoch) * b;
      double[] g = new double[w.length];
      for (int i = from; i < from + b; i++) {
        oracle.forward(w, data.trainX(), order[i], data.givenLabels()[order[i]], g, 1.0 / b);
      }
      for (int k = 0; k < w.length; k++) {
        double d = g[k] + weightDecay * w[k];
        v[k] = momentum * v[k] + d;
        w[k] -= lr * (momentum > 0 ? v[k] : d);
      }
      float[] recorded = weights.get((step + 1) + "|");
      for (int k = 0; k < w.length; k++) {
        assertThat((double) recorded[k])
            .as(
                "w[%s] after step %s (momentum %s, weight decay %s)",
                k, step + 1, momentum, weightDecay)
            .isCloseTo(w[k], within(2e-5 + 2e-5 * Math.abs(w[k])));
      }
    }
  }
}
