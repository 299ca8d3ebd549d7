package org.sgdlens.kernel;

import java.util.ArrayList;
import java.util.List;

/**
 * The generalization-gap decomposition of the activity–weight duality (docs/generalization.md,
 * "Duality") from per-pair sums. For pair {@code k} (a test sample and its nearest training sample
 * of the same class) with dual weights {@code Δw_k}, the per-sample gradient {@code γ_k} of the
 * training sample's loss with respect to the layer, and the layer's Hessian eigenpairs {@code (h_i,
 * p_i)} of the mean training loss, the second-order expansion {@code Δl_k ≈ Σ_i (γ_{k,i} θ_{k,i} +
 * ½ h_i θ_{k,i}²)} with {@code θ_{k,i} = p_iᵀ Δw_k}, {@code γ_{k,i} = p_iᵀ γ_k} is written as
 * {@code Σ_i g_{k,i} θ_{k,i}} with the effective gradient {@code g_{k,i} = γ_{k,i} + ½ h_i
 * θ_{k,i}}; its mean over pairs is exactly {@code Σ_i (μ_{g,i} μ_{w,i} + c_i σ_{g,i} σ_{w,i})} with
 * the pairs' population means, standard deviations and correlation of {@code g_{·,i}} and {@code
 * θ_{·,i}}.
 *
 * <p>The sums are added over disjoint sets of pairs ({@link #add}), so each Spark task sums its
 * pairs and the driver adds the tasks' arrays; {@link #combine} turns them into the statistics.
 */
public final class DualityStats {
  private DualityStats() {}

  static final int COUNT = 0;
  static final int GAP = 1;
  static final int TRAIN_LOSS = 2;
  static final int TEST_LOSS = 3;
  static final int IDENTITY_MAX = 4;
  static final int LOSS_IDENTITY_MAX = 5;
  static final int DUAL_NORM = 6;
  static final int CAPTURED = 7;
  static final int DISTANCE = 8;
  static final int SKIPPED = 9;
  static final int FIRST_ORDER_FULL = 10;
  static final int GLOBAL = 11;

  /**
   * Sums per direction: Σθ, Σθ², Σγ, Σγ², Σγθ, Σ ĝθ (the secant gradient, see {@link #addPair}).
   */
  static final int PER_DIRECTION = 6;

  /** Length of the sums of {@code k} directions. */
  public static int length(int k) {
    return GLOBAL + PER_DIRECTION * k;
  }

  /** Sums of no pairs. */
  public static double[] empty(int k) {
    return new double[length(k)];
  }

  /** Number of directions of a sums array. */
  public static int directions(double[] sums) {
    if (sums.length < GLOBAL || (sums.length - GLOBAL) % PER_DIRECTION != 0) {
      throw new IllegalArgumentException(
          "Sums of " + sums.length + " values are not a duality layout");
    }
    return (sums.length - GLOBAL) / PER_DIRECTION;
  }

  /**
   * Adds one pair.
   *
   * @param basis orthonormal directions {@code p_i}, each of the layer's length
   * @param dw the pair's dual weights
   * @param gradient {@code γ_k}, the per-sample gradient of the training sample's loss at {@code W}
   * @param lossTrain {@code l(x_train; W)}
   * @param lossTest {@code l(x_test; W)}
   * @param identityError {@link DualWeights#identityError} of the pair
   * @param lossIdentityError {@code |l(x_train; W + Δw) − l(x_test; W)|}
   * @param distance the pair's distance in the pairing space
   */
  public static void addPair(
      double[] sums,
      double[][] basis,
      double[] dw,
      double[] gradient,
      double lossTrain,
      double lossTest,
      double identityError,
      double lossIdentityError,
      double distance) {
    int k = directions(sums);
    if (basis.length != k) {
      throw new IllegalArgumentException(
          "Basis of " + basis.length + " directions for sums of " + k);
    }
    if (gradient.length != dw.length) {
      throw new IllegalArgumentException(
          "Gradient of " + gradient.length + " values for dual weights of " + dw.length);
    }
    double gap = lossTest - lossTrain;
    double norm2 = dot(dw, dw);
    sums[COUNT] += 1;
    sums[GAP] += gap;
    sums[TRAIN_LOSS] += lossTrain;
    sums[TEST_LOSS] += lossTest;
    sums[IDENTITY_MAX] = Math.max(sums[IDENTITY_MAX], identityError);
    sums[LOSS_IDENTITY_MAX] = Math.max(sums[LOSS_IDENTITY_MAX], lossIdentityError);
    sums[DUAL_NORM] += Math.sqrt(norm2);
    sums[DISTANCE] += distance;
    sums[FIRST_ORDER_FULL] += dot(gradient, dw);
    double captured = 0;
    for (int i = 0; i < k; i++) {
      double[] p = basis[i];
      if (p.length != dw.length) {
        throw new IllegalArgumentException(
            "Direction " + (i + 1) + " has " + p.length + " values, the layer " + dw.length);
      }
      double theta = dot(p, dw);
      double gamma = dot(p, gradient);
      int at = GLOBAL + PER_DIRECTION * i;
      sums[at] += theta;
      sums[at + 1] += theta * theta;
      sums[at + 2] += gamma;
      sums[at + 3] += gamma * gamma;
      sums[at + 4] += gamma * theta;
      // The authors' secant gradient along the pair's own direction d = Δw/|Δw|:
      // ĝ = (Δl/|Δw|) d, so ĝ_i θ_i = Δl θ_i² / |Δw|².
      double secant = norm2 > 0 ? gap * theta * theta / norm2 : 0;
      sums[at + 5] += secant;
      captured += norm2 > 0 ? theta * theta / norm2 : 0;
    }
    sums[CAPTURED] += captured;
  }

