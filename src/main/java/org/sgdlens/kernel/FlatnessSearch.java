package org.sgdlens.kernel;

import java.util.Arrays;
import java.util.function.DoubleUnaryOperator;

/**
 * Flatness of a loss profile {@code L(θ) = L(w0 + θ p)}: the width {@code F = θ_r − θ_l} of the
 * interval around 0 where the loss stays below {@code factor · L0}. Each side is bracketed by
 * stepping outward geometrically, then the crossing is bisected to a relative tolerance. A side
 * that stays below the threshold up to the search range is censored: its crossing is unknown (NaN),
 * never replaced by the range. {@link Search#AUTHORS} is the authors' variant of the search (linear
 * steps, bisection from 0, absolute tolerance), for reproducing their convention.
 */
public final class FlatnessSearch {
  private FlatnessSearch() {}

  /** How each side's crossing is searched. */
  public enum Search {
    /**
     * sgdlens: outward steps {@code min(s₀ gᵏ, Θ)}, bisection of the last bracket [below, above] to
     * a relative tolerance, then linear interpolation inside it.
     */
    GEOMETRIC,
    /**
     * The variance–flatness authors' code (PCA-SGD {@code binary_search_loss_bound}): outward steps
     * {@code s₀, 2s₀, 3s₀, …} up to Θ, then bisection of [0, first θ above] to an absolute
     * tolerance on the bracket width; the crossing is the last bracket's midpoint.
     */
    AUTHORS;

    /** Labels, as options and {@code flatness.search} spell them. */
    public static final String GEOMETRIC_LABEL = "geometric";

    public static final String AUTHORS_LABEL = "authors";

    /** The label stored in {@code flatness.search}. */
    public String label() {
      return this == GEOMETRIC ? GEOMETRIC_LABEL : AUTHORS_LABEL;
    }

    public static Search parse(String name) {
      for (Search s : values()) {
        if (s.label().equalsIgnoreCase(name.trim())) {
          return s;
        }
      }
      throw new IllegalArgumentException(
          "Unknown flatness search '" + name + "'; use geometric (the default) or authors");
    }
  }

  /**
   * @param factor threshold factor: the crossing is where the loss reaches {@code factor · L0}
   * @param initialStep first |θ| tried on each side (with {@link Search#AUTHORS} also the linear
   *     increment)
   * @param growth factor between successive outward steps (> 1; {@link Search#GEOMETRIC} only)
   * @param maxTheta search range: |θ| never exceeds it
   * @param tolerance bisection stops when the bracket is narrower than this times |θ| ({@link
   *     Search#GEOMETRIC}) or than this ({@link Search#AUTHORS}, absolute)
   * @param search how the crossings are searched
   */
  public record Settings(
      double factor,
      double initialStep,
      double growth,
      double maxTheta,
      double tolerance,
      Search search) {
    /** The crossing is where the loss has grown by a factor e over L0. */
    public static final double FACTOR_DEFAULT = Math.E;

    public static final double INITIAL_STEP_DEFAULT = 0.01;
    public static final double GROWTH_DEFAULT = 2.0;

    /** A side still below the threshold at |θ| = 100 is censored. */
    public static final double MAX_THETA_DEFAULT = 100.0;

    public static final double RELATIVE_TOLERANCE_DEFAULT = 1e-4;

    public static final Search SEARCH_DEFAULT = Search.GEOMETRIC;

    public Settings {
      require(factor > 1 && Double.isFinite(factor), "factor", factor, "a number > 1, e.g. e");
      require(
          initialStep > 0 && Double.isFinite(initialStep),
          "initial step",
          initialStep,
          "a positive step such as 0.01");
      require(growth > 1 && Double.isFinite(growth), "growth", growth, "a factor > 1 such as 2");
      require(
          maxTheta >= initialStep && Double.isFinite(maxTheta),
          "search range",
          maxTheta,
          "a finite range ≥ the initial step");
      java.util.Objects.requireNonNull(search, "search");
      if (search == Search.GEOMETRIC) {
        require(
            tolerance >= 1e-12 && tolerance < 1,
            "tolerance",
            tolerance,
            "a relative tolerance in [1e-12, 1), e.g. 1e-4");
      } else {
        require(
            tolerance > 0 && tolerance < maxTheta,
            "tolerance",
            tolerance,
            "an absolute tolerance on θ in (0, search range), e.g. 0.01");
      }
    }

    /** The geometric search (the default) with these numbers. */
    public Settings(
        double factor, double initialStep, double growth, double maxTheta, double tolerance) {
      this(factor, initialStep, growth, maxTheta, tolerance, SEARCH_DEFAULT);
    }

    public static Settings defaults() {
      return new Settings(
          FACTOR_DEFAULT,
          INITIAL_STEP_DEFAULT,
          GROWTH_DEFAULT,
          MAX_THETA_DEFAULT,
          RELATIVE_TOLERANCE_DEFAULT,
          SEARCH_DEFAULT);
    }
  }

  /**
   * The outcome on one direction.
   *
   * @param thetaLeft crossing at θ < 0, NaN when censored on the left
   * @param thetaRight crossing at θ > 0, NaN when censored on the right
   * @param thetas every θ evaluated, in evaluation order, starting with 0
   * @param losses the loss at each of {@code thetas}
   */
  public record Profile(
      double l0,
      double target,
      double thetaLeft,
      double thetaRight,
      boolean censoredLeft,
      boolean censoredRight,
      double[] thetas,
      double[] losses)
      implements java.io.Serializable {
    public boolean censored() {
      return censoredLeft || censoredRight;
    }

    /** {@code θ_r − θ_l}, NaN when either side is censored. */
    public double flatness() {
      return censored() ? Double.NaN : thetaRight - thetaLeft;
    }

    /** Loss evaluations made, including L0. */
    public int evaluations() {
      return thetas.length;
    }

    /** "none", "left", "right" or "both". */
    public String censoredSide() {
      if (censoredLeft && censoredRight) {
        return "both";
      }
      return censoredLeft ? "left" : censoredRight ? "right" : "none";
    }
  }

