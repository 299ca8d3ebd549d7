package org.sgdlens.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.fs.FileStatus;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.sgdlens.lake.CrashPoint;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.RunDump;
import org.sgdlens.lake.Tables;

/**
 * Kills real recording runs (jobs/train's entry point in its own JVM) with SIGKILL at random times,
 * a quarter of them inside the commit (held there by {@link Lake#PAUSE_AT}), reruns the same
 * command, and compares the lake with an uninterrupted run: every row of every table, the files,
 * nothing left in staging or leases. A watcher reads the lake every 20 ms while the runs go on:
 * whenever the run's runs row says COMMITTED, every table must hold all its rows (never a partial
 * run). Usage: bench/crash-kill [kills] [seed]
 */
public final class CrashKillBench {
  private static final String RUN = "crash";

  private CrashKillBench() {}

  static List<String> trainArgs(Path lake) {
    return List.of(
        "--lake",
        lake.toString(),
        "--run-id",
        RUN,
        "--per-class",
        "100",
        "--noise",
        "0.2",
        "--epochs",
        "40",
        "--batch-size",
        "32",
        "--quiet",
        "--set",
        "record.weights.every=10",
        "--set",
        "record.gradients.every=40",
        "--set",
        "record.ensemble_size=8",
        "--set",
        "record.sample_losses.every=40",
        "--set",
        "record.metrics.every=40",
        "--set",
        "checkpoint_every=100");
  }

  static Process start(Path lake, String pauseAt) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Dai.djl.offline=true");
    cmd.add("-Dai.djl.pytorch.num_threads=1");
    if (pauseAt != null) {
      cmd.add("-D" + Lake.PAUSE_AT + "=" + pauseAt);
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("org.sgdlens.cli.TrainJob");
    cmd.addAll(trainArgs(lake));
    return new ProcessBuilder(cmd).redirectErrorStream(true).start();
  }

  /** Row counts of the run's partition of every record table, from the Parquet footers. */
  static Map<String, Long> counts(Lake lake) throws IOException {
    Map<String, Long> out = new HashMap<>();
    for (String table : Tables.RECORDS) {
      long n = 0;
      org.apache.hadoop.fs.Path dir = lake.partition(table, RUN);
      if (lake.fs().exists(dir)) {
        for (FileStatus f : lake.fs().listStatus(dir)) {
          if (f.getPath().getName().endsWith(".parquet")) {
            try (ParquetFileReader r =
                ParquetFileReader.open(HadoopInputFile.fromPath(f.getPath(), lake.conf()))) {
              n += r.getRecordCount();
            }
          }
        }
      }
      out.put(table, n);
    }
    return out;
  }

  /** Polls the lake; counts every moment at which a committed run is not whole. */
  static final class Watcher extends Thread {
    private final Lake lake;
    private final Map<String, Long> whole;
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicInteger looks = new AtomicInteger();
    final AtomicInteger partial = new AtomicInteger();

    Watcher(Lake lake, Map<String, Long> whole) {
      this.lake = lake;
      this.whole = whole;
      setDaemon(true);
    }

