package org.sgdlens.kernel;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * Stop training once the training set is fit, the rule of the variance–flatness authors' code (Feng
 * &amp; Tu 2021, PCA-SGD {@code demo.py}): at the end of every epoch, with the full-training set
 * accuracy and mean loss at the weights after that epoch's last update, stop when the mean accuracy
 * of the last {@code accuracyEpochs} epoch ends (fewer while fewer epochs have ended) exceeds
 * {@code minTrainAccuracy} and the loss is below {@code maxTrainLoss}. Both comparisons are strict,
 * as in the authors' code. The authors average {@code holder[-1:-10:-1]}, the last 9 epochs, hence
 * the default 9.
 */
public final class FitStopRule {
  public static final double MIN_TRAIN_ACCURACY_DEFAULT = 0.99;
  public static final int ACCURACY_EPOCHS_DEFAULT = 9;
  public static final double MAX_TRAIN_LOSS_DEFAULT = 5e-5;

  private FitStopRule() {}

  /**
   * @param minTrainAccuracy the mean epoch-end training accuracy must exceed this
   * @param accuracyEpochs epoch ends averaged
   * @param maxTrainLoss the epoch-end training loss must be below this
   */
  public record Rule(double minTrainAccuracy, int accuracyEpochs, double maxTrainLoss) {
    public Rule {
      if (!(minTrainAccuracy >= 0 && minTrainAccuracy < 1)) {
        throw new IllegalArgumentException(
            "stop.min_train_accuracy is "
                + minTrainAccuracy
                + "; use an accuracy in [0, 1), e.g. "
                + MIN_TRAIN_ACCURACY_DEFAULT);
      }
      if (accuracyEpochs < 1) {
        throw new IllegalArgumentException(
            "stop.accuracy_epochs is "
                + accuracyEpochs
                + "; use 1 or more epochs, e.g. "
                + ACCURACY_EPOCHS_DEFAULT);
      }
      if (!(maxTrainLoss > 0) || Double.isNaN(maxTrainLoss)) {
        throw new IllegalArgumentException(
            "stop.max_train_loss is "
                + maxTrainLoss
                + "; use a positive loss, e.g. "
                + MAX_TRAIN_LOSS_DEFAULT);
      }
    }
  }

  /** Watches one run's epoch ends. Its {@link #state} goes into checkpoints. */
  public static final class Monitor {
    private final Rule rule;
    private final double[] accuracies;
    private int filled;
    private int next;
    private String last = "no epoch has ended";

    public Monitor(Rule rule) {
      this.rule = rule;
      this.accuracies = new double[rule.accuracyEpochs()];
    }

    /**
     * Sees the end of an epoch.
     *
     * @return why training stops here, or empty to go on
     */
    public Optional<String> epochEnd(
        long step, long epoch, double trainAccuracy, double trainLoss) {
      accuracies[next] = trainAccuracy;
      next = (next + 1) % accuracies.length;
      filled = Math.min(accuracies.length, filled + 1);
      double mean = 0;
      for (int i = 0; i < filled; i++) {
        mean += accuracies[i];
      }
      mean /= filled;
      boolean holds = mean > rule.minTrainAccuracy() && trainLoss < rule.maxTrainLoss();
      last =
          String.format(
              Locale.ROOT,
              "at step %d (end of epoch %d) the mean training accuracy of the last %d epoch(s) is"
                  + " %.6f (%s %s) and the training loss %.4g (%s %s)",
              step,
              epoch,
              filled,
              mean,
              mean > rule.minTrainAccuracy() ? ">" : "<=",
              rule.minTrainAccuracy(),
              trainLoss,
              trainLoss < rule.maxTrainLoss() ? "<" : ">=",
              rule.maxTrainLoss());
      return holds ? Optional.of("stop rule held: " + last) : Optional.empty();
    }

    /** The last epoch end seen, in words (for a run that reached its step cap). */
    public String last() {
      return last;
    }

    /** The accuracies in the window, oldest first. */
    public double[] state() {
      double[] s = new double[filled];
      for (int i = 0; i < filled; i++) {
        s[i] = accuracies[(next - filled + i + accuracies.length) % accuracies.length];
      }
      return s;
    }

    /** Restores {@link #state()}; a longer state keeps its newest accuracies. */
    public void restore(double[] state) {
      filled = 0;
      next = 0;
      Arrays.fill(accuracies, 0);
      for (int i = Math.max(0, state.length - accuracies.length); i < state.length; i++) {
        accuracies[next] = state[i];
        next = (next + 1) % accuracies.length;
        filled++;
      }
    }
  }
}
