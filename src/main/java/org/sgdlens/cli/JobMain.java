package org.sgdlens.cli;

import java.io.PrintStream;
import java.util.Arrays;
import org.sgdlens.record.StopRequest;

/**
 * Runs a job's {@code run(args)} the way parquet-cli does: a bad input becomes one line naming the
 * value and the fix with exit code 1; the full stack trace only with {@code --debug}.
 */
public final class JobMain {
  /** A job body: returns the process exit code. */
  @FunctionalInterface
  public interface Body {
    int run(String[] args) throws Exception;
  }

  /** Exit code of a job stopped by Ctrl-C or a kill, as shells report SIGINT. */
  static final int INTERRUPTED = 130;

  /**
   * Set when the JVM starts shutting down (Ctrl-C, kill). Spark and Hadoop close their sessions and
   * file systems in their own shutdown hooks while the job's thread still runs, so whatever it
   * fails with then (an empty table, a closed file system) says nothing about the input.
   */
  private static volatile boolean shuttingDown;

  static {
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> shuttingDown = true, "sgdlens-shutdown-flag"));
  }

  private JobMain() {}

  /** For tests: behave as during a shutdown. */
  static void shuttingDown(boolean value) {
    shuttingDown = value;
  }

  /**
   * Runs {@code body} on {@code args} and turns what it throws into a message and an exit code.
   * {@code --debug} stays among the arguments: every job declares it ({@link StandardOptions}), and
   * it is read here from the raw arguments so that it also covers an argument the job refused.
   */
  public static int execute(String job, String[] args, Body body, PrintStream err) {
    boolean debug = Arrays.asList(args).contains("--debug");
    try {
      return body.run(args);
    } catch (StopRequest.Stopped e) {
      err.println(job + ": " + e.getMessage());
      if (debug) {
        e.printStackTrace(err);
      }
      return Signals.exitCode(e.signal());
    } catch (Exception e) {
      if (!shuttingDown) {
        return report(job, e, debug, err);
      }
      err.println(
          job
              + ": interrupted (Ctrl-C or a kill) while running; run the same command"
              + " again: committed runs are kept and reused, an unfinished run resumes from its last"
              + " checkpoint");
      if (debug) {
        e.printStackTrace(err);
      }
      return INTERRUPTED;
    }
  }

  /** A bad input is one line naming the value and the fix (exit 1); anything else exits 2. */
  private static int report(String job, Exception e, boolean debug, PrintStream err) {
    java.util.Optional<String> damaged = org.sgdlens.lake.LakeErrors.damaged(e);
    if (damaged.isPresent()) {
      err.println(job + ": " + damaged.get());
      if (debug) {
        e.printStackTrace(err);
      }
      return 1;
    }
    boolean badInput = e instanceof IllegalArgumentException || e instanceof IllegalStateException;
    err.println(badInput ? job + ": " + e.getMessage() : job + " failed: " + e);
    if (debug) {
      e.printStackTrace(err);
    } else if (!badInput) {
      err.println("(run again with --debug for the stack trace)");
    }
    return badInput ? 1 : 2;
  }

  /** Entry-point helper: {@code System.exit(JobMain.main("train", args, TrainJob::run))}. */
  public static void main(String job, String[] args, Body body) {
    Signals.install();
    NativeLinearAlgebra.quiet();
    System.exit(execute(job, args, body, System.err));
  }
}
