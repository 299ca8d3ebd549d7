package org.sgdlens.kernel;

/**
 * Operational phase-boundary rules (docs/science.md section 2) on per-step series indexed like the
 * recorded steps; NaN marks a step where a series has no value. Every rule returns the index of the
 * first step of the later phase, or -1 when the boundary is not reached.
 *
 * <p>Ground truth, with label noise: I -&gt; II when the test error has made {@code testDrop} of
 * its total drop (first value to minimum); memorisation progress m = (f_W - f_W(t1)) / (1 -
 * f_W(t1)); II -&gt; III at m &gt;= {@code memorizeStart}, III -&gt; IV at m &gt;= {@code
 * memorizeEnd}.
 *
 * <p>Label free, with label noise: I -&gt; II when the mixture separation D of log losses first
 * reaches {@code separationFraction} of its median over the bimodal steps (D &gt;= {@code
 * minSeparation}, the first recorded step excluded; the run counts as noisy only if there is such a
 * step). The samples above that step's mixture threshold are the suspects (a label-free stand-in
 * for the mislabeled set); with s(t) the fraction of suspects predicted as their given label,
 * progress m = (s - s(t1)) / (1 - s(t1)) against the same two memorisation thresholds.
 *
 * <p>Without label noise, fast -&gt; exploration: ground truth when the test error has made {@code
 * testDrop} of its drop; label free when the alignment R, after its maximum, first falls to {@code
 * alignmentDrop} of that maximum (the train loss making {@code testDrop} of its drop when R is
 * missing).
 */
public final class PhaseRules {
  /**
   * @param testDrop fraction of the total test-error (or train-loss) drop that ends fast learning
   * @param memorizeStart memorisation progress that starts phase III
   * @param memorizeEnd memorisation progress that starts phase IV
   * @param separationFraction fraction of the typical (median bimodal) loss separation that starts
   *     phase II
   * @param minSeparation Ashman D the loss distribution must reach to count as two populations
   * @param alignmentDrop fraction of the maximum alignment below which exploration starts
   */
  public record Thresholds(
      double testDrop,
      double memorizeStart,
      double memorizeEnd,
      double separationFraction,
      double minSeparation,
      double alignmentDrop) {
    public static final double TEST_DROP_DEFAULT = 0.9;
    public static final double MEMORIZE_START_DEFAULT = 0.1;
    public static final double MEMORIZE_END_DEFAULT = 0.9;
    public static final double SEPARATION_FRACTION_DEFAULT = 0.9;

    /** Ashman D = 2: the usual threshold for two clearly separated components. */
    public static final double MIN_SEPARATION_DEFAULT = 2.0;

    public static final double ALIGNMENT_DROP_DEFAULT = 0.2;

    public static final Thresholds DEFAULTS =
        new Thresholds(
            TEST_DROP_DEFAULT,
            MEMORIZE_START_DEFAULT,
            MEMORIZE_END_DEFAULT,
            SEPARATION_FRACTION_DEFAULT,
            MIN_SEPARATION_DEFAULT,
            ALIGNMENT_DROP_DEFAULT);

    public Thresholds {
      requireFraction("testDrop", testDrop);
      requireFraction("memorizeStart", memorizeStart);
      requireFraction("memorizeEnd", memorizeEnd);
      requireFraction("separationFraction", separationFraction);
      requireFraction("alignmentDrop", alignmentDrop);
      if (!(memorizeEnd > memorizeStart)) {
        throw new IllegalArgumentException(
            "memorize-end "
                + memorizeEnd
                + " must exceed memorize-start "
                + memorizeStart
                + "; e.g. 0.1 and 0.9");
      }
      if (!(minSeparation >= 0)) {
        throw new IllegalArgumentException(
            "min-separation is " + minSeparation + "; give a non-negative Ashman D such as 2");
      }
    }

    private static void requireFraction(String name, double v) {
      if (!(v > 0 && v < 1)) {
        throw new IllegalArgumentException(
            name + " is " + v + "; it must lie strictly between 0 and 1");
      }
    }
  }

  private PhaseRules() {}

