package org.sgdlens.cli;

import java.util.Map;
import org.sgdlens.record.StopRequest;
import sun.misc.Signal;

/**
 * SIGTERM, SIGINT and SIGHUP during training stop the run cleanly: the training loop ends at its
 * next step, the run is marked FAILED with the signal in {@code runs.message}, and the job exits
 * with 128 + the signal's number after saying how to resume. Outside training (a Spark stage, the
 * commit) a signal ends the JVM as it would by default. A second signal ends it at once.
 */
final class Signals {
  /** Exit codes as shells report a process ended by the signal. */
  static final Map<String, Integer> EXIT_CODES = Map.of("HUP", 129, "INT", 130, "TERM", 143);

  private static volatile boolean installed;

  private Signals() {}

  static synchronized void install() {
    if (installed) {
      return;
    }
    installed = true;
    for (String name : EXIT_CODES.keySet()) {
      try {
        Signal.handle(new Signal(name), Signals::handle);
      } catch (IllegalArgumentException | UnsupportedOperationException e) {
        // A JVM started with -Xrs, or a platform without this signal: keep the default.
      }
    }
  }

  private static void handle(Signal signal) {
    String name = "SIG" + signal.getName();
    boolean again = StopRequest.requested() != null;
    if (!again && StopRequest.request(name)) {
      return; // the training loop stops at its next step and the job exits with the code below
    }
    int code = EXIT_CODES.getOrDefault(signal.getName(), 128 + signal.getNumber());
    // System.exit from a fresh thread: the handler thread must not wait for the shutdown hooks.
    new Thread(() -> System.exit(code), "sgdlens-signal-exit").start();
  }

  /** The exit code of a job stopped by {@code signalName} (e.g. SIGTERM). */
  static int exitCode(String signalName) {
    return EXIT_CODES.getOrDefault(signalName.replaceFirst("^SIG", ""), JobMain.INTERRUPTED);
  }
}
