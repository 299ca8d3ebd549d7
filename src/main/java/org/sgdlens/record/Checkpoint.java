package org.sgdlens.record;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;
import org.sgdlens.lake.Lake;

/**
 * A resumable training state: step, parameters, momentum buffers, the running minibatch-loss
 * accumulator, and the staged files that hold every record up to the step. Written to a temporary
 * file and renamed, so a kill leaves either the old or the new checkpoint.
 */
record Checkpoint(
    String configHash,
    long step,
    float[] weights,
    float[] velocity,
    double lossSum,
    long lossCount,
    double wallSeconds,
    List<String> stagedFiles) {

  private static final int FORMAT = 1;

  static Path path(Lake lake, String runId) {
    return new Path(new Path(lake.staging(runId), "_checkpoint"), "state.bin");
  }

  void write(Lake lake, String runId) {
    Path target = path(lake, runId);
    Path tmp = new Path(target.getParent(), ".state.bin.tmp");
    try {
      lake.fs().mkdirs(target.getParent());
      try (FSDataOutputStream out = lake.fs().create(tmp, true)) {
        write(out);
      }
      lake.fs().delete(target, false);
      if (!lake.fs().rename(tmp, target)) {
        throw new IOException("rename " + tmp + " -> " + target + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write the checkpoint of run " + runId, e);
    }
  }

  private void write(DataOutputStream out) throws IOException {
    out.writeInt(FORMAT);
    out.writeUTF(configHash);
    out.writeLong(step);
    writeFloats(out, weights);
    writeFloats(out, velocity);
    out.writeDouble(lossSum);
    out.writeLong(lossCount);
    out.writeDouble(wallSeconds);
    out.writeInt(stagedFiles.size());
    for (String f : stagedFiles) {
      out.writeUTF(f);
    }
  }

  static Optional<Checkpoint> read(Lake lake, String runId) {
    Path path = path(lake, runId);
    try {
      if (!lake.fs().exists(path)) {
        return Optional.empty();
      }
      try (FSDataInputStream in = lake.fs().open(path)) {
        return Optional.of(read(in));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the checkpoint " + path, e);
    }
  }

  private static Checkpoint read(DataInputStream in) throws IOException {
    int format = in.readInt();
    if (format != FORMAT) {
      throw new IOException("Unknown checkpoint format " + format);
    }
    String hash = in.readUTF();
    long step = in.readLong();
    float[] weights = readFloats(in);
    float[] velocity = readFloats(in);
    double lossSum = in.readDouble();
    long lossCount = in.readLong();
    double wall = in.readDouble();
    int n = in.readInt();
    List<String> files = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      files.add(in.readUTF());
    }
    return new Checkpoint(hash, step, weights, velocity, lossSum, lossCount, wall, files);
  }

  private static void writeFloats(DataOutputStream out, float[] values) throws IOException {
    out.writeInt(values.length);
    byte[] bytes = org.sgdlens.lake.VectorChunks.pack(values, 0, values.length);
    out.write(bytes);
  }

  private static float[] readFloats(DataInputStream in) throws IOException {
    int n = in.readInt();
    byte[] bytes = new byte[n * Float.BYTES];
    in.readFully(bytes);
    return org.sgdlens.lake.VectorChunks.unpack(bytes);
  }
}
