package org.sgdlens.lake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

/**
 * The files of one run while it is being written, and the run's commit. Not thread-safe: the
 * recorder confines it to its writer thread. Files roll at {@code rollBytes} and at every {@link
 * #closeOpenFiles()} (a checkpoint), so a checkpoint can name exactly the files that belong to it.
 *
 * <p>The commit (docs/lake.md, "Commit protocol") never renames a folder, so it is the same on a
 * local disk, HDFS and object stores: it writes an intent listing every staged file, then deletes
 * the run's earlier partitions, moves the files one by one (the {@code runs} row last: it is the
 * commit marker) and removes the staging folder. Each step can be repeated, so whoever finds an
 * intent (a rerun after a crash) finishes the commit exactly as it was planned.
 */
public final class RunStaging {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The commit intent: while it exists the run is committing and only rolls forward. */
  static final String INTENT = "_commit.json";

  /** Written once the run's earlier partitions are gone; from then on moved files are the run's. */
  static final String CLEARED = "_commit.cleared";

  private static final int INTENT_FORMAT = 1;

  private final Lake lake;
  private final String runId;
  private final CompressionCodecName codec;
  private final long rollBytes;
  private final Map<String, TableFileWriter> open = new HashMap<>();
  private final Map<String, Integer> nextPart = new HashMap<>();
  private final java.util.Set<String> announced = new java.util.HashSet<>();
  private long bytesWritten;

  /**
   * Row group size of vector tables: 16 MiB keeps a row group's pages queued for the device ({@link
   * DirectOutputFile#IN_FLIGHT} buffers) while the writer buffers the next one.
   */
  static final long ROW_GROUP_BYTES = 16L << 20;

  /**
   * The vector tables' row group size: Parquet's own {@code parquet.block.size} when the lake's
   * Hadoop configuration sets it, else {@link #ROW_GROUP_BYTES}.
   */
  long rowGroupBytes() {
    long bytes = lake.conf().getLong(PARQUET_BLOCK_SIZE, ROW_GROUP_BYTES);
    if (bytes < 1) {
      throw new IllegalArgumentException(
          PARQUET_BLOCK_SIZE + " is " + bytes + "; give a row group size in bytes, e.g. 16777216");
    }
    return bytes;
  }

  /** Parquet-java's key for the row group size. */
  public static final String PARQUET_BLOCK_SIZE = "parquet.block.size";

  // Page buffers of every file of the run, reused from file to file. At most 64 MiB are kept:
  // the vector tables' pages of one row group (16 MiB) and the record tables' page buffers.
  private final PooledAllocator allocator = new PooledAllocator(64L << 20);

  public RunStaging(Lake lake, String runId, CompressionCodecName codec, long rollBytes) {
    this.lake = lake;
    this.runId = RunIds.check("run id", runId);
    this.codec = codec;
    this.rollBytes = rollBytes;
  }

  public String runId() {
    return runId;
  }

  public Path dir() {
    return lake.staging(runId);
  }

  public Lake lake() {
    return lake;
  }

  /** Writes a typed row into its table's open file. */
  public void write(TableRow row) {
    write(row.table(), row.values());
  }

  /** {@link #writeVector(String, Object[], float[], int)} keyed by a typed key. */
  public void writeVector(VectorKey key, float[] vector, int chunk) {
    writeVector(key.table(), key.prefix(), vector, chunk);
  }

  /** {@link #writeVector(String, Object[], byte[], int, Runnable)} keyed by a typed key. */
  public void writeVector(VectorKey key, byte[] packed, int chunk, Runnable release) {
    writeVector(key.table(), key.prefix(), packed, chunk, release);
  }

  public void write(String table, Object[] row) {
    TableFileWriter writer = writer(table);
    writer.write(row);
    afterWrite(table, writer);
  }