  /** Counts a pair without dual weights (zero training activity). */
  public static void addSkipped(double[] sums) {
    sums[SKIPPED] += 1;
  }

  /** Adds {@code b} into {@code a} (maxima for the error slots) and returns {@code a}. */
  public static double[] add(double[] a, double[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException(
          "Cannot add duality sums of " + a.length + " and " + b.length + " values");
    }
    for (int i = 0; i < a.length; i++) {
      a[i] = i == IDENTITY_MAX || i == LOSS_IDENTITY_MAX ? Math.max(a[i], b[i]) : a[i] + b[i];
    }
    return a;
  }

  /**
   * One eigen-direction's statistics over the pairs (population moments, ddof 0, as the authors).
   *
   * @param index 1-based, eigenvalues descending
   * @param muG mean of the effective gradient {@code g_i = γ_i + ½ h_i θ_i}
   * @param muW mean of the dual weights' projection {@code θ_i}
   * @param c correlation of {@code g_i} and {@code θ_i}; 0 when either has no spread
   * @param contribution {@code μ_g μ_w + c σ_g σ_w}
   * @param firstOrder {@code E[γ_i θ_i]}
   * @param curvatureTerm {@code ½ h_i E[θ_i²] = ½ h_i (μ_w² + σ_w²)}
   * @param sharpnessSpread {@code ½ h_i σ_w²}, the contribution of the spread alone
   * @param contributionSecant {@code E[ĝ_i θ_i]} with the authors' secant gradient
   */
  public record Direction(
      int index,
      double h,
      double muG,
      double muW,
      double sigmaG,
      double sigmaW,
      double c,
      double contribution,
      double firstOrder,
      double curvatureTerm,
      double sharpnessSpread,
      double contributionSecant) {}

  /**
   * The decomposition of a set of pairs.
   *
   * @param measuredGap mean over pairs of {@code l(x_test) − l(x_train)}
   * @param predictedGap {@code Σ_i contribution_i}
   * @param predictedGapSecant {@code Σ_i contributionSecant_i}
   * @param firstOrderGap {@code Σ_i firstOrder_i}
   * @param curvatureGap {@code Σ_i curvatureTerm_i}
   * @param firstOrderFull {@code E[γᵀ Δw]} over the whole layer, every direction
   * @param capturedFraction mean over pairs of {@code Σ_i θ_i² / |Δw|²}, the share of the dual
   *     weights' squared norm inside the directions
   */
  public record Result(
      long pairs,
      long skipped,
      double measuredGap,
      double trainLoss,
      double testLoss,
      double identityErrorMax,
      double lossIdentityErrorMax,
      double meanDualNorm,
      double capturedFraction,
      double meanDistance,
      double firstOrderFull,
      double predictedGap,
      double predictedGapSecant,
      double firstOrderGap,
      double curvatureGap,
      List<Direction> directions) {}

  /**
   * The statistics of the summed pairs along the directions of eigenvalues {@code h} (in the order
   * of the basis the sums were taken with).
   */
  public static Result combine(double[] sums, double[] h) {
    int k = directions(sums);
    if (h.length != k) {
      throw new IllegalArgumentException(
          h.length + " eigenvalues for sums of " + k + " directions");
    }
    double n = sums[COUNT];
    if (n < 1) {
      throw new IllegalArgumentException(
          "No pair has dual weights ("
              + (long) sums[SKIPPED]
              + " skipped for a zero training activity); the decomposition needs at least one");
    }
    List<Direction> out = new ArrayList<>(k);
    double predicted = 0;
    double secantTotal = 0;
    double firstTotal = 0;
    double curvatureTotal = 0;
    for (int i = 0; i < k; i++) {
      int at = GLOBAL + PER_DIRECTION * i;
      double eTheta = sums[at] / n;
      double eTheta2 = sums[at + 1] / n;
      double eGamma = sums[at + 2] / n;
      double eGamma2 = sums[at + 3] / n;
      double eGammaTheta = sums[at + 4] / n;
      double hi = h[i];
      double muW = eTheta;
      double muG = eGamma + 0.5 * hi * eTheta;
      double eG2 = eGamma2 + hi * eGammaTheta + 0.25 * hi * hi * eTheta2;
      double eGTheta = eGammaTheta + 0.5 * hi * eTheta2;
      double sigmaW = Math.sqrt(Math.max(0, eTheta2 - muW * muW));
      double sigmaG = Math.sqrt(Math.max(0, eG2 - muG * muG));
      double cov = eGTheta - muG * muW;
      double c = sigmaG > 0 && sigmaW > 0 ? cov / (sigmaG * sigmaW) : 0;
      double contribution = muG * muW + c * sigmaG * sigmaW;
      double curvature = 0.5 * hi * eTheta2;
      double secant = sums[at + 5] / n;
      out.add(
          new Direction(
              i + 1,
              hi,
              muG,
              muW,
              sigmaG,
              sigmaW,
              c,
              contribution,
              eGammaTheta,
              curvature,
              0.5 * hi * sigmaW * sigmaW,
              secant));
      predicted += contribution;
      secantTotal += secant;
      firstTotal += eGammaTheta;
      curvatureTotal += curvature;
    }
    return new Result(
        (long) n,
        (long) sums[SKIPPED],
        sums[GAP] / n,
        sums[TRAIN_LOSS] / n,
        sums[TEST_LOSS] / n,
        sums[IDENTITY_MAX],
        sums[LOSS_IDENTITY_MAX],
        sums[DUAL_NORM] / n,
        sums[CAPTURED] / n,
        sums[DISTANCE] / n,
        sums[FIRST_ORDER_FULL] / n,
        predicted,
        secantTotal,
        firstTotal,
        curvatureTotal,
        List.copyOf(out));
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }
}
