package org.sgdlens.record;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.zip.CRC32;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.sgdlens.lake.CrashPoint;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.LakeErrors;
import org.sgdlens.lake.RunStaging.StagedFile;
import org.sgdlens.lake.VectorChunks;

/**
 * A resumable training state: step, parameters, momentum buffers, the running minibatch-loss
 * accumulator, the divergence monitor's state, and the staged files (with their sizes) that hold
 * every record up to the step. Each checkpoint is a new file {@code state-<step>.bin}, written to a
 * temporary name and renamed, then the older ones are deleted: a kill at any instant leaves at
 * least one whole checkpoint or none. A CRC32 over the content catches a damaged file.
 */
record Checkpoint(
    String configHash,
    long step,
    float[] weights,
    float[] velocity,
    double lossSum,
    long lossCount,
    double wallSeconds,
    double[] monitorState,
    List<StagedFile> stagedFiles) {

  private static final int FORMAT = 2;
  private static final String PREFIX = "state-";
  private static final String SUFFIX = ".bin";

  static Path dir(Lake lake, String runId) {
    return new Path(lake.staging(runId), "_checkpoint");
  }

  static Path path(Lake lake, String runId, long step) {
    return new Path(
        dir(lake, runId), String.format(Locale.ROOT, "%s%012d%s", PREFIX, step, SUFFIX));
  }

  /** The same state naming {@code files}. */
  Checkpoint withFiles(List<StagedFile> files) {
    return new Checkpoint(
        configHash, step, weights, velocity, lossSum, lossCount, wallSeconds, monitorState, files);
  }

  void write(Lake lake, String runId) {
    Path target = path(lake, runId, step);
    Path tmp = new Path(target.getParent(), "." + target.getName() + ".tmp");
    try {
      lake.fs().mkdirs(target.getParent());
      byte[] bytes = encode();
      try (FSDataOutputStream out = lake.fs().create(tmp, true)) {
        out.write(bytes);
      }
      lake.at(CrashPoint.CHECKPOINT_STATE_WRITTEN);
      lake.fs().delete(target, false);
      if (!lake.fs().rename(tmp, target)) {
        throw new IOException("rename " + tmp + " -> " + target + " failed");
      }
      lake.at(CrashPoint.CHECKPOINT_PUBLISHED);
      for (FileStatus s : lake.fs().listStatus(target.getParent())) {
        if (!s.getPath().getName().equals(target.getName())) {
          lake.fs().delete(s.getPath(), false);
        }
      }
    } catch (IOException e) {
      throw LakeErrors.wrap(
          "Cannot write the checkpoint of run " + runId + " at step " + step, e, lake);
    }
  }

  private byte[] encode() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(FORMAT);
    out.writeUTF(configHash);
    out.writeLong(step);
    writeFloats(out, weights);
    writeFloats(out, velocity);
    out.writeDouble(lossSum);
    out.writeLong(lossCount);
    out.writeDouble(wallSeconds);
    out.writeInt(monitorState.length);
    for (double v : monitorState) {
      out.writeDouble(v);
    }
    out.writeInt(stagedFiles.size());
    for (StagedFile f : stagedFiles) {
      out.writeUTF(f.name());
      out.writeLong(f.bytes());
    }
    out.flush();
    CRC32 crc = new CRC32();
    crc.update(bytes.toByteArray());
    out.writeLong(crc.getValue());
    out.flush();
    return bytes.toByteArray();
  }

  /**
   * The newest whole checkpoint of a run, if any. A damaged file (bad checksum, cut short) is
   * skipped with a warning on stderr: the run then resumes from an older one or starts afresh.
   */
  static Optional<Checkpoint> read(Lake lake, String runId) {
    Path dir = dir(lake, runId);
    try {
      if (!lake.fs().exists(dir)) {
        return Optional.empty();
      }
      List<FileStatus> states =
          new ArrayList<>(
              Arrays.stream(lake.fs().listStatus(dir))
                  .filter(
                      s ->
                          s.getPath().getName().startsWith(PREFIX)
                              && s.getPath().getName().endsWith(SUFFIX))
                  .toList());
      states.sort(Comparator.comparing((FileStatus s) -> s.getPath().getName()).reversed());
      for (FileStatus state : states) {
        byte[] bytes;
        try (InputStream in = lake.fs().open(state.getPath())) {
          bytes = in.readAllBytes();
        }
        Optional<Checkpoint> c = decode(bytes);
        if (c.isPresent()) {
          return c;
        }
        System.err.println(
            "sgdlens: the checkpoint "
                + state.getPath()
                + " is damaged (checksum mismatch or cut short); not resuming from it");
      }
      return Optional.empty();
    } catch (IOException e) {
      throw LakeErrors.wrap("Cannot read the checkpoints in " + dir, e, lake);
    }
  }

  private static Optional<Checkpoint> decode(byte[] bytes) {
    if (bytes.length < Long.BYTES + Integer.BYTES) {
      return Optional.empty();
    }
    CRC32 crc = new CRC32();
    crc.update(bytes, 0, bytes.length - Long.BYTES);
    long stored = java.nio.ByteBuffer.wrap(bytes, bytes.length - Long.BYTES, Long.BYTES).getLong();
    if (stored != crc.getValue()) {
      return Optional.empty();
    }
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      if (in.readInt() != FORMAT) {
        return Optional.empty();
      }
      String hash = in.readUTF();
      long step = in.readLong();
      float[] weights = readFloats(in);
      float[] velocity = readFloats(in);
      double lossSum = in.readDouble();
      long lossCount = in.readLong();
      double wall = in.readDouble();
      double[] monitor = new double[in.readInt()];
      for (int i = 0; i < monitor.length; i++) {
        monitor[i] = in.readDouble();
      }
      int n = in.readInt();
      List<StagedFile> files = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        files.add(new StagedFile(in.readUTF(), in.readLong()));
      }
      return Optional.of(
          new Checkpoint(hash, step, weights, velocity, lossSum, lossCount, wall, monitor, files));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private static void writeFloats(DataOutputStream out, float[] values) throws IOException {
    out.writeInt(values.length);
    out.write(VectorChunks.pack(values, 0, values.length));
  }

  private static float[] readFloats(DataInputStream in) throws IOException {
    int n = in.readInt();
    byte[] bytes = new byte[n * Float.BYTES];
    in.readFully(bytes);
    return VectorChunks.unpack(bytes);
  }
}
