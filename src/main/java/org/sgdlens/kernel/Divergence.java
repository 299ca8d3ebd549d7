package org.sgdlens.kernel;

import java.util.Locale;
import java.util.Optional;

/**
 * What a researcher calls a diverged run, as rules on the numbers a training loop sees:
 *
 * <ul>
 *   <li>a loss that is NaN or infinite;
 *   <li>the mean minibatch loss over the last {@code lossWindow} steps above {@code lossRatio}
 *       times the initial loss (the first minibatch's);
 *   <li>the final training accuracy at chance (the largest class's share plus {@code chanceMargin})
 *       when training lasted longer than the warm-up.
 * </ul>
 *
 * <p>The loss rules are checked at every step on the training thread, so a run that has diverged
 * can stop at once, at the same step in every repetition (runs stay bit-reproducible). docs/lake.md
 * and conf/train.yaml state the defaults.
 */
public final class Divergence {
  public static final double LOSS_RATIO_DEFAULT = 5.0;
  public static final int LOSS_WINDOW_DEFAULT = 20;
  public static final double CHANCE_MARGIN_DEFAULT = 0.02;
  public static final double WARMUP_EPOCHS_DEFAULT = 1.0;

  private Divergence() {}

  /**
   * @param lossRatio a window mean above this multiple of the initial loss is divergence
   * @param lossWindow minibatch losses averaged by the ratio rule
   * @param chanceMargin final training accuracy at most chance + this is divergence
   * @param warmupSteps the accuracy rule applies only to runs longer than this
   */
  public record Rules(double lossRatio, int lossWindow, double chanceMargin, long warmupSteps) {
    public Rules {
      if (!(lossRatio > 1) || Double.isNaN(lossRatio)) {
        throw new IllegalArgumentException(
            "divergence.loss_ratio is "
                + lossRatio
                + "; use a multiple of the initial loss above 1, e.g. "
                + LOSS_RATIO_DEFAULT
                + " (infinity turns the rule off)");
      }
      if (lossWindow < 1) {
        throw new IllegalArgumentException(
            "divergence.loss_window is "
                + lossWindow
                + "; use 1 or more, e.g. "
                + LOSS_WINDOW_DEFAULT);
      }
      if (!(chanceMargin >= 0) || chanceMargin >= 1) {
        throw new IllegalArgumentException(
            "divergence.chance_margin is "
                + chanceMargin
                + "; use a value in [0, 1), e.g. "
                + CHANCE_MARGIN_DEFAULT
                + " (a negative value is not allowed)");
      }
      if (warmupSteps < 0) {
        throw new IllegalArgumentException("the divergence warm-up is " + warmupSteps + " steps");
      }
    }
  }

  /**
   * Watches one run's minibatch losses on the training thread. Its state ({@link #state}) goes into
   * checkpoints, so a resumed run reaches the same verdict at the same step.
   */
  public static final class Monitor {
    private final Rules rules;
    private double initialLoss = Double.NaN;
    private final double[] window;
    private int filled;
    private int next;
    private String reason;
    private long step = -1;

    public Monitor(Rules rules) {
      this.rules = rules;
      this.window = new double[rules.lossWindow()];
    }

    /** Sees the loss of the minibatch of {@code step}; true once the run has diverged. */
    public boolean minibatchLoss(long step, double loss) {
      if (reason != null) {
        return true;
      }
      if (!Double.isFinite(loss)) {
        return diverge(step, "the minibatch loss at step " + step + " is " + loss);
      }
      if (Double.isNaN(initialLoss)) {
        initialLoss = loss;
      }
      window[next] = loss;
      next = (next + 1) % window.length;
      filled = Math.min(window.length, filled + 1);
      if (filled == window.length && Double.isFinite(rules.lossRatio())) {
        double sum = 0;
        for (double v : window) {
          sum += v;
        }
        double mean = sum / window.length;
        if (mean > rules.lossRatio() * initialLoss) {
          return diverge(
              step,
              String.format(
                  Locale.ROOT,
                  "the mean minibatch loss of steps %d-%d is %.4g, %.3g times the initial %.4g"
                      + " (divergence.loss_ratio %s)",
                  step - window.length + 1,
                  step,
                  mean,
                  mean / initialLoss,
                  initialLoss,
                  fmt(rules.lossRatio())));
        }
      }
      return false;
    }

    /** Records a divergence seen elsewhere (a non-finite gradient); the first reason stays. */
    public boolean diverge(long step, String why) {
      if (reason == null) {
        reason = why;
        this.step = step;
      }
      return true;
    }

    public boolean diverged() {
      return reason != null;
    }

    /** Why the run diverged, if it did. */
    public Optional<String> reason() {
      return Optional.ofNullable(reason);
    }

    /** The step at which divergence was seen, or -1. */
    public long step() {
      return step;
    }

    public double initialLoss() {
      return initialLoss;
    }

    /** The state a checkpoint keeps: initial loss, losses in the window (oldest first). */
    public double[] state() {
      double[] s = new double[1 + filled];
      s[0] = initialLoss;
      for (int i = 0; i < filled; i++) {
        s[1 + i] = window[(next - filled + i + window.length) % window.length];
      }
      return s;
    }

    /** Restores {@link #state()}; a state from a longer window keeps its newest losses. */
    public void restore(double[] state) {
      if (state.length == 0) {
        return;
      }
      initialLoss = state[0];
      filled = 0;
      next = 0;
      int from = Math.max(1, state.length - window.length);
      for (int i = from; i < state.length; i++) {
        window[next] = state[i];
        next = (next + 1) % window.length;
        filled++;
      }
    }
  }

  /**
   * The accuracy rule on a run's last metrics: diverged when training lasted longer than the
   * warm-up and ended at chance.
   *
   * @param chance the share of the largest class among the given training labels
   */
  public static Optional<String> atChance(
      Rules rules, long lastStep, double trainAccuracy, double chance) {
    if (lastStep <= rules.warmupSteps() || !(trainAccuracy <= chance + rules.chanceMargin())) {
      return Optional.empty();
    }
    return Optional.of(
        String.format(
            Locale.ROOT,
            "the training accuracy at the last step %d is %.4f, at chance (largest class %.4f +"
                + " divergence.chance_margin %s) after the warm-up of %d steps",
            lastStep,
            trainAccuracy,
            chance,
            fmt(rules.chanceMargin()),
            rules.warmupSteps()));
  }

  private static String fmt(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e9 ? Long.toString((long) v) : Double.toString(v);
  }
}
