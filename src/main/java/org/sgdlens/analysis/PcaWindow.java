package org.sgdlens.analysis;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.sgdlens.lake.Columns;

/**
 * The validated window of a trajectory PCA: the recorded steps in the requested range whose weight
 * snapshot has the window's complete chunk grid ({@link ChunkGrid}), in time order.
 */
final class PcaWindow implements Serializable {
  final String runId;
  final long fromStep;
  final long toStep;
  final long[] steps;
  final long params;

  /** chunk id → {offset, length}, by chunk id. */
  final TreeMap<Integer, long[]> chunks;

  private PcaWindow(String runId, long[] steps, long params, TreeMap<Integer, long[]> chunks) {
    this.runId = runId;
    this.steps = steps;
    this.fromStep = steps[0];
    this.toStep = steps[steps.length - 1];
    this.params = params;
    this.chunks = chunks;
  }

  String label() {
    return fromStep + "-" + toStep;
  }

  int snapshots() {
    return steps.length;
  }

  Map<Long, Integer> stepIndex() {
    Map<Long, Integer> index = new HashMap<>();
    for (int i = 0; i < steps.length; i++) {
      index.put(steps[i], i);
    }
    return index;
  }

  /**
   * The window of one run's {@code weights}, or null with a warning when fewer than 3 snapshots in
   * it are complete.
   *
   * @param trainedFrom when set, the window starts no earlier than this step
   */
  static PcaWindow plan(
      String runId,
      Dataset<Row> weights,
      TrajectoryPca.Options options,
      Long trainedFrom,
      List<String> warnings) {
    List<Row> layout =
        weights.select("step", "chunk", Columns.CHUNK_OFFSET, "length").collectAsList();
    TreeMap<Long, ChunkGrid> byStep = ChunkGrid.byVector(layout, r -> r.<Long>getAs("step"));
    if (byStep.isEmpty()) {
      warnings.add("run '" + runId + "' skipped: no weight snapshots");
      return null;
    }
    long last = byStep.lastKey();
    long from = options.fromStep() != null ? options.fromStep() : byStep.firstKey();
    long to = options.toStep() != null ? options.toStep() : last;
    if (options.lastSteps() != null) {
      from = last - options.lastSteps() + 1;
      to = last;
    }
    if (trainedFrom != null && trainedFrom > from) {
      // Say how much of the asked window the accuracy rule kept: a silent cut from 12,000 to 501
      // snapshots changes what the fit means.
      int asked = byStep.subMap(from, true, to, true).size();
      int kept = byStep.subMap(trainedFrom, true, to, true).size();
      warnings.add(
          String.format(
              Locale.ROOT,
              "run '%s': --min-train-accuracy %s starts the window at step %d instead of %d"
                  + " (training accuracy stays above it from there): %d of the %d snapshots in"
                  + " steps %d..%d kept (%.1f%%)",
              runId,
              options.minTrainAccuracy(),
              trainedFrom,
              from,
              kept,
              asked,
              from,
              to,
              asked == 0 ? 0.0 : 100.0 * kept / asked));
      from = trainedFrom;
    }
    NavigableMap<Long, ChunkGrid> inWindow = byStep.subMap(from, true, to, true);
    if (inWindow.isEmpty()) {
      warnings.add(
          "run '"
              + runId
              + "' skipped: no snapshot in steps "
              + from
              + ".."
              + to
              + " (recorded steps "
              + byStep.firstKey()
              + ".."
              + last
              + ")");
      return null;
    }
    // The reference grid is the last snapshot's; a step whose chunks differ is incomplete.
    ChunkGrid grid = inWindow.lastEntry().getValue();
    long gap = grid.tilingBreak();
    if (gap >= 0) {
      warnings.add(
          "run '"
              + runId
              + "' skipped: the chunks of step "
              + inWindow.lastKey()
              + " do not tile the recorded vector (gap or overlap at offset "
              + gap
              + ")");
      return null;
    }
    List<Long> steps = new ArrayList<>();
    List<Long> skipped = new ArrayList<>();
    for (var entry : inWindow.entrySet()) {
      if (entry.getValue().sameAs(grid)) {
        steps.add(entry.getKey());
      } else {
        skipped.add(entry.getKey());
      }
    }
    if (!skipped.isEmpty()) {
      warnings.add(
          "run '"
              + runId
              + "': "
              + skipped.size()
              + " snapshot(s) skipped for missing, duplicate"
              + " or mismatched chunks, steps "
              + preview(skipped));
    }
    if (steps.size() < 3) {
      warnings.add(
          "run '"
              + runId
              + "' skipped: "
              + steps.size()
              + " complete snapshot(s) in steps "
              + from
              + ".."
              + to
              + "; a PCA window needs at least 3");
      return null;
    }
    return new PcaWindow(
        runId, steps.stream().mapToLong(Long::longValue).toArray(), grid.length(), grid.chunks());
  }

  private static String preview(List<Long> steps) {
    return steps.size() <= 10 ? steps.toString() : steps.subList(0, 10) + "...";
  }
}