    @Override
    public void run() {
      while (!stop.get()) {
        try {
          if (lake.runStatus(RUN).filter("COMMITTED"::equals).isPresent()) {
            Map<String, Long> now = counts(lake);
            // The commit may still be deleting staging: only the tables matter.
            if (!now.equals(whole) && lake.runStatus(RUN).isPresent()) {
              partial.incrementAndGet();
              System.out.println("  PARTIAL RUN VISIBLE: " + now + " vs " + whole);
            }
          }
          looks.incrementAndGet();
        } catch (IOException | RuntimeException e) {
          // A file moved or deleted between listing and reading: look again.
        }
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  public static void main(String[] args) throws Exception {
    int kills = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    long seed = args.length > 1 ? Long.parseLong(args[1]) : 1;
    Path base = Files.createTempDirectory("sgdlens-crash-kill");
    Path refDir = base.resolve("reference");
    long t0 = System.nanoTime();
    Process ref = start(refDir, null);
    // When the first checkpoint appears: kills are spread from shortly before it to the end.
    Path checkpoints = refDir.resolve("_staging/run_id=" + RUN + "/_checkpoint");
    double firstCheckpoint = -1;
    while (ref.isAlive()) {
      if (firstCheckpoint < 0 && Files.isDirectory(checkpoints)) {
        firstCheckpoint = (System.nanoTime() - t0) / 1e9;
      }
      Thread.sleep(20);
    }
    String refOut = new String(ref.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (ref.waitFor() != 0) {
      throw new IllegalStateException("the reference run failed:\n" + refOut);
    }
    double refSeconds = (System.nanoTime() - t0) / 1e9;
    Lake refLake = Lake.open(refDir.toString());
    Map<String, List<String>> reference = RunDump.of(refLake, RUN);
    Map<String, Long> whole = counts(refLake);
    System.out.printf(
        Locale.ROOT,
        "reference run: %.1f s from JVM start to exit, first checkpoint at %.1f s; rows %s%n",
        refSeconds,
        firstCheckpoint,
        whole);
    double from = Math.max(0.5, firstCheckpoint - 1.0);

    CrashPoint[] commitPoints = {
      CrashPoint.COMMIT_STAGED,
      CrashPoint.COMMIT_INTENT_WRITTEN,
      CrashPoint.COMMIT_PARTITIONS_CLEARED,
      CrashPoint.COMMIT_FILE_MOVED,
      CrashPoint.COMMIT_RUNS_ROW_MOVED,
      CrashPoint.COMMIT_STAGING_REMOVED
    };
    Random random = new Random(seed);
    int identical = 0;
    int partialSeen = 0;
    int insideCommit = 0;
    System.out.println(" # | killed                         | rerun                  | same");
    for (int i = 0; i < kills; i++) {
      Path dir = base.resolve("kill-" + i);
      Lake lake = Lake.open(dir.toString());
      Watcher watcher = new Watcher(lake, whole);
      watcher.start();
      String killed;
      Process p;
      if (i % 4 == 3) {
        CrashPoint point = commitPoints[random.nextInt(commitPoints.length)];
        int k = point == CrashPoint.COMMIT_FILE_MOVED ? 1 + random.nextInt(6) : 1;
        p = start(dir, point + "#" + k + ":5000");
        BufferedReader out =
            new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        boolean paused = false;
        while ((line = out.readLine()) != null) {
          if (line.startsWith("sgdlens: pausing at")) {
            paused = true;
            break;
          }
        }
        p.destroyForcibly().waitFor();
        killed = paused ? "in the commit at " + point + "#" + k : "(never paused)";
        insideCommit += paused ? 1 : 0;
      } else {
        double at = from + random.nextDouble() * Math.max(0.5, refSeconds - from);
        p = start(dir, null);
        boolean finished = p.waitFor((long) (at * 1000), TimeUnit.MILLISECONDS);
        p.destroyForcibly().waitFor();
        killed =
            finished
                ? String.format(Locale.ROOT, "finished before %.1f s", at)
                : String.format(Locale.ROOT, "kill -9 at %.1f s", at);
      }
      Process rerun = start(dir, null);
      String rerunOut = new String(rerun.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int rc = rerun.waitFor();
      watcher.stop.set(true);
      watcher.join();
      partialSeen += watcher.partial.get();
      boolean same = rc == 0 && RunDump.of(lake, RUN).equals(reference);
      identical += same ? 1 : 0;
      String how =
          rc != 0
              ? "FAILED rc " + rc
              : rerunOut.contains("finished the commit")
                  ? "finished the commit"
                  : rerunOut.contains("resumed")
                      ? "resumed"
                      : rerunOut.contains("already") ? "already committed" : "trained afresh";
      System.out.printf(
          Locale.ROOT,
          "%2d | %-30s | %-22s | %s (%d looks)%n",
          i + 1,
          killed,
          how,
          same ? "yes" : "NO",
          watcher.looks.get());
      if (!same) {
        System.out.println(rerunOut);
      }
    }
    System.out.printf(
        Locale.ROOT,
        "%d/%d reruns identical to the uninterrupted run; %d kills inside the commit; %d moments"
            + " with a partial committed run visible%n",
        identical,
        kills,
        insideCommit,
        partialSeen);
    System.exit(identical == kills && partialSeen == 0 ? 0 : 1);
  }
}
