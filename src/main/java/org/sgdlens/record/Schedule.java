package org.sgdlens.record;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * When a table is recorded. Exactly one form: {@code every: N} (steps 0, N, 2N, ...), {@code steps:
 * [..]}, {@code logspace: {from, to, count}} (log-spaced steps, deduplicated) or {@code per_epoch:
 * k} (every k epochs, at epoch boundaries). {@code final: true} also records the last step.
 */
public class Schedule {
  public long every = 0;
  public List<Long> steps = new ArrayList<>();
  public LogSpace logspace = null;
  public double perEpoch = 0;

  @com.fasterxml.jackson.annotation.JsonProperty("final")
  public boolean atFinal = false;

  public static final class LogSpace {
    public long from = 1;
    public long to = 1000;
    public int count = 20;
  }

  public static Schedule never() {
    return new Schedule();
  }

  public static Schedule every(long n) {
    Schedule s = new Schedule();
    s.every = n;
    s.atFinal = true;
    return s;
  }

  @JsonIgnore
  public boolean isNever() {
    return every <= 0 && steps.isEmpty() && logspace == null && perEpoch <= 0 && !atFinal;
  }

  /** Validates the schedule, naming the table it belongs to in errors. */
  public void validate(String table) {
    int forms =
        (every > 0 ? 1 : 0)
            + (steps.isEmpty() ? 0 : 1)
            + (logspace != null ? 1 : 0)
            + (perEpoch > 0 ? 1 : 0);
    if (forms > 1) {
      throw new IllegalArgumentException(
          "Schedule of "
              + table
              + " sets more than one of every, steps, logspace, per_epoch;"
              + " keep one");
    }
    if (every < 0 || perEpoch < 0) {
      throw new IllegalArgumentException(
          "Schedule of "
              + table
              + " has a negative interval (every="
              + every
              + ", per_epoch="
              + perEpoch
              + "); use a positive number");
    }
    if (logspace != null
        && (logspace.from < 1 || logspace.to < logspace.from || logspace.count < 1)) {
      throw new IllegalArgumentException(
          "Schedule of "
              + table
              + " has logspace from="
              + logspace.from
              + " to="
              + logspace.to
              + " count="
              + logspace.count
              + "; need 1 <= from <= to and count >= 1");
    }
    for (long s : steps) {
      if (s < 0) {
        throw new IllegalArgumentException(
            "Schedule of " + table + " lists step " + s + "; steps must be >= 0");
      }
    }
  }

  /** Resolves the schedule into the sorted set of steps in 0..lastStep. */
  public TreeSet<Long> resolve(long lastStep, long stepsPerEpoch) {
    TreeSet<Long> out = new TreeSet<>();
    if (every > 0) {
      for (long s = 0; s <= lastStep; s += every) {
        out.add(s);
      }
    }
    for (long s : steps) {
      if (s <= lastStep) {
        out.add(s);
      }
    }
    if (logspace != null) {
      double a = Math.log(logspace.from);
      double b = Math.log(Math.min(logspace.to, Math.max(lastStep, 1)));
      for (int i = 0; i < logspace.count; i++) {
        double t = logspace.count == 1 ? a : a + (b - a) * i / (logspace.count - 1);
        out.add(Math.min(lastStep, Math.round(Math.exp(t))));
      }
    }
    if (perEpoch > 0) {
      double interval = perEpoch * stepsPerEpoch;
      for (double s = 0; Math.round(s) <= lastStep; s += interval) {
        out.add(Math.round(s));
      }
    }
    if (atFinal) {
      out.add(lastStep);
    }
    return out;
  }
}
