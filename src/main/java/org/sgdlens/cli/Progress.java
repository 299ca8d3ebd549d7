package org.sgdlens.cli;

import java.util.Locale;
import java.util.function.LongConsumer;
import org.sgdlens.record.RunConfig;

/** Progress lines for long work: done/total, rate and ETA, at most one line every few seconds. */
public final class Progress {
  private final String label;
  private final boolean quiet;
  private final long start = System.nanoTime();
  private long lastPrint = System.nanoTime();
  private long total;
  private long last;

  public Progress(String label, boolean quiet) {
    this.label = label;
    this.quiet = quiet;
  }

  public LongConsumer forSteps(RunConfig config) {
    total = config.sgd.steps;
    return this::update;
  }

  public void setTotal(long total) {
    this.total = total;
  }

  public void update(long done) {
    last = done;
    long now = System.nanoTime();
    if (quiet || done < 2 || now - lastPrint < 5_000_000_000L) {
      return;
    }
    lastPrint = now;
    double seconds = (now - start) / 1e9;
    double rate = done / Math.max(seconds, 1e-9);
    String of = total > 0 ? "/" + total : "";
    String eta =
        total > 0
            ? String.format(Locale.ROOT, ", ETA %.0f s", (total - done) / Math.max(rate, 1e-9))
            : "";
    System.out.printf(Locale.ROOT, "[%s] step %d%s, %.0f steps/s%s%n", label, done, of, rate, eta);
  }

  /** The last line: steps done, wall time and rate (nothing when quiet or nothing was done). */
  public void done() {
    if (quiet || last == 0) {
      return;
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    String of = total > 0 ? "/" + total : "";
    System.out.printf(
        Locale.ROOT,
        "[%s] step %d%s done in %.1f s, %.0f steps/s%n",
        label,
        last,
        of,
        seconds,
        last / Math.max(seconds, 1e-9));
  }
}
