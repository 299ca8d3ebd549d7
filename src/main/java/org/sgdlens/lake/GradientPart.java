package org.sgdlens.lake;

import java.util.Locale;

/**
 * Which samples of an ensemble minibatch a {@code gradients} row sums over ({@code part}): all of
 * them (a run without label noise), or the correctly labelled and the mislabeled ones separately
 * (their sum is the minibatch gradient).
 */
public enum GradientPart {
  ALL,
  CLEAN,
  WRONG;

  /** The value stored in {@code gradients.part}. */
  public String stored() {
    return name().toLowerCase(Locale.ROOT);
  }
}
