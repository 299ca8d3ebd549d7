package org.sgdlens.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sgdlens.lake.CrashPoint;
import org.sgdlens.lake.CrashingFileSystem;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.LakeErrors;
import org.sgdlens.lake.LakeReader;
import org.sgdlens.lake.RunDump;
import org.sgdlens.lake.RunIds;
import org.sgdlens.lake.Tables;

/** Two writers, hostile run ids, a full disk: refused or reported clearly, never lost data. */
class RunFaultsTest {
  @TempDir Path dir;

  @AfterEach
  void revive() {
    CrashingFileSystem.revive();
  }

  private static List<String> files(Path root) throws Exception {
    try (Stream<Path> all = Files.walk(root)) {
      return all.filter(Files::isRegularFile)
          .map(p -> root.relativize(p).toString())
          .sorted()
          .toList();
    }
  }

  @Test
  void aSecondWriterOfTheSameRunIdIsRefusedBeforeWritingAnything() throws Exception {
    Lake reference = Lake.open(dir.resolve("reference").toString());
    TrainRun.execute(reference, TestRuns.synthetic("r"), false, null);

    Path root = dir.resolve("lake");
    Lake lake = Lake.open(root.toString());
    CountDownLatch firstHoldsTheLease = new CountDownLatch(1);
    CountDownLatch secondTried = new CountDownLatch(1);
    Lake.Hook waitForTheSecond =
        p -> {
          if (p == CrashPoint.LEASE_ACQUIRED) {
            firstHoldsTheLease.countDown();
            try {
              secondTried.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        };
    CompletableFuture<TrainRun.Outcome> first =
        CompletableFuture.supplyAsync(
            () ->
                TrainRun.execute(
                    lake.withHook(waitForTheSecond), TestRuns.synthetic("r"), false, null));
    assertThat(firstHoldsTheLease.await(30, TimeUnit.SECONDS)).isTrue();
    List<String> before = files(root);
    Throwable second =
        catchThrowable(() -> TrainRun.execute(lake, TestRuns.synthetic("r"), false, null));
    List<String> after = files(root);
    secondTried.countDown();

    assertThat(second)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Run r is being written by process")
        .hasMessageContaining("nothing was written");
    assertThat(after).as("the refused writer changed nothing").isEqualTo(before);
    assertThat(first.get(60, TimeUnit.SECONDS).status()).isEqualTo("COMMITTED");
    assertThat(RunDump.of(lake, "r"))
        .as("no duplicated row: the lake holds one run")
        .isEqualTo(RunDump.of(reference, "r"));
  }

  static Stream<String> hostileIds() {
    return Stream.of(
        "../evil",
        "..",
        ".",
        "a/b",
        "a\\b",
        "/abs",
        "a..b",
        "-starts-with-dash",
        "_hidden",
        ".hidden",
        "with space",
        "new\nline",
        "tab\there",
        "x:y",
        "ünïcode",
        "%2e%2e",
        "q'uote",
        "star*",
        "x".repeat(RunIds.MAX_LENGTH + 1),
        "y".repeat(300));
  }

  @ParameterizedTest(name = "run id {index}")
  @MethodSource("hostileIds")
  void aHostileRunIdIsRefusedWithTheRuleBeforeAnythingIsWritten(String id) throws Exception {
    Path root = dir.resolve("lake");
    Lake lake = Lake.open(root.toString());
    assertThatThrownBy(() -> TrainRun.execute(lake, TestRuns.synthetic(id), false, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is not a valid run id")
        .hasMessageContaining("A-Z a-z 0-9 . _ -")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    assertThat(files(root)).as("nothing written for '%s'", id).isEmpty();
  }

  @ParameterizedTest(name = "name {index}")
  @MethodSource("hostileIds")
  void aHostileNameIsRefusedToo(String name) throws Exception {
    Path root = dir.resolve("lake");
    Lake lake = Lake.open(root.toString());
    RunConfig c = TestRuns.synthetic("");
    c.name = name;
    assertThatThrownBy(() -> TrainRun.execute(lake, c, false, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("name (--name)")
        .hasMessageContaining("is not a valid run id");
    assertThat(files(root)).isEmpty();
  }

  @Test
  void theRuleSuggestsAValidId() {
    assertThatThrownBy(() -> RunIds.check("run_id", "../My Evil Run"))
        .hasMessageContaining("e.g. 'my-evil-run'");
    assertThat(RunIds.isValid("noise-0.2_seed.3")).isTrue();
  }

  @Test
  void aFullDiskSaysSoNamesTheLakeAndLosesNothing() {
    Lake reference = Lake.open(dir.resolve("reference").toString());
    TrainRun.execute(reference, TestRuns.synthetic("r"), false, null);

    Lake lake = CrashingFileSystem.lake(dir.resolve("lake"));
    CrashingFileSystem.diskFullAfter(20_000);
    Throwable t =
        catchThrowable(() -> TrainRun.execute(lake, TestRuns.synthetic("r"), false, null));
    assertThat(t)
        .isInstanceOf(LakeErrors.DiskFull.class)
        .hasMessageContaining("Run r stopped: the disk holding the lake " + lake.root())
        .hasMessageContaining("is full")
        .hasMessageContaining("No space left on device")
        .hasMessageContaining("needs about")
        .hasMessageContaining("run the same command again");
    CrashingFileSystem.revive(); // space freed
    TrainRun.execute(lake, TestRuns.synthetic("r"), false, null);
    assertThat(RunDump.of(lake, "r")).isEqualTo(RunDump.of(reference, "r"));
  }

  @Test
  void aRealFullDiskStopsTheRunAndTheRerunResumesOnceSpaceIsFree() throws Exception {
    Path mount = dir.resolve("small-disk");
    Files.createDirectories(mount);
    org.junit.jupiter.api.Assumptions.assumeTrue(
        SmallDisk.mount(mount, "4m"), "needs root and mount(8) for a tmpfs");
    try {
      RunConfig big = TestRuns.synthetic("big");
      big.model.hidden = new java.util.ArrayList<>(List.of(2000));
      Lake lake = Lake.open(mount.resolve("lake").toString());
      assertThatThrownBy(() -> TrainRun.execute(lake, big, false, null))
          .isInstanceOf(LakeErrors.DiskFull.class)
          .hasMessageContaining("Run big needs about")
          .hasMessageContaining("free; nothing was written");
      assertThat(LakeReader.rows(lake, Tables.RUNS, "big")).isEmpty();

      // A run that fits, but the disk fills up while it trains (another program's file).
      Path ballast = mount.resolve("ballast");
      Lake.Hook fill =
          p -> {
            if (p == CrashPoint.CHECKPOINT_PUBLISHED && !Files.exists(ballast)) {
              SmallDisk.fill(ballast);
            }
          };
      Throwable full =
          catchThrowable(
              () -> TrainRun.execute(lake.withHook(fill), TestRuns.synthetic("r"), false, null));
      assertThat(full)
          .as("threw %s", full)
          .isInstanceOf(LakeErrors.DiskFull.class)
          .hasMessageContaining("the disk holding the lake")
          .hasMessageContaining("No space left on device");
      Files.delete(ballast);
      TrainRun.Outcome resumed = TrainRun.execute(lake, TestRuns.synthetic("r"), false, null);
      assertThat(resumed.resumed()).isTrue();
      Lake reference = Lake.open(dir.resolve("reference").toString());
      TrainRun.execute(reference, TestRuns.synthetic("r"), false, null);
      Map<String, List<String>> got = RunDump.of(lake, "r");
      assertThat(got).isEqualTo(RunDump.of(reference, "r"));
    } finally {
      SmallDisk.unmount(mount);
    }
  }

  /** A tmpfs of a given size (root only). */
  static final class SmallDisk {
    static boolean mount(Path at, String size) {
      try {
        Process p =
            new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", at.toString())
                .redirectErrorStream(true)
                .start();
        return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
      } catch (Exception e) {
        return false;
      }
    }

    static void unmount(Path at) throws Exception {
      new ProcessBuilder("umount", at.toString()).start().waitFor(20, TimeUnit.SECONDS);
    }

    static void fill(Path file) {
      byte[] block = new byte[64 << 10];
      try (var out = Files.newOutputStream(file)) {
        while (true) {
          out.write(block);
        }
      } catch (java.io.IOException full) {
        // The disk is full now.
      }
    }
  }
}
