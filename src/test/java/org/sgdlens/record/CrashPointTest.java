package org.sgdlens.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.sgdlens.lake.CrashPoint;
import org.sgdlens.lake.CrashingFileSystem;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.RunDump;
import org.sgdlens.lake.RunStatus;

/**
 * The crash-point harness: a run is killed at every named step of the checkpoint and commit
 * protocols ({@link CrashPoint}; the first, a middle and the last time the step comes), and during
 * training; then the documented rerun (the same command) runs, and the lake must hold exactly what
 * an uninterrupted run leaves: every row of every table, the same files, nothing in staging, no
 * lease. In between, a reader must see the run whole or not at all.
 *
 * <p>"Killed" means {@link CrashingFileSystem#kill()}: from that instant nothing the process does
 * reaches the disk (buffered bytes are lost too), as after kill -9; the process's threads then fail
 * on their own. bench/crash-kill does the same with real kill -9s.
 */
class CrashPointTest {
  static final String RUN = "r";
  private static Map<String, List<String>> reference;
  private static Map<CrashPoint, Integer> counts;

  @TempDir Path dir;

  /** The thrown stand-in for the process's death. */
  static final class SimulatedKill extends Error {
    SimulatedKill(String where) {
      super("simulated kill -9 at " + where);
    }
  }

  @AfterEach
  void revive() {
    CrashingFileSystem.revive();
  }

  static RunConfig config() {
    return TestRuns.synthetic(RUN);
  }

  /** The uninterrupted run, and how often each point comes in it. */
  static synchronized Map<String, List<String>> reference() {
    if (reference == null) {
      Path where = TestDirs.fresh("crash-reference");
      Map<CrashPoint, AtomicInteger> seen = new EnumMap<>(CrashPoint.class);
      Lake lake = CrashingFileSystem.lake(where);
      TrainRun.execute(
          lake.withHook(p -> seen.computeIfAbsent(p, k -> new AtomicInteger()).incrementAndGet()),
          config(),
          false,
          null);
      reference = RunDump.of(lake, RUN);
      counts = new EnumMap<>(CrashPoint.class);
      seen.forEach((p, n) -> counts.put(p, n.get()));
    }
    return reference;
  }

  /** Every point of an uninterrupted run, at its first, a middle and its last occurrence. */
  static Stream<Arguments> points() {
    reference();
    List<Arguments> out = new ArrayList<>();
    for (CrashPoint p : CrashPoint.values()) {
      int n = counts.getOrDefault(p, 0);
      for (int k : new TreeSet<>(List.of(1, (n + 1) / 2, n))) {
        if (n > 0 && k >= 1) {
          out.add(Arguments.of(p, k));
        }
      }
    }
    return out.stream();
  }

  /** The commit's points, for the overwrite and object-store variants. */
  static Stream<Arguments> commitPoints() {
    return points().filter(a -> a.get()[0].toString().startsWith("COMMIT"));
  }

  private static Lake.Hook killAt(CrashPoint point, int occurrence) {
    AtomicInteger seen = new AtomicInteger();
    return p -> {
      if (p == point && seen.incrementAndGet() == occurrence) {
        CrashingFileSystem.kill();
        throw new SimulatedKill(point + " #" + occurrence);
      }
    };
  }

  private static LongConsumer killAtStep(long step) {
    return s -> {
      if (s == step) {
        CrashingFileSystem.kill();
        throw new SimulatedKill("training step " + step);
      }
    };
  }

  private static void assertKilled(Throwable t, String where) {
    boolean killed = false;
    for (Throwable c = t; c != null && !killed; c = c.getCause()) {
      killed = c instanceof SimulatedKill || String.valueOf(c.getMessage()).contains("simulated");
    }
    assertThat(killed).as("the run died at %s (it threw %s)", where, t).isTrue();
  }

  /** What a reader sees right after the kill: the whole run, or nothing of it. */
  private static void assertWholeOrInvisible(Lake lake, String where) {
    boolean committed = lake.runStatus(RUN).filter(RunStatus.COMMITTED.name()::equals).isPresent();
    if (committed) {
      Map<String, List<String>> now = RunDump.of(lake, RUN);
      now.remove("staging");
      now.remove("lease");
      Map<String, List<String>> whole = new java.util.TreeMap<>(reference());
      whole.remove("staging");
      whole.remove("lease");
      assertThat(now).as("a committed run is whole after a kill at %s", where).isEqualTo(whole);
    }
  }

