package org.sgdlens.analysis;

import java.time.Instant;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.RunStaging;
import org.sgdlens.lake.Tables;
import org.sgdlens.lake.VectorChunks;

/** Writes synthetic committed runs with weight snapshots through the recorder's own writer. */
public final class TrajectoryLakes {
  private TrajectoryLakes() {}

  /** Source of one snapshot's values, written chunk by chunk. */
  @FunctionalInterface
  public interface Snapshots {
    /** Fills {@code out} with the values of snapshot {@code index} at [offset, offset+len). */
    void fill(int index, long offset, float[] out);
  }

  public static void writeRun(
      String lakeRoot, String runId, float[][] snapshots, long[] steps, int chunkSize) {
    writeRun(lakeRoot, runId, snapshots, steps, chunkSize, null);
  }

  /** Also writes a metrics row per step with the given training accuracy (when not null). */
  public static void writeRun(
      String lakeRoot,
      String runId,
      float[][] snapshots,
      long[] steps,
      int chunkSize,
      double[] trainAccuracy) {
    writeRun(
        lakeRoot,
        runId,
        snapshots[0].length,
        steps,
        chunkSize,
        (i, offset, out) -> System.arraycopy(snapshots[i], (int) offset, out, 0, out.length),
        trainAccuracy);
  }

  public static void writeRun(
      String lakeRoot, String runId, long params, long[] steps, int chunkSize, Snapshots source) {
    writeRun(lakeRoot, runId, params, steps, chunkSize, source, null);
  }

  /** Streams snapshots to the lake without holding more than one chunk. */
  public static void writeRun(
      String lakeRoot,
      String runId,
      long params,
      long[] steps,
      int chunkSize,
      Snapshots source,
      double[] trainAccuracy) {
    Lake lake = Lake.open(lakeRoot);
    RunStaging staging = new RunStaging(lake, runId, CompressionCodecName.UNCOMPRESSED, 512L << 20);
    staging.clear();
    int chunks = VectorChunks.chunkCount(params, chunkSize);
    float[] buffer = new float[chunkSize];
    for (int s = 0; s < steps.length; s++) {
      for (int c = 0; c < chunks; c++) {
        long offset = (long) c * chunkSize;
        int length = (int) Math.min(chunkSize, params - offset);
        float[] out = length == chunkSize ? buffer : new float[length];
        source.fill(s, offset, out);
        staging.write(
            Tables.WEIGHTS,
            new Object[] {steps[s], c, offset, length, VectorChunks.pack(out, 0, length)});
      }
    }
    if (trainAccuracy != null) {
      for (int s = 0; s < steps.length; s++) {
        staging.write(
            Tables.METRICS,
            new Object[] {
              steps[s], 0.0, 1.0, trainAccuracy[s], null, null, null, 1.0, 0.5, 1.0, (double) s
            });
      }
    }
    staging.commit(runsRow(params, steps[steps.length - 1]));
  }

  static Object[] runsRow(long params, long steps) {
    Instant now = Instant.parse("2026-11-27T00:00:00Z");
    return new Object[] {
      "COMMITTED",
      now,
      now,
      "synthetic",
      "synthetic",
      params,
      params,
      0,
      0,
      0.0,
      "none",
      0,
      1L,
      0.1,
      0.0,
      0.0,
      50,
      steps,
      0.0,
      "cpu",
      null,
      null,
      false,
      null,
      "{}",
      null,
      null
    };
  }
}
