package org.sgdlens.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How a job's failure reaches the user: one line and an exit code. */
class JobMainTest {
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @AfterEach
  void notShuttingDown() {
    JobMain.shuttingDown(false);
  }

  private int run(JobMain.Body body, String... args) {
    return JobMain.execute("job", args, body, new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String printed() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aBadInputIsOneLineWithExitCodeOneAndAnythingElseExitsTwoWithTheDebugHint() {
    assertThat(
            run(
                a -> {
                  throw new IllegalArgumentException("--lake is empty; give a folder");
                }))
        .isEqualTo(1);
    assertThat(printed()).isEqualTo("job: --lake is empty; give a folder" + System.lineSeparator());
    err.reset();
    assertThat(
            run(
                a -> {
                  throw new java.io.IOException("disk full");
                }))
        .isEqualTo(2);
    assertThat(printed())
        .contains("job failed: java.io.IOException: disk full")
        .contains("--debug")
        .doesNotContain("\tat ");
    err.reset();
    assertThat(
            run(
                a -> {
                  throw new java.io.IOException("disk full");
                },
                "--debug"))
        .isEqualTo(2);
    assertThat(printed()).as("--debug prints the stack trace").contains("\tat ");
  }

  /**
   * During a shutdown the job's error is an effect of Spark and Hadoop closing under it (an empty
   * table, a closed file system): the user is told the job was interrupted instead.
   */
  @Test
  void anErrorWhileShuttingDownIsReportedAsAnInterruption() {
    JobMain.shuttingDown(true);
    assertThat(
            run(
                a -> {
                  throw new IllegalArgumentException(
                      "The lake at x has no committed run to analyse");
                }))
        .isEqualTo(JobMain.INTERRUPTED);
    assertThat(printed())
        .startsWith("job: interrupted (Ctrl-C or a kill)")
        .contains("run the same command again")
        .doesNotContain("no committed run");
  }

  /** The same with a real SIGINT: a process that interrupts itself, then fails. */
  @Test
  void aRealCtrlCIsReportedAsAnInterruption() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                SelfInterrupting.class.getName())
            .redirectErrorStream(true)
            .start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(out)
        .contains("selftest: interrupted (Ctrl-C or a kill)")
        .doesNotContain("no runs table");
    assertThat(p.exitValue()).as(out).isEqualTo(JobMain.INTERRUPTED);
  }

  /**
   * Sends itself SIGINT, waits for the shutdown to begin, then fails as a torn-down job would. A
   * hook that takes its time stands for Spark stopping its context, during which the job's thread
   * still runs.
   */
  static final class SelfInterrupting {
    public static void main(String[] args) {
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    try {
                      Thread.sleep(3000);
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  }));
      JobMain.main(
          "selftest",
          args,
          a -> {
            long pid = ProcessHandle.current().pid();
            new ProcessBuilder("kill", "-INT", Long.toString(pid)).inheritIO().start().waitFor();
            Thread.sleep(1000);
            throw new IllegalArgumentException("The lake has no runs table");
          });
    }
  }
}
