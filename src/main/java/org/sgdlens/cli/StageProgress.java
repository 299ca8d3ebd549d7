package org.sgdlens.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkConf;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerApplicationEnd;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.StageInfo;

/**
 * Progress of long Spark stages on stderr, one plain line at a time (no carriage returns, so logs
 * and pipes stay readable): a stage still running after {@code spark.sgdlens.progress.after}
 * seconds (5) gets a line with its tasks done, elapsed time and ETA, repeated every {@code
 * spark.sgdlens.progress.every} seconds (10), and a last line when it completes. Short stages print
 * nothing. Registered by {@code spark.extraListeners} in conf/spark-defaults.conf; {@code
 * spark.sgdlens.progress=false} turns it off. Lines start with the job's name: {@code
 * [trajectory-pca] stage 7 (treeAggregate at GramPca.java:88): 5/8 tasks, 12 s, ETA 7 s}.
 */
public final class StageProgress extends SparkListener {
  private final String label;
  private final boolean enabled;
  private final long afterNanos;
  private final long everyNanos;
  private final Map<Integer, Running> running = new ConcurrentHashMap<>();
  private volatile ScheduledExecutorService ticker;

  private static final class Running {
    final StageInfo info;
    final long start = System.nanoTime();
    final AtomicInteger done = new AtomicInteger();
    volatile long lastPrint;

    Running(StageInfo info) {
      this.info = info;
    }
  }

  public StageProgress(SparkConf conf) {
    String app = conf.get("spark.app.name", "spark");
    this.label = app.startsWith("sgdlens-") ? app.substring("sgdlens-".length()) : app;
    this.enabled = conf.getBoolean("spark.sgdlens.progress", true);
    this.afterNanos = seconds(conf.get("spark.sgdlens.progress.after", "5"), "after");
    this.everyNanos = seconds(conf.get("spark.sgdlens.progress.every", "10"), "every");
  }

  private static long seconds(String value, String key) {
    try {
      double s = Double.parseDouble(value);
      if (s >= 0 && Double.isFinite(s)) {
        return (long) (s * 1e9);
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "spark.sgdlens.progress."
            + key
            + "="
            + value
            + " is not a number of seconds >= 0; give e.g. --conf spark.sgdlens.progress."
            + key
            + "=5");
  }

  @Override
  public void onStageSubmitted(SparkListenerStageSubmitted event) {
    if (!enabled) {
      return;
    }
    StageInfo info = event.stageInfo();
    running.put(info.stageId(), new Running(info));
    startTicker();
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd event) {
    Running r = running.get(event.stageId());
    if (r != null && event.taskInfo().successful()) {
      r.done.incrementAndGet();
    }
  }

  @Override
  public void onStageCompleted(SparkListenerStageCompleted event) {
    Running r = running.remove(event.stageInfo().stageId());
    if (r != null && r.lastPrint != 0) {
      boolean failed = event.stageInfo().failureReason().isDefined();
      print(r, failed ? "failed" : "done");
    }
  }

  @Override
  public void onApplicationEnd(SparkListenerApplicationEnd event) {
    ScheduledExecutorService t = ticker;
    if (t != null) {
      t.shutdownNow();
    }
  }

  private void startTicker() {
    if (ticker != null) {
      return;
    }
    synchronized (this) {
      if (ticker == null) {
        ScheduledExecutorService t =
            Executors.newSingleThreadScheduledExecutor(
                runnable -> {
                  Thread thread = new Thread(runnable, "sgdlens-stage-progress");
                  thread.setDaemon(true);
                  return thread;
                });
        long tick = Math.max(100_000_000L, Math.min(afterNanos, everyNanos) / 2);
        t.scheduleAtFixedRate(this::tick, tick, tick, TimeUnit.NANOSECONDS);
        ticker = t;
      }
    }
  }

  private void tick() {
    long now = System.nanoTime();
    for (Running r : running.values()) {
      boolean due =
          r.lastPrint == 0 ? now - r.start >= afterNanos : now - r.lastPrint >= everyNanos;
      if (due) {
        print(r, null);
      }
    }
  }

  /**
   * The stage's name as Spark gives it ("treeAggregate at GramPca.java:88"), or, when that names
   * Spark's own plumbing ("$anonfun$... at CompletableFuture.java"), the first sgdlens frame of the
   * stage's call site.
   */
  static String name(StageInfo info) {
    String name = info.name();
    if (!name.contains("$anonfun")) {
      return name;
    }
    for (String frame : info.details().split("\n")) {
      int open = frame.lastIndexOf('(');
      if (frame.contains("org.sgdlens.") && open >= 0 && frame.endsWith(")")) {
        String method = frame.substring(0, open).trim();
        method = method.substring(method.lastIndexOf('.', method.lastIndexOf('.') - 1) + 1);
        return method + " at " + frame.substring(open + 1, frame.length() - 1);
      }
    }
    return name;
  }

  private void print(Running r, String end) {
    long now = System.nanoTime();
    r.lastPrint = now;
    double elapsed = (now - r.start) / 1e9;
    int done = r.done.get();
    int total = r.info.numTasks();
    String tail;
    if (end != null) {
      tail = end;
    } else if (done > 0 && done < total) {
      tail = String.format(Locale.ROOT, "ETA %.0f s", elapsed / done * (total - done));
    } else {
      tail = "running";
    }
    PrintStream err = System.err;
    err.printf(
        Locale.ROOT,
        "[%s] stage %d (%s): %d/%d tasks, %.0f s, %s%n",
        label,
        r.info.stageId(),
        name(r.info),
        done,
        total,
        elapsed,
        tail);
    err.flush();
  }
}
