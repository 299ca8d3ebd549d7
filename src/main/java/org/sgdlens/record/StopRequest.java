package org.sgdlens.record;

/**
 * A request to stop training, from a signal handler of the entry point (SIGTERM, SIGINT, SIGHUP).
 * The training loop checks it before every step and ends with {@link Stopped}, so the run is marked
 * FAILED with the signal in {@code runs.message} and can resume from its checkpoint.
 */
public final class StopRequest {
  private static volatile String signal;
  private static volatile int active;

  private StopRequest() {}

  /** Asks every training loop of this JVM to stop; returns false when none is running. */
  public static synchronized boolean request(String signalName) {
    if (signal == null) {
      signal = signalName;
    }
    return active > 0;
  }

  /** The signal asked for, or null. */
  public static String requested() {
    return signal;
  }

  /** For tests and for a job that runs again in the same JVM. */
  public static synchronized void clear() {
    signal = null;
  }

  static synchronized void enter() {
    active++;
  }

  static synchronized void leave() {
    active--;
  }

  /** Throws {@link Stopped} when a stop was asked for. */
  static void check(long step, long lastCheckpoint) {
    String s = signal;
    if (s != null) {
      throw new Stopped(s, step, lastCheckpoint);
    }
  }

  /** Training stopped at a signal's request. */
  public static final class Stopped extends IllegalStateException {
    private final String signal;
    private final long step;
    private final long checkpoint;

    Stopped(String signal, long step, long checkpoint) {
      this(signal, step, checkpoint, "stopped by " + signal + " at step " + step);
    }

    Stopped(String signal, long step, long checkpoint, String message) {
      super(message);
      this.signal = signal;
      this.step = step;
      this.checkpoint = checkpoint;
    }

    public String signal() {
      return signal;
    }

    public long step() {
      return step;
    }

    /** The step a rerun resumes from: the last checkpoint, or 0. */
    public long checkpoint() {
      return checkpoint;
    }
  }
}