  /**
   * Writes the rows {prefix..., chunk, offset, length, values} of a vector in chunks of {@code
   * chunk} floats into a chunked-vector table ({@code weights}, {@code gradients}, ...).
   */
  public void writeVector(String table, Object[] prefix, float[] vector, int chunk) {
    TableFileWriter writer = writer(table);
    writer.writeVector(prefix, vector, chunk);
    afterWrite(table, writer);
  }

  /**
   * The same for a vector packed as little-endian float32 bytes, which the writer may hold until
   * its row group is written: {@code release} runs when {@code packed} may be reused.
   */
  public void writeVector(
      String table, Object[] prefix, byte[] packed, int chunk, Runnable release) {
    TableFileWriter writer = writer(table);
    writer.writeVector(prefix, packed, chunk, release);
    afterWrite(table, writer);
  }

  /**
   * The vectors of one group (the gradients of one ensemble, all keyed for one table) written chunk
   * by chunk into one file ({@link TableFileWriter#writeVectorGroup}): {@code release} runs when
   * the packed vectors may be reused.
   */
  public void writeVectorGroup(
      List<? extends VectorKey> keys, List<byte[]> packed, int chunk, Runnable release) {
    String table = keys.get(0).table();
    List<Object[]> prefixes = new ArrayList<>(keys.size());
    for (VectorKey k : keys) {
      if (!k.table().equals(table)) {
        throw new IllegalArgumentException(
            "A vector group is written into one table; got " + table + " and " + k.table());
      }
      prefixes.add(k.prefix());
    }
    TableFileWriter writer = writer(table);
    writer.writeVectorGroup(prefixes, packed, chunk, release);
    afterWrite(table, writer);
  }

  private TableFileWriter writer(String table) {
    TableFileWriter writer = open.get(table);
    if (writer == null) {
      writer = newFile(table);
      open.put(table, writer);
    }
    return writer;
  }

  /** Marks a file's first rows, and closes it once it holds {@code rollBytes}. */
  private void afterWrite(String table, TableFileWriter writer) {
    if (announced.add(table)) {
      lake.at(CrashPoint.STAGED_FILE_OPENED);
    }
    if (writer.dataSize() >= rollBytes) {
      closeFile(table);
    }
  }

  /** Total bytes of data handed to Parquet so far (before compression). */
  public long bytesWritten() {
    long open = 0;
    for (TableFileWriter w : this.open.values()) {
      open += w.dataSize();
    }
    return bytesWritten + open;
  }

  private TableFileWriter newFile(String table) {
    int part = nextPart.computeIfAbsent(table, t -> firstFreePart(t));
    nextPart.put(table, part + 1);
    Path path =
        new Path(new Path(dir(), table), String.format(Locale.ROOT, "part-%05d.parquet", part));
    TableSchema schema = SchemaRegistry.schema(table);
    try {
      // Uncompressed vector tables take the page-level writer (VectorFileWriter says why).
      if (codec == CompressionCodecName.UNCOMPRESSED && VectorFileWriter.supports(schema)) {
        return new VectorFileWriter(schema, path, lake.conf(), rowGroupBytes(), allocator);
      }
      return new ParquetRowWriter(schema, path, lake.conf(), codec, allocator);
    } catch (RuntimeException e) {
      throw LakeErrors.wrap("Cannot create " + path, e, lake);
    }
  }

  private int firstFreePart(String table) {
    return stagedFiles(table).size();
  }

  private void closeFile(String table) {
    TableFileWriter writer = open.remove(table);
    announced.remove(table);
    if (writer != null) {
      bytesWritten += writer.dataSize();
      try {
        writer.close();
      } catch (RuntimeException e) {
        throw LakeErrors.wrap("Cannot close " + writer.path(), e, lake);
      }
    }
  }