  /**
   * Searches both crossings of a profile.
   *
   * @param profile θ ↦ L(w0 + θ p); a non-finite value counts as above the threshold (diverged)
   * @param l0 {@code L(w0)}, positive and finite
   */
  public static Profile search(DoubleUnaryOperator profile, double l0, Settings settings) {
    if (!(l0 > 0) || !Double.isFinite(l0)) {
      throw new IllegalArgumentException(
          "L0 = "
              + l0
              + ": flatness needs a positive finite loss at w0 (the threshold is factor·L0)");
    }
    double target = settings.factor() * l0;
    Samples samples = new Samples();
    samples.add(0.0, l0);
    boolean authors = settings.search() == Search.AUTHORS;
    double right =
        authors
            ? authorsCrossing(profile, target, +1, settings, samples)
            : crossing(profile, l0, target, +1, settings, samples);
    double left =
        authors
            ? authorsCrossing(profile, target, -1, settings, samples)
            : crossing(profile, l0, target, -1, settings, samples);
    return new Profile(
        l0,
        target,
        left,
        right,
        Double.isNaN(left),
        Double.isNaN(right),
        samples.thetas(),
        samples.losses());
  }

  /** Builds the profile θ ↦ L(w0 + θ p) of an oracle, reusing one weight buffer. */
  public static DoubleUnaryOperator along(LossOracle oracle, float[] origin, float[] direction) {
    if (origin.length != direction.length) {
      throw new IllegalArgumentException(
          "Direction has "
              + direction.length
              + " values but the model records "
              + origin.length
              + "; the PCA and the model must come from the same run");
    }
    float[] w = new float[origin.length];
    return theta -> {
      for (int k = 0; k < w.length; k++) {
        w[k] = (float) (origin[k] + theta * direction[k]);
      }
      return oracle.loss(w);
    };
  }

  private static double crossing(
      DoubleUnaryOperator profile,
      double l0,
      double target,
      int side,
      Settings s,
      Samples samples) {
    double below = 0.0;
    double belowLoss = l0;
    double step = s.initialStep();
    while (true) {
      double theta = side * Math.min(step, s.maxTheta());
      double loss = profile.applyAsDouble(theta);
      samples.add(theta, loss);
      if (reached(loss, target)) {
        return bisect(profile, target, below, belowLoss, theta, loss, s, samples);
      }
      below = theta;
      belowLoss = loss;
      if (step >= s.maxTheta()) {
        return Double.NaN;
      }
      step *= s.growth();
    }
  }

  /**
   * {@link Search#AUTHORS}: linear outward steps, then bisection of [0, first θ above the
   * threshold] to an absolute width, the midpoint of the last bracket as the crossing. NaN
   * (censored) when no step up to the range reaches the threshold (the authors' code returns the
   * step count times the step as the whole flatness instead).
   */
  private static double authorsCrossing(
      DoubleUnaryOperator profile, double target, int side, Settings s, Samples samples) {
    double above = Double.NaN;
    for (long k = 1; ; k++) {
      double theta = Math.min(k * s.initialStep(), s.maxTheta());
      double loss = profile.applyAsDouble(side * theta);
      samples.add(side * theta, loss);
      if (reached(loss, target)) {
        above = theta;
        break;
      }
      if (theta >= s.maxTheta()) {
        return Double.NaN;
      }
    }
    double below = 0;
    while (above - below >= s.tolerance()) {
      double mid = 0.5 * (below + above);
      double loss = profile.applyAsDouble(side * mid);
      samples.add(side * mid, loss);
      if (reached(loss, target)) {
        above = mid;
      } else {
        below = mid;
      }
    }
    return side * 0.5 * (below + above);
  }

  private static double bisect(
      DoubleUnaryOperator profile,
      double target,
      double below,
      double belowLoss,
      double above,
      double aboveLoss,
      Settings s,
      Samples samples) {
    while (Math.abs(above - below) > s.tolerance() * Math.abs(above)) {
      double mid = 0.5 * (below + above);
      double loss = profile.applyAsDouble(mid);
      samples.add(mid, loss);
      if (reached(loss, target)) {
        above = mid;
        aboveLoss = loss;
      } else {
        below = mid;
        belowLoss = loss;
      }
    }
    // Final linear interpolation inside the tolerance-wide bracket (midpoint if the loss diverged).
    if (Double.isFinite(aboveLoss) && aboveLoss > belowLoss) {
      return below + (target - belowLoss) / (aboveLoss - belowLoss) * (above - below);
    }
    return 0.5 * (below + above);
  }

  private static boolean reached(double loss, double target) {
    return !(loss < target);
  }

  private static void require(boolean ok, String what, double value, String fix) {
    if (!ok) {
      throw new IllegalArgumentException(
          "Flatness search " + what + " is " + value + "; give " + fix);
    }
  }

  private static final class Samples {
    private double[] thetas = new double[32];
    private double[] losses = new double[32];
    private int size;

    void add(double theta, double loss) {
      if (size == thetas.length) {
        thetas = Arrays.copyOf(thetas, size * 2);
        losses = Arrays.copyOf(losses, size * 2);
      }
      thetas[size] = theta;
      losses[size] = loss;
      size++;
    }

    double[] thetas() {
      return Arrays.copyOf(thetas, size);
    }

    double[] losses() {
      return Arrays.copyOf(losses, size);
    }
  }
}
