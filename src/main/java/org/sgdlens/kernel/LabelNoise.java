package org.sgdlens.kernel;

import java.util.SplittableRandom;

/**
 * Label-noise injection following the authors' protocol (docs/science.md, "Label noise"): a seeded
 * choice of exactly round(rho N) samples, their labels permuted among themselves, and any label
 * that still equals the true one shifted by a random non-zero offset modulo the class count, so
 * every corrupted label is wrong.
 */
public final class LabelNoise {
  private LabelNoise() {}

  /** Number of samples that get a wrong label for a noise fraction rho of n samples. */
  public static int corruptedCount(int n, double rho) {
    checkFraction(rho);
    return (int) Math.round(rho * n);
  }

  /**
   * Symmetric noise: returns the given labels; {@code trueLabels} is not modified.
   *
   * @param classes number of classes C (labels in 0..C-1)
   */
  public static int[] symmetric(int[] trueLabels, int classes, double rho, long seed) {
    checkClasses(classes);
    int n = trueLabels.length;
    int k = corruptedCount(n, rho);
    SplittableRandom random = new SplittableRandom(seed);
    int[] chosen = chooseIndices(n, k, random);
    int[] permuted = new int[k];
    for (int i = 0; i < k; i++) {
      permuted[i] = trueLabels[chosen[i]];
    }
    shuffle(permuted, random);
    int[] given = trueLabels.clone();
    for (int i = 0; i < k; i++) {
      int idx = chosen[i];
      int label = permuted[i];
      if (label == trueLabels[idx]) {
        label = (label + 1 + random.nextInt(classes - 1)) % classes;
      }
      given[idx] = label;
    }
    return given;
  }

  /**
   * Asymmetric (class-pair) noise: a seeded choice of round(rho N) samples whose label y becomes
   * {@code target[y]}; every target must differ from its class.
   */
  public static int[] asymmetric(int[] trueLabels, int[] target, double rho, long seed) {
    checkClasses(target.length);
    for (int c = 0; c < target.length; c++) {
      if (target[c] == c || target[c] < 0 || target[c] >= target.length) {
        throw new IllegalArgumentException(
            "Class pair "
                + c
                + "->"
                + target[c]
                + " does not change the label or is out of range;"
                + " every class must map to another class in 0.."
                + (target.length - 1));
      }
    }
    int n = trueLabels.length;
    int k = corruptedCount(n, rho);
    int[] chosen = chooseIndices(n, k, new SplittableRandom(seed));
    int[] given = trueLabels.clone();
    for (int i = 0; i < k; i++) {
      given[chosen[i]] = target[trueLabels[chosen[i]]];
    }
    return given;
  }

  /** The default class pairs: class c becomes (c + 1) mod C. */
  public static int[] shiftPairs(int classes) {
    int[] target = new int[classes];
    for (int c = 0; c < classes; c++) {
      target[c] = (c + 1) % classes;
    }
    return target;
  }

  private static int[] chooseIndices(int n, int k, SplittableRandom random) {
    int[] all = new int[n];
    for (int i = 0; i < n; i++) {
      all[i] = i;
    }
    // Partial Fisher-Yates: the first k entries are a uniform k-subset.
    for (int i = 0; i < k; i++) {
      int j = i + random.nextInt(n - i);
      int t = all[i];
      all[i] = all[j];
      all[j] = t;
    }
    int[] chosen = new int[k];
    System.arraycopy(all, 0, chosen, 0, k);
    return chosen;
  }

  /** Seeded Fisher-Yates shuffle in place. */
  public static void shuffle(int[] values, SplittableRandom random) {
    for (int i = values.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = values[i];
      values[i] = values[j];
      values[j] = t;
    }
  }

  private static void checkFraction(double rho) {
    if (!(rho >= 0 && rho < 1)) {
      throw new IllegalArgumentException(
          "Noise fraction " + rho + " is outside [0, 1); give e.g. --noise 0.2");
    }
  }

  private static void checkClasses(int classes) {
    if (classes < 2) {
      throw new IllegalArgumentException("Label noise needs at least 2 classes, got " + classes);
    }
  }
}