  /** Closes every open file so that all rows written so far are durable. */
  public void closeOpenFiles() {
    RuntimeException first = null;
    for (String table : List.copyOf(open.keySet())) {
      try {
        closeFile(table);
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  /** A closed staged data file: its path relative to the staging folder, and its size. */
  public record StagedFile(String name, long bytes) {}

  /** Every closed data file of the run, as paths relative to the staging folder. */
  public List<String> stagedFiles() {
    return stagedFilesWithSizes().stream().map(StagedFile::name).toList();
  }

  /** Every closed data file of the run with its size (a checkpoint records both). */
  public List<StagedFile> stagedFilesWithSizes() {
    List<StagedFile> files = new ArrayList<>();
    for (String table : Tables.STAGED) {
      for (FileStatus s : stagedFiles(table)) {
        files.add(new StagedFile(table + "/" + s.getPath().getName(), s.getLen()));
      }
    }
    return files;
  }

  private List<FileStatus> stagedFiles(String table) {
    Path dir = new Path(dir(), table);
    try {
      if (!lake.fs().exists(dir)) {
        return List.of();
      }
      List<FileStatus> files = new ArrayList<>();
      for (FileStatus status : lake.fs().listStatus(dir)) {
        if (status.getPath().getName().startsWith("part-")) {
          files.add(status);
        }
      }
      files.sort((a, b) -> a.getPath().getName().compareTo(b.getPath().getName()));
      return files;
    } catch (IOException e) {
      throw LakeErrors.wrap("Cannot list " + dir, e, lake);
    }
  }

  /**
   * Keeps exactly the staged files a checkpoint names, with the sizes it recorded, and deletes the
   * others (they hold rows recorded after it).
   *
   * @return false, deleting nothing, when a named file is missing or has another size: the
   *     checkpoint cannot be resumed from
   */
  public boolean keepOnly(List<StagedFile> keep) {
    closeOpenFiles();
    nextPart.clear();
    Map<String, Long> sizes = new HashMap<>();
    for (StagedFile f : keep) {
      sizes.put(f.name(), f.bytes());
    }
    List<StagedFile> present = stagedFilesWithSizes();
    long matched =
        present.stream().filter(f -> Long.valueOf(f.bytes()).equals(sizes.get(f.name()))).count();
    if (matched != keep.size()) {
      return false;
    }
    try {
      for (StagedFile f : present) {
        if (!sizes.containsKey(f.name())) {
          lake.fs().delete(new Path(dir(), f.name()), false);
        }
      }
      return true;
    } catch (IOException e) {
      throw LakeErrors.wrap("Cannot delete staged files of run " + runId, e, lake);
    }
  }

  /** Deletes the whole staging folder (a fresh start of the run). */
  public void clear() {
    for (TableFileWriter w : open.values()) {
      try {
        w.close();
      } catch (RuntimeException e) {
        // The folder goes anyway.
      }
    }
    open.clear();
    announced.clear();
    nextPart.clear();
    try {
      lake.fs().delete(dir(), true);
    } catch (IOException e) {
      throw LakeErrors.wrap("Cannot delete " + dir(), e, lake);
    }
  }

  /** A planned commit: the files to move, the {@code runs} row last. */
  public record Intent(String runId, List<StagedFile> files) {}

  /** The intent of a commit that started and did not finish, if there is one. */
  public Optional<Intent> pendingCommit() {
    Path path = new Path(dir(), INTENT);
    try {
      if (!lake.fs().exists(path)) {
        return Optional.empty();
      }
      try (InputStream in = lake.fs().open(path)) {
        return Optional.of(parseIntent(in.readAllBytes(), path));
      }
    } catch (IOException e) {
      throw LakeErrors.wrap("Cannot read the commit intent " + path, e, lake);
    }
  }

  /**
   * Commits the run: every staged file moves into its table partition, replacing the run's earlier
   * partitions (and its analysis results), and {@code runsRow} becomes its row in {@code runs},
   * last. Readers see the whole run from that instant, never a part of it.
   */
  public void commit(RunsRow runsRow, RunLease lease) {
    commit(runsRow.values(), lease);
  }

  /** {@link #commit(Object[], RunLease)} of the file columns of {@code runs}, in schema order. */
  public void commit(Object[] runsRow, RunLease lease) {
    closeOpenFiles();
    lease.verify();
    Path runsFile = new Path(new Path(dir(), Tables.RUNS), "part-00000.parquet");
    try {
      lake.fs().delete(runsFile.getParent(), true);
      try (ParquetRowWriter writer =
          new ParquetRowWriter(
              SchemaRegistry.schema(Tables.RUNS),
              runsFile,
              lake.conf(),
              CompressionCodecName.SNAPPY)) {
        writer.write(runsRow);
      }
      List<StagedFile> files = new ArrayList<>(stagedFilesWithSizes());
      files.add(new StagedFile(Tables.RUNS + "/" + runsFile.getName(), size(runsFile)));
      lake.at(CrashPoint.COMMIT_STAGED);
      Intent intent = new Intent(runId, files);
      writeAtomically(new Path(dir(), INTENT), encodeIntent(intent));
      lake.at(CrashPoint.COMMIT_INTENT_WRITTEN);
      rollForward(intent, lease);
    } catch (IOException e) {
      throw LakeErrors.wrap("Cannot commit run " + runId, e, lake);
    }
  }

  /** {@link #commit(Object[], RunLease)} under a lease taken and released here. */
  public void commit(Object[] runsRow) {
    try (RunLease lease = RunLease.acquire(lake, runId)) {
      commit(runsRow, lease);
    }
  }

  /**
   * Finishes a commit from its intent. Every step is idempotent: a file already in its partition is
   * not moved again, and the partitions are cleared only once ({@link #CLEARED}).
   */
  public void rollForward(Intent intent, RunLease lease) {
    lease.verify();
    try {
      Path cleared = new Path(dir(), CLEARED);
      if (!lake.fs().exists(cleared)) {
        // The runs row goes first: from here the run is invisible until its new row is in place.
        lake.fs().delete(lake.partition(Tables.RUNS, runId), true);
        for (String table : Tables.RECORDS) {
          lake.fs().delete(lake.partition(table, runId), true);
        }
        for (String table : Tables.RESULTS) {
          lake.fs().delete(lake.partition(table, runId), true);
        }
        writeAtomically(cleared, new byte[0]);
      }
      lake.at(CrashPoint.COMMIT_PARTITIONS_CLEARED);
      for (StagedFile file : intent.files()) {
        move(file);
        lake.at(
            file.name().startsWith(Tables.RUNS + "/")
                ? CrashPoint.COMMIT_RUNS_ROW_MOVED
                : CrashPoint.COMMIT_FILE_MOVED);
      }
      lake.fs().delete(dir(), true);
      lake.at(CrashPoint.COMMIT_STAGING_REMOVED);
    } catch (IOException e) {
      throw LakeErrors.wrap("Cannot commit run " + runId, e, lake);
    }
  }

  private void move(StagedFile file) throws IOException {
    int slash = file.name().indexOf('/');
    String table = file.name().substring(0, slash);
    String name = file.name().substring(slash + 1);
    Path source = new Path(dir(), file.name());
    Path target = new Path(lake.partition(table, runId), name);
    if (!lake.fs().exists(target)) {
      if (!lake.fs().exists(source)) {
        throw new IllegalStateException(
            "Run "
                + runId
                + " cannot be committed: its file "
                + file.name()
                + " is neither in "
                + dir()
                + " nor in "
                + target.getParent()
                + ". Something other than sgdlens deleted it; delete "
                + dir()
                + " and "
                + new Path(dir(), INTENT)
                + " and train the run again");
      }
      lake.fs().mkdirs(target.getParent());
      if (!lake.fs().rename(source, target) && !lake.fs().exists(target)) {
        throw new IOException("rename " + source + " -> " + target + " failed");
      }
    } else if (lake.fs().exists(source)) {
      // An object store's rename copies, then deletes: the copy is whole, the source is left over.
      lake.fs().delete(source, false);
    }
    long size = size(target);
    if (size != file.bytes()) {
      throw new IllegalStateException(
          "Run "
              + runId
              + " cannot be committed: "
              + target
              + " has "
              + size
              + " bytes where the commit intent says "
              + file.bytes()
              + "; the file was changed outside sgdlens. Train the run again with --overwrite");
    }
  }

  private long size(Path file) throws IOException {
    return lake.fs().getFileStatus(file).getLen();
  }

  /**
   * Records the run as FAILED in {@code runs}; staged files stay for a resume. A run that is
   * committed already (a failed --overwrite) keeps its committed row: it is still whole.
   */
  public void markFailed(RunsRow runsRow) {
    markFailed(runsRow.values());
  }

  public void markFailed(Object[] runsRow) {
    try {
      closeOpenFiles();
    } finally {
      // A run with a commit intent is committing: the next writer finishes it, and a FAILED row
      // in the cleared runs partition would stand where the commit puts the COMMITTED one.
      if (!lake.exists(new Path(dir(), INTENT))
          && !lake.runStatus(runId).filter(RunStatus.COMMITTED.name()::equals).isPresent()) {
        writeRunsRow(runsRow);
        lake.at(CrashPoint.FAILED_ROW_WRITTEN);
      }
    }
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
    } catch (IOException | RuntimeException e) {
      throw LakeErrors.wrap("Cannot write the runs row of " + runId, e, lake);
    }
  }

  /** Writes a small file whole or not at all: a temporary file, then a rename to the name. */
  private void writeAtomically(Path path, byte[] bytes) throws IOException {
    Path tmp = new Path(path.getParent(), "." + path.getName() + ".tmp");
    lake.fs().mkdirs(path.getParent());
    try (OutputStream out = lake.fs().create(tmp, true)) {
      out.write(bytes);
    }
    lake.fs().delete(path, false);
    if (!lake.fs().rename(tmp, path)) {
      throw new IOException("rename " + tmp + " -> " + path + " failed");
    }
  }

  private byte[] encodeIntent(Intent intent) {
    ObjectNode root = JSON.createObjectNode();
    root.put("format", INTENT_FORMAT);
    root.put("run_id", intent.runId());
    ArrayNode files = root.putArray("files");
    for (StagedFile f : intent.files()) {
      files.addObject().put("name", f.name()).put("bytes", f.bytes());
    }
    String body = root.toString();
    CRC32 crc = new CRC32();
    crc.update(body.getBytes(StandardCharsets.UTF_8));
    root.put("crc32", crc.getValue());
    return root.toString().getBytes(StandardCharsets.UTF_8);
  }

  private Intent parseIntent(byte[] bytes, Path path) {
    try {
      ObjectNode root = (ObjectNode) JSON.readTree(bytes);
      long crc = root.path("crc32").asLong(-1);
      root.remove("crc32");
      CRC32 check = new CRC32();
      check.update(root.toString().getBytes(StandardCharsets.UTF_8));
      if (crc != check.getValue() || root.path("format").asInt() != INTENT_FORMAT) {
        throw new IllegalStateException("checksum or format mismatch");
      }
      List<StagedFile> files = new ArrayList<>();
      for (JsonNode f : root.path("files")) {
        files.add(new StagedFile(f.get("name").asText(), f.get("bytes").asLong()));
      }
      return new Intent(root.path("run_id").asText(), List.copyOf(files));
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException(
          "The commit intent "
              + path
              + " of run "
              + runId
              + " is damaged ("
              + e.getMessage()
              + "), so the interrupted commit cannot be finished. Delete "
              + dir()
              + " and train the run again (with --overwrite if it was committed before)",
          e);
    }
  }
}