  /** First index where y has made {@code fraction} of its drop from its first value to its min. */
  public static int firstFractionOfDrop(double[] y, double fraction) {
    int first = firstFinite(y, 0);
    if (first < 0) {
      return -1;
    }
    double min = Double.POSITIVE_INFINITY;
    for (double v : y) {
      if (!Double.isNaN(v)) {
        min = Math.min(min, v);
      }
    }
    double drop = y[first] - min;
    if (!(drop > 0)) {
      return -1;
    }
    for (int i = first; i < y.length; i++) {
      if (!Double.isNaN(y[i]) && y[first] - y[i] >= fraction * drop) {
        return i;
      }
    }
    return -1;
  }

  /** First index where y reaches {@code fraction} of its maximum; -1 if max &lt; floor. */
  public static int firstFractionOfMax(double[] y, double fraction, double floor) {
    double max = max(y);
    if (!(max >= floor) || !(max > 0)) {
      return -1;
    }
    for (int i = 0; i < y.length; i++) {
      if (!Double.isNaN(y[i]) && y[i] >= fraction * max) {
        return i;
      }
    }
    return -1;
  }

  /** After the maximum of y, the first index where y has fallen to {@code fraction} of it. */
  public static int firstFallBelowFractionOfMax(double[] y, double fraction) {
    int argmax = -1;
    for (int i = 0; i < y.length; i++) {
      if (!Double.isNaN(y[i]) && (argmax < 0 || y[i] > y[argmax])) {
        argmax = i;
      }
    }
    if (argmax < 0 || !(y[argmax] > 0)) {
      return -1;
    }
    for (int i = argmax + 1; i < y.length; i++) {
      if (!Double.isNaN(y[i]) && y[i] <= fraction * y[argmax]) {
        return i;
      }
    }
    return -1;
  }

  /** Ground-truth boundaries I-&gt;II, II-&gt;III, III-&gt;IV from test error and f_W. */
  public static int[] groundTruthWithNoise(
      double[] testError, double[] mislabeledFit, Thresholds t) {
    int b1 = firstFractionOfDrop(testError, t.testDrop());
    if (b1 < 0) {
      return new int[] {-1, -1, -1};
    }
    return memorisationFrom(b1, mislabeledFit, t);
  }

  /** Progress (fit - fit(t1)) / (1 - fit(t1)) against the two memorisation thresholds. */
  private static int[] memorisationFrom(int b1, double[] fit, Thresholds t) {
    int ref = firstFinite(fit, b1);
    if (ref < 0 || !(fit[ref] < 1)) {
      return new int[] {b1, -1, -1};
    }
    double base = fit[ref];
    double[] progress = new double[fit.length];
    for (int i = 0; i < progress.length; i++) {
      progress[i] = (fit[i] - base) / (1 - base);
    }
    return memorisation(progress, b1, t);
  }

  /**
   * A step is bimodal only if the high-loss component weighs between this and one half: a tiny
   * component is noise, and mislabeled samples are assumed a minority (a majority high component is
   * the not-yet-learned clean bulk early in training).
   */
  public static final double MIN_COMPONENT_WEIGHT = 0.02;

