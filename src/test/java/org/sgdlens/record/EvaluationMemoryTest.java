package org.sgdlens.record;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * An evaluation pass frees each layer's tensors once the next layer has its input, instead of
 * holding every activation of the network until the batch is done (which took 6.3 GB per probe lane
 * for ResNet-18 on 1,000 rows), and its values stay bit for bit those of a plain forward.
 */
class EvaluationMemoryTest {
  /** Remembers the tensors it is given and passes them on unchanged. */
  private static final class Probe {
    final List<NDArray> seen = new ArrayList<>();

    LambdaBlock block() {
      return new LambdaBlock(
          list -> {
            seen.addAll(list);
            return list;
          });
    }
  }

  @Test
  void anEarlierLayersActivationIsReleasedBeforeTheBatchEnds() {
    Probe first = new Probe();
    List<Boolean> firstReleasedWhenSecondRan = new ArrayList<>();
    LambdaBlock second =
        new LambdaBlock(
            list -> {
              first.seen.forEach(a -> firstReleasedWhenSecondRan.add(a.isReleased()));
              return list;
            });
    SequentialBlock block =
        new SequentialBlock()
            .add(Linear.builder().setUnits(8).build())
            .add(first.block())
            .add(Activation.reluBlock())
            // nested, as a user's block may be: stepped through the same way
            .add(new SequentialBlock().add(Linear.builder().setUnits(6).build()).add(second))
            .add(Linear.builder().setUnits(3).build());
    int features = 5;
    int rows = 40;
    float[] x = randomRows(rows, features, 7);
    int[] labels = new int[rows];
    try (Network net = Network.of(block, new int[] {features}, 3, "cross_entropy", Device.cpu())) {
      net.setWeights(net.initialWeights(3));
      first.seen.clear(); // initialisation ran the probes on shape-finding inputs
      firstReleasedWhenSecondRan.clear();
      net.evaluate(x, features, labels, new double[rows], new int[rows]);
    }
    assertThat(firstReleasedWhenSecondRan)
        .as("the first probe's tensor (layer 1's output) when a later layer runs")
        .containsExactly(true);
  }

  @Test
  void steppedEvaluationEqualsAPlainForwardBitForBit() {
    RunConfig.ModelConfig model = ResidualAndBatchNormTest.resnet(8);
    model.widths = List.of(4, 8, 8);
    int[] shape = {1, 28, 28};
    int features = 784;
    int rows = 64;
    float[] x = randomRows(rows, features, 11);
    int[] labels = new int[rows];
    for (int i = 0; i < rows; i++) {
      labels[i] = i % 10;
    }
    try (Network net = new Network(model, shape, 10, Device.cpu())) {
      float[] w = net.initialWeights(5);
      // running statistics away from (0, 1), so that evaluation mode's batch norm does something
      for (Network.ParamInfo p : net.layout()) {
        if (!p.trainable()) {
          for (long i = p.offset(); i < p.offset() + p.size(); i++) {
            w[(int) i] += 0.25f + 0.01f * (i % 7);
          }
        }
      }
      net.setWeights(w);
      double[] loss = new double[rows];
      int[] predicted = new int[rows];
      net.evaluate(x, features, labels, loss, predicted);

      int[] all = new int[rows];
      for (int i = 0; i < rows; i++) {
        all[i] = i;
      }
      float[] plainLoss;
      long[] plainPredicted;
      try (NDManager scope = net.manager().newSubManager()) {
        NDArray logits = net.logits(net.batch(scope, x, features, all, 0, rows), false);
        NDArray y = net.labels(scope, labels, all, 0, rows);
        plainLoss = Network.perSampleLoss(logits, y).toFloatArray();
        plainPredicted = logits.argMax(1).toLongArray();
      }
      for (int i = 0; i < rows; i++) {
        assertThat(Float.floatToIntBits((float) loss[i]))
            .as("loss bits of row %d", i)
            .isEqualTo(Float.floatToIntBits(plainLoss[i]));
        assertThat((long) predicted[i]).as("prediction of row %d", i).isEqualTo(plainPredicted[i]);
      }
    }
  }

  private static float[] randomRows(int rows, int features, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] x = new float[rows * features];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextDouble();
    }
    return x;
  }
}
