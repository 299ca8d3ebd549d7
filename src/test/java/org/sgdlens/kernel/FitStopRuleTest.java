package org.sgdlens.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FitStopRuleTest {
  private static final FitStopRule.Rule AUTHORS =
      new FitStopRule.Rule(
          FitStopRule.MIN_TRAIN_ACCURACY_DEFAULT,
          FitStopRule.ACCURACY_EPOCHS_DEFAULT,
          FitStopRule.MAX_TRAIN_LOSS_DEFAULT);

  /** The authors' test, written as in demo.py: mean(holder[-1:-10:-1]) > 0.99 and loss < 5e-5. */
  private static boolean authors(List<Double> holder, double loss) {
    int n = holder.size();
    double sum = 0;
    int count = 0;
    for (int i = n - 1; i >= Math.max(0, n - 9); i--) {
      sum += holder.get(i);
      count++;
    }
    return sum / count > 0.99 && loss < 5e-5;
  }

  @Test
  void agreesWithTheAuthorsTestOnRandomHistories() {
    SplittableRandom random = new SplittableRandom(21);
    for (int trial = 0; trial < 500; trial++) {
      FitStopRule.Monitor monitor = new FitStopRule.Monitor(AUTHORS);
      List<Double> holder = new ArrayList<>();
      for (int epoch = 1; epoch <= 40; epoch++) {
        double accuracy = random.nextBoolean() ? 1.0 : 0.95 + 0.05 * random.nextDouble();
        double loss = random.nextDouble() < 0.3 ? 4e-5 : 6e-5;
        holder.add(accuracy);
        Optional<String> stop = monitor.epochEnd(epoch * 20L, epoch, accuracy, loss);
        assertThat(stop.isPresent())
            .as("trial %d epoch %d: %s", trial, epoch, holder)
            .isEqualTo(authors(holder, loss));
      }
    }
  }

  @Test
  void comparisonsAreStrictAndTheReasonNamesTheNumbers() {
    FitStopRule.Monitor m = new FitStopRule.Monitor(new FitStopRule.Rule(0.99, 1, 5e-5));
    assertThat(m.epochEnd(20, 1, 0.99, 1e-6)).as("accuracy equal to the bound").isEmpty();
    assertThat(m.epochEnd(40, 2, 1.0, 5e-5)).as("loss equal to the bound").isEmpty();
    assertThat(m.last()).contains("at step 40 (end of epoch 2)").contains("(>= 5.0E-5)");
    assertThat(m.epochEnd(60, 3, 1.0, 4.99e-5))
        .hasValue(
            "stop rule held: at step 60 (end of epoch 3) the mean training accuracy of the last 1"
                + " epoch(s) is 1.000000 (> 0.99) and the training loss 4.990e-05 (< 5.0E-5)");
  }

  @Test
  void aRestoredMonitorDecidesAsTheUninterruptedOne() {
    FitStopRule.Monitor straight = new FitStopRule.Monitor(AUTHORS);
    FitStopRule.Monitor first = new FitStopRule.Monitor(AUTHORS);
    double[] accuracies = {0.9, 0.97, 1, 1, 0.98, 1, 1, 1, 1, 1, 0.999, 1, 1};
    for (int e = 0; e < 6; e++) {
      straight.epochEnd(e, e, accuracies[e], 1e-5);
      first.epochEnd(e, e, accuracies[e], 1e-5);
    }
    FitStopRule.Monitor resumed = new FitStopRule.Monitor(AUTHORS);
    resumed.restore(first.state());
    for (int e = 6; e < accuracies.length; e++) {
      assertThat(resumed.epochEnd(e, e, accuracies[e], 1e-5))
          .as("epoch %d", e)
          .isEqualTo(straight.epochEnd(e, e, accuracies[e], 1e-5));
    }
  }

  @Test
  void badRulesNameTheKey() {
    assertThatThrownBy(() -> new FitStopRule.Rule(1.0, 9, 5e-5))
        .hasMessageContaining("stop.min_train_accuracy is 1.0");
    assertThatThrownBy(() -> new FitStopRule.Rule(0.99, 0, 5e-5))
        .hasMessageContaining("stop.accuracy_epochs is 0");
    assertThatThrownBy(() -> new FitStopRule.Rule(0.99, 9, 0))
        .hasMessageContaining("stop.max_train_loss is 0.0");
  }
}