  /**
   * Label-free I-&gt;II: the first step where the mixture separation D of log losses reaches {@code
   * separationFraction} of its typical level, the median of D over the bimodal steps (D &gt;=
   * {@code minSeparation}, high-loss weight in [{@link #MIN_COMPONENT_WEIGHT}, 1/2], the first
   * recorded step excluded). The median, not the maximum, because D of a small late component is
   * noisy. -1 when no step is bimodal (the run then reads as noise-free).
   *
   * @param highWeight weight of the high-loss component per step (NaN where unknown)
   */
  public static int labelFreeSeparationOnset(
      double[] separation, double[] highWeight, Thresholds t) {
    double[] bimodal = new double[separation.length];
    java.util.Arrays.fill(bimodal, Double.NaN);
    int count = 0;
    // The first recorded step is the initialisation: it never starts phase II.
    for (int i = 1; i < separation.length; i++) {
      boolean ok = bimodal(separation[i], highWeight[i], t);
      bimodal[i] = ok ? separation[i] : Double.NaN;
      if (ok) {
        count++;
      }
    }
    if (count == 0) {
      return -1;
    }
    double[] values = new double[count];
    int k = 0;
    for (double v : bimodal) {
      if (!Double.isNaN(v)) {
        values[k++] = v;
      }
    }
    double typical = Quantiles.of(values, 0.5)[0];
    for (int i = 0; i < bimodal.length; i++) {
      if (!Double.isNaN(bimodal[i]) && bimodal[i] >= t.separationFraction() * typical) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Label-free estimate of t_sep: among the bimodal steps (as in {@link #labelFreeSeparationOnset})
   * whose high-loss weight is still at least (1 - {@code memorizeStart}) of its maximum
   * (memorisation has not begun shrinking the mislabeled-looking population), the step of largest
   * separation D; -1 when no step is bimodal.
   */
  public static int labelFreeSeparationPeak(
      double[] separation, double[] highWeight, Thresholds t) {
    double maxWeight = Double.NaN;
    for (int i = 1; i < separation.length; i++) {
      if (bimodal(separation[i], highWeight[i], t)
          && (Double.isNaN(maxWeight) || highWeight[i] > maxWeight)) {
        maxWeight = highWeight[i];
      }
    }
    int best = -1;
    for (int i = 1; i < separation.length; i++) {
      if (bimodal(separation[i], highWeight[i], t)
          && highWeight[i] >= (1 - t.memorizeStart()) * maxWeight
          && (best < 0 || separation[i] > separation[best])) {
        best = i;
      }
    }
    return best;
  }

  private static boolean bimodal(double separation, double highWeight, Thresholds t) {
    return separation >= t.minSeparation()
        && highWeight >= MIN_COMPONENT_WEIGHT
        && highWeight <= 0.5;
  }

  /**
   * Label-free II-&gt;III and III-&gt;IV given the I-&gt;II index and the suspects' fit: the
   * fraction of the samples that were above the mixture threshold at the onset (the label-free
   * stand-in for the mislabeled set) that the network predicts as their given label. Progress and
   * thresholds as for f_W in {@link #groundTruthWithNoise}.
   *
   * @return {b1, b2, b3}
   */
  public static int[] labelFreeWithNoise(int onset, double[] suspectFit, Thresholds t) {
    if (onset < 0) {
      return new int[] {-1, -1, -1};
    }
    return memorisationFrom(onset, suspectFit, t);
  }

  /** Ground-truth fast -&gt; exploration without label noise. */
  public static int groundTruthExploration(double[] testError, Thresholds t) {
    return firstFractionOfDrop(testError, t.testDrop());
  }

  /** Label-free fast -&gt; exploration: alignment collapse, else the train-loss drop. */
  public static int labelFreeExploration(double[] alignment, double[] trainLoss, Thresholds t) {
    if (firstFinite(alignment, 0) >= 0) {
      return firstFallBelowFractionOfMax(alignment, t.alignmentDrop());
    }
    return firstFractionOfDrop(trainLoss, t.testDrop());
  }

  /**
   * Consecutive phases from boundary indices: row k is {startIndex, endIndex} (inclusive) of phase
   * k; phases after the first unreached (-1) or out-of-order boundary are left out.
   */
  public static int[][] segments(int steps, int[] boundaries) {
    java.util.List<int[]> out = new java.util.ArrayList<>();
    if (steps == 0) {
      return new int[0][];
    }
    int start = 0;
    for (int b : boundaries) {
      if (b <= start || b >= steps) {
        break;
      }
      out.add(new int[] {start, b - 1});
      start = b;
    }
    out.add(new int[] {start, steps - 1});
    return out.toArray(new int[0][]);
  }

  private static int[] memorisation(double[] progress, int b1, Thresholds t) {
    int b2 = firstAtLeast(progress, b1 + 1, t.memorizeStart());
    int b3 = b2 < 0 ? -1 : firstAtLeast(progress, b2 + 1, t.memorizeEnd());
    return new int[] {b1, b2, b3};
  }

  private static int firstAtLeast(double[] y, int from, double level) {
    for (int i = Math.max(0, from); i < y.length; i++) {
      if (!Double.isNaN(y[i]) && y[i] >= level) {
        return i;
      }
    }
    return -1;
  }

  private static int firstFinite(double[] y, int from) {
    for (int i = Math.max(0, from); i < y.length; i++) {
      if (!Double.isNaN(y[i])) {
        return i;
      }
    }
    return -1;
  }

  private static double max(double[] y) {
    double max = Double.NaN;
    for (double v : y) {
      if (!Double.isNaN(v) && (Double.isNaN(max) || v > max)) {
        max = v;
      }
    }
    return max;
  }
}
