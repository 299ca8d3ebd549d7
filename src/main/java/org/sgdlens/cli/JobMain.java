package org.sgdlens.cli;

import java.io.PrintStream;
import java.util.Arrays;

/**
 * Runs a job's {@code run(args)} the way parquet-cli does: a bad input becomes one line naming
 * the value and the fix with exit code 1; the full stack trace only with {@code --debug}.
 */
public final class JobMain {
  /** A job body: returns the process exit code. */
  @FunctionalInterface
  public interface Body {
    int run(String[] args) throws Exception;
  }

  private JobMain() {}

  public static int execute(String job, String[] args, Body body, PrintStream err) {
    boolean debug = Arrays.asList(args).contains("--debug");
    String[] rest = Arrays.stream(args).filter(a -> !a.equals("--debug")).toArray(String[]::new);
    try {
      return body.run(rest);
    } catch (IllegalArgumentException | IllegalStateException e) {
      err.println(job + ": " + e.getMessage());
      if (debug) {
        e.printStackTrace(err);
      }
      return 1;
    } catch (Exception e) {
      err.println(job + " failed: " + e);
      if (debug) {
        e.printStackTrace(err);
      } else {
        err.println("(run again with --debug for the stack trace)");
      }
      return 2;
    }
  }

  /** Entry-point helper: {@code System.exit(JobMain.main("train", args, TrainJob::run))}. */
  public static void main(String job, String[] args, Body body) {
    System.exit(execute(job, args, body, System.err));
  }
}
