package org.sgdlens.lake;

import java.util.Arrays;
import java.util.Optional;

/** A run's status in {@code runs.status}; the row is written last and is the commit marker. */
public enum RunStatus {
  /** Every table of the run is in place: readers see the run. */
  COMMITTED,
  /** Training stopped with an error (or a signal); the message says why. Invisible to readers. */
  FAILED;

  /** The status a stored value names, if it names one. */
  public static Optional<RunStatus> of(String stored) {
    return Arrays.stream(values()).filter(s -> s.name().equals(stored)).findFirst();
  }
}