  private void killedThenRerun(
      Lake lake, Lake.Hook hook, LongConsumer progress, boolean overwrite, String where) {
    Throwable t =
        catchThrowable(() -> TrainRun.execute(lake.withHook(hook), config(), overwrite, progress));
    assertKilled(t, where);
    CrashingFileSystem.revive();
    assertWholeOrInvisible(lake, where);
    TrainRun.Outcome again = TrainRun.execute(lake, config(), overwrite, null);
    assertThat(again.status()).isEqualTo(RunStatus.COMMITTED.name());
    assertThat(RunDump.of(lake, RUN))
        .as("after a kill at %s and the rerun, the lake equals an uninterrupted run's", where)
        .isEqualTo(reference());
  }

  @ParameterizedTest(name = "killed at {0} #{1}")
  @MethodSource("points")
  void aKillAtAnyStepOfANewRunIsRepairedByTheRerun(CrashPoint point, int occurrence) {
    Lake lake = CrashingFileSystem.lake(dir);
    killedThenRerun(lake, killAt(point, occurrence), null, false, point + " #" + occurrence);
  }

  @ParameterizedTest(name = "killed at training step {0}")
  @ValueSource(longs = {1, 10, 26, 51, 59, 60})
  void aKillDuringTrainingIsRepairedByTheRerun(long step) {
    Lake lake = CrashingFileSystem.lake(dir);
    killedThenRerun(lake, p -> {}, killAtStep(step), false, "training step " + step);
  }

  @ParameterizedTest(name = "--overwrite killed at {0} #{1}")
  @MethodSource("commitPoints")
  void aKillDuringAnOverwriteLeavesTheOldOrTheNewRunWhole(CrashPoint point, int occurrence) {
    Lake lake = CrashingFileSystem.lake(dir);
    TrainRun.execute(lake, config(), false, null);
    killedThenRerun(lake, killAt(point, occurrence), null, true, "--overwrite " + point);
  }

  @ParameterizedTest(name = "object store, killed at {0} #{1}")
  @MethodSource("commitPoints")
  void theCommitRenamesNoFolderSoObjectStoresAreSafe(CrashPoint point, int occurrence) {
    CrashingFileSystem.objectStore(true);
    Lake lake = CrashingFileSystem.lake(dir);
    Throwable t =
        catchThrowable(
            () ->
                TrainRun.execute(lake.withHook(killAt(point, occurrence)), config(), false, null));
    assertKilled(t, point.toString());
    CrashingFileSystem.revive();
    CrashingFileSystem.objectStore(true);
    TrainRun.execute(lake, config(), false, null);
    assertThat(RunDump.of(lake, RUN)).isEqualTo(reference());
  }

  @Test
  void aKillAfterAFailureWasRecordedResumesFromTheCheckpoint() {
    Lake lake = CrashingFileSystem.lake(dir);
    LongConsumer failAt55 =
        s -> {
          if (s == 55) {
            throw new IllegalStateException("a failure before the kill");
          }
        };
    killedThenRerun(lake, killAt(CrashPoint.FAILED_ROW_WRITTEN, 1), failAt55, false, "FAILED row");
  }

  @Test
  void aKillDuringTheRerunsRollForwardIsRepairedByTheNextRerun() {
    Lake lake = CrashingFileSystem.lake(dir);
    assertKilled(
        catchThrowable(
            () ->
                TrainRun.execute(
                    lake.withHook(killAt(CrashPoint.COMMIT_FILE_MOVED, 2)), config(), false, null)),
        "first commit");
    CrashingFileSystem.revive();
    assertKilled(
        catchThrowable(
            () ->
                TrainRun.execute(
                    lake.withHook(killAt(CrashPoint.COMMIT_FILE_MOVED, 3)), config(), false, null)),
        "the roll-forward");
    CrashingFileSystem.revive();
    TrainRun.Outcome done = TrainRun.execute(lake, config(), false, null);
    assertThat(done.recovered()).as("the third attempt only finishes the commit").isTrue();
    assertThat(RunDump.of(lake, RUN)).isEqualTo(reference());
  }
}
