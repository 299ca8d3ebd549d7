package org.sgdlens.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sgdlens.lake.Lake;
import org.sgdlens.record.RunConfig;
import org.sgdlens.record.TrainRun;

/**
 * A real SIGTERM to a training job: the run is marked FAILED with the signal, the job says how to
 * resume and exits 143, and the rerun resumes from the checkpoint.
 */
class SignalStopTest {
  @TempDir Path dir;

  private List<String> args() {
    return List.of(
        "--lake",
        dir.resolve("lake").toString(),
        "--run-id",
        "sig",
        "--dataset",
        "synthetic",
        "--steps",
        "4000",
        "--quiet",
        "--set",
        "checkpoint_every=200",
        "--set",
        "record.sample_losses.every=20",
        "--set",
        "record.metrics.every=50");
  }

  private boolean hasCheckpoint() throws Exception {
    Path dir = this.dir.resolve("lake/_staging/run_id=sig/_checkpoint");
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.anyMatch(p -> p.getFileName().toString().startsWith("state-"));
    }
  }

  @Test
  void sigtermMarksTheRunFailedSaysHowToResumeAndExits143() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command =
        new java.util.ArrayList<>(
            List.of(
                java,
                "-Dai.djl.offline=true",
                "-cp",
                System.getProperty("java.class.path"),
                TrainJob.class.getName()));
    command.addAll(args());
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!hasCheckpoint() && p.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(p.isAlive()).as("still training after its first checkpoint").isTrue();
    new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("stopped within a minute").isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isEqualTo(143);
    assertThat(out)
        .contains("train: Run sig stopped by SIGTERM at step")
        .contains("is marked FAILED")
        .contains("run the same command again to resume it from its checkpoint at step");

    Lake lake = Lake.open(dir.resolve("lake").toString());
    Map<String, Object> row = lake.runRow("sig").orElseThrow();
    assertThat(row.get("status")).isEqualTo("FAILED");
    assertThat((String) row.get("message")).contains("stopped by SIGTERM");

    RunConfig config = TrainJob.resolve(args().toArray(String[]::new), Map.of());
    TrainRun.Outcome resumed = TrainRun.execute(lake, config, false, null);
    assertThat(resumed.resumed()).isTrue();
    assertThat(resumed.status()).isEqualTo("COMMITTED");
  }
}
