package org.sgdlens.lake;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

/**
 * The files of one run while it is being written. Not thread-safe: the recorder confines it to its
 * writer thread. Files roll at {@code rollBytes} and at every {@link #closeOpenFiles()} (a
 * checkpoint), so a checkpoint can name exactly the files that belong to it.
 */
public final class RunStaging {
  private final Lake lake;
  private final String runId;
  private final CompressionCodecName codec;
  private final long rollBytes;
  private final Map<String, TableFileWriter> open = new HashMap<>();
  private final Map<String, Integer> nextPart = new HashMap<>();
  private long bytesWritten;

  /**
   * Row group size of vector tables: 16 MiB keeps a row group's pages queued for the device ({@link
   * DirectOutputFile#IN_FLIGHT} buffers) while the writer buffers the next one.
   */
  static final long ROW_GROUP_BYTES = 16L << 20;

  // Page buffers of every file of the run, reused from file to file. At most 64 MiB are kept:
  // the vector tables' pages of one row group (16 MiB) and the record tables' page buffers.
  private final PooledAllocator allocator = new PooledAllocator(64L << 20);

  public RunStaging(Lake lake, String runId, CompressionCodecName codec, long rollBytes) {
    this.lake = lake;
    this.runId = runId;
    this.codec = codec;
    this.rollBytes = rollBytes;
  }

  public String runId() {
    return runId;
  }

  public Path dir() {
    return lake.staging(runId);
  }

  public void write(String table, Object[] row) {
    TableFileWriter writer = open.computeIfAbsent(table, this::newFile);
    writer.write(row);
    rollIfFull(table, writer);
  }

  /**
   * Writes the rows {prefix..., chunk, offset, length, values} of a vector in chunks of {@code
   * chunk} floats into a chunked-vector table ({@code weights}, {@code gradients}, ...).
   */
  public void writeVector(String table, Object[] prefix, float[] vector, int chunk) {
    TableFileWriter writer = open.computeIfAbsent(table, this::newFile);
    writer.writeVector(prefix, vector, chunk);
    rollIfFull(table, writer);
  }

  /**
   * The same for a vector packed as little-endian float32 bytes, which the writer may hold until
   * its row group is written: {@code release} runs when {@code packed} may be reused.
   */
  public void writeVector(
      String table, Object[] prefix, byte[] packed, int chunk, Runnable release) {
    TableFileWriter writer = open.computeIfAbsent(table, this::newFile);
    writer.writeVector(prefix, packed, chunk, release);
    rollIfFull(table, writer);
  }

  /** Closes a table's open file once it holds {@code rollBytes}; the next write opens another. */
  private void rollIfFull(String table, TableFileWriter writer) {
    if (writer.dataSize() >= rollBytes) {
      closeFile(table);
    }
  }

  /** Total bytes of data handed to Parquet so far (before compression). */
  public long bytesWritten() {
    return bytesWritten;
  }

  private TableFileWriter newFile(String table) {
    int part = nextPart.computeIfAbsent(table, t -> firstFreePart(t));
    nextPart.put(table, part + 1);
    Path path =
        new Path(new Path(dir(), table), String.format(Locale.ROOT, "part-%05d.parquet", part));
    TableSchema schema = SchemaRegistry.schema(table);
    // Uncompressed vector tables take the page-level writer (VectorFileWriter says why).
    if (codec == CompressionCodecName.UNCOMPRESSED && VectorFileWriter.supports(schema)) {
      return new VectorFileWriter(schema, path, lake.conf(), ROW_GROUP_BYTES, allocator);
    }
    return new ParquetRowWriter(schema, path, lake.conf(), codec, allocator);
  }

  private int firstFreePart(String table) {
    return stagedFiles(table).size();
  }

  private void closeFile(String table) {
    TableFileWriter writer = open.remove(table);
    if (writer != null) {
      bytesWritten += writer.dataSize();
      writer.close();
    }
  }

  /** Closes every open file so that all rows written so far are durable. */
  public void closeOpenFiles() {
    for (String table : List.copyOf(open.keySet())) {
      closeFile(table);
    }
  }

  /** Every closed data file of the run, as paths relative to the staging folder. */
  public List<String> stagedFiles() {
    List<String> files = new ArrayList<>();
    for (String table : Tables.RECORDS) {
      for (Path p : stagedFiles(table)) {
        files.add(table + "/" + p.getName());
      }
    }
    return files;
  }

  private List<Path> stagedFiles(String table) {
    Path dir = new Path(dir(), table);
    try {
      if (!lake.fs().exists(dir)) {
        return List.of();
      }
      List<Path> files = new ArrayList<>();
      for (FileStatus status : lake.fs().listStatus(dir)) {
        if (status.getPath().getName().startsWith("part-")) {
          files.add(status.getPath());
        }
      }
      files.sort(null);
      return files;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Deletes staged files a checkpoint does not name: they hold rows recorded after it. */
  public void discardFilesNotIn(Set<String> keep) {
    closeOpenFiles();
    nextPart.clear();
    try {
      for (String file : stagedFiles()) {
        if (!keep.contains(file)) {
          lake.fs().delete(new Path(dir(), file), false);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Deletes the whole staging folder (a fresh start of the run). */
  public void clear() {
    open.values().forEach(TableFileWriter::close);
    open.clear();
    nextPart.clear();
    try {
      lake.fs().delete(dir(), true);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Moves every staged table into its run partition, replacing an earlier partition of the same
   * run, then writes the run's row to {@code runs}: readers see the run only from then on.
   */
  public void commit(Object[] runsRow) {
    closeOpenFiles();
    try {
      for (String table : Tables.RECORDS) {
        Path staged = new Path(dir(), table);
        Path target = lake.partition(table, runId);
        if (lake.fs().exists(target)) {
          lake.fs().delete(target, true);
        }
        if (lake.fs().exists(staged)) {
          lake.fs().mkdirs(target.getParent());
          if (!lake.fs().rename(staged, target)) {
            throw new IOException("rename " + staged + " -> " + target + " failed");
          }
        }
      }
      writeRunsRow(runsRow);
      lake.fs().delete(dir(), true);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot commit run " + runId + ": " + e.getMessage(), e);
    }
  }

  /** Records the run as FAILED in {@code runs}; staged files stay for a resume. */
  public void markFailed(Object[] runsRow) {
    closeOpenFiles();
    writeRunsRow(runsRow);
  }

  private void writeRunsRow(Object[] runsRow) {
    Path partition = lake.partition(Tables.RUNS, runId);
    Path tmp = new Path(partition, ".part-00000.parquet.tmp");
    Path done = new Path(partition, "part-00000.parquet");
    try {
      lake.fs().mkdirs(partition);
      try (ParquetRowWriter writer =
          new ParquetRowWriter(
              SchemaRegistry.schema(Tables.RUNS), tmp, lake.conf(), CompressionCodecName.SNAPPY)) {
        writer.write(runsRow);
      }
      lake.fs().delete(done, false);
      if (!lake.fs().rename(tmp, done)) {
        throw new IOException("rename " + tmp + " -> " + done + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write the runs row of " + runId, e);
    }
  }
}
