package org.sgdlens.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sweep and nightly entry points without Spark: usage, sweep lookup, the lock. */
class SweepCliTest {
  @TempDir Path dir;

  @Test
  void helpPrintsUsage() {
    PrintStream stdout = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      assertThat(SweepJob.run(new String[] {"--help"})).isZero();
      assertThat(NightlyJob.run(new String[] {"--help"})).isZero();
    } finally {
      System.setOut(stdout);
    }
    assertThat(buf.toString(StandardCharsets.UTF_8))
        .contains("Usage: jobs/sweep")
        .contains("Usage: jobs/nightly")
        .contains("--retries")
        .contains("--state-dir");
  }

  @Test
  void unknownSweepNamesTheLookup() {
    assertThatThrownBy(() -> SweepJob.run(new String[] {"--sweep", "no-such-sweep"}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("conf/sweeps/no-such-sweep.yaml");
  }

  @Test
  void nightlyExitsWithThreeWhileAnotherNightHoldsTheLock() throws Exception {
    Path sweep = dir.resolve("s.yaml");
    Files.writeString(sweep, "name: s\nbase: {dataset.name: synthetic}\n");
    Path lake = dir.resolve("lake");
    Path lock = lake.resolve("_nightly/s.lock");
    Files.createDirectories(lock.getParent());
    PrintStream stderr = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try (FileChannel ch =
            FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock held = ch.lock()) {
      Files.writeString(lock, "pid 777 since 2026-11-27T02:00:00Z\n");
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int code =
          NightlyJob.run(
              new String[] {
                "--sweep", sweep.toString(), "--lake", lake.toString(), "--night", "2026-11-27"
              });
      assertThat(code).isEqualTo(3);
    } finally {
      System.setErr(stderr);
    }
    assertThat(err.toString(StandardCharsets.UTF_8)).contains(lock.toString()).contains("pid 777");
    assertThat(lake.resolve("runs")).doesNotExist();
  }
}
