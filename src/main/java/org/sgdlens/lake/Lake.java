package org.sgdlens.lake;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.schema.GroupType;

/**
 * The lake's folder layout: {@code <root>/<table>/run_id=<id>/part-NNNNN.parquet}, one folder per
 * table named after its schema file, Hive-style run partitions (Spark, DuckDB and pyarrow all
 * discover them). A run's files are written under {@code <root>/_staging/run_id=<id>/} and moved in
 * place on commit; the run's row in {@code runs} is written last and is the commit marker.
 */
public final class Lake {
  public static final String RUN_ID = "run_id";

  /** The lake of a job given no {@code --lake}: {@code lake} under the working folder. */
  public static final String LOCATION_DEFAULT = "./lake";

  /** Top-level folder of runs being written; readers never look inside. */
  public static final String STAGING_DIR = "_staging";

  /** Top-level folder of the writers' leases, one file per run id being written. */
  public static final String LEASES_DIR = "_leases";

  /** Hadoop/Java property: verify Parquet page checksums on every read (parquet-java's key). */
  public static final String VERIFY_CHECKSUMS = "parquet.page.verify-checksum.enabled";

  /** Sees every named step of the commit and checkpoint protocols (tests stop a run there). */
  @FunctionalInterface
  public interface Hook {
    void at(CrashPoint point);
  }

  private static final Hook NO_HOOK = point -> {};

  /**
   * Java property for crash tests of whole processes (bench/crash-kill): {@code POINT[#k]:millis}
   * makes the k-th (default first) arrival at that {@link CrashPoint} print {@code sgdlens: pausing
   * at POINT#k} on stderr and sleep, so that a kill -9 lands inside the step. Unset in production.
   */
  public static final String PAUSE_AT = "sgdlens.lake.pause-at";

  private static Hook defaultHook() {
    String spec = System.getProperty(PAUSE_AT);
    if (spec == null || spec.isBlank()) {
      return NO_HOOK;
    }
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("([A-Z_]+)(?:#(\\d+))?:(\\d+)").matcher(spec.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          PAUSE_AT + " is '" + spec + "'; use POINT[#k]:millis, e.g. COMMIT_FILE_MOVED#2:3000");
    }
    CrashPoint point = CrashPoint.valueOf(m.group(1));
    int occurrence = m.group(2) == null ? 1 : Integer.parseInt(m.group(2));
    long millis = Long.parseLong(m.group(3));
    java.util.concurrent.atomic.AtomicInteger seen =
        new java.util.concurrent.atomic.AtomicInteger();
    return p -> {
      if (p == point && seen.incrementAndGet() == occurrence) {
        System.err.println("sgdlens: pausing at " + point + "#" + occurrence);
        System.err.flush();
        try {
          Thread.sleep(millis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
  }

  private final Path root;
  private final Configuration conf;
  private final FileSystem fs;
  private final Hook hook;

  private Lake(Path root, Configuration conf, FileSystem fs, Hook hook) {
    this.root = root;
    this.conf = conf;
    this.fs = fs;
    this.hook = hook;
  }

  /** The same lake with {@code hook} told of every protocol step. */
  public Lake withHook(Hook hook) {
    return new Lake(root, conf, fs, hook);
  }

  /** Marks a named step of the commit or checkpoint protocol. */
  public void at(CrashPoint point) {
    hook.at(point);
  }

  /** Opens (and creates if needed) a lake at a local path or any Hadoop URI. */
  public static Lake open(String location) {
    return open(location, new Configuration());
  }

  public static Lake open(String location, Configuration conf) {
    if (location == null || location.isBlank()) {
      throw new IllegalArgumentException(
          "--lake is empty; give a folder or a Hadoop URI such as ./lake");
    }
    try {
      Path path = new Path(location);
      FileSystem fs = path.getFileSystem(conf);
      // Keep the lake free of .crc side files so every Parquet reader sees only data files.
      fs.setWriteChecksum(false);
      fs.setVerifyChecksum(false);
      // Parquet's own page checksums (written by every writer of the lake) are verified instead.
      conf.setBoolean(VERIFY_CHECKSUMS, true);
      Path qualified = fs.makeQualified(path);
      fs.mkdirs(qualified);
      return new Lake(qualified, conf, fs, defaultHook());
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot open the lake at '"
              + location
              + "': "
              + e.getMessage()
              + "; check the path exists and is writable",
          e);
    }
  }

  public Path root() {
    return root;
  }

  public URI uri() {
    return root.toUri();
  }

  public Configuration conf() {
    return conf;
  }

  public FileSystem fs() {
    return fs;
  }

  public Path table(String table) {
    return new Path(root, table);
  }

  /** A run's partition folder of a table; the run id must follow {@link RunIds#RULE}. */
  public Path partition(String table, String runId) {
    return new Path(table(table), RUN_ID + "=" + RunIds.check("run id", runId));
  }

  public Path staging(String runId) {
    return new Path(new Path(root, STAGING_DIR), RUN_ID + "=" + RunIds.check("run id", runId));
  }

  public Path lease(String runId) {
    return new Path(new Path(root, LEASES_DIR), RunIds.check("run id", runId) + ".lease");
  }

  public boolean exists(Path path) {
    try {
      return fs.exists(path);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The status recorded in {@code runs} for a run, if the run has a row. */
  public Optional<String> runStatus(String runId) {
    return runField(runId, "status");
  }

  /**
   * A string column of the run's row in {@code runs}, if the run has a row and the value is set.
   */
  public Optional<String> runField(String runId, String column) {
    return runRow(runId).map(row -> (String) row.get(column));
  }

  /**
   * The run's row in {@code runs}, column name to value (String, Integer, Long, Double or Boolean;
   * timestamps as the stored long; null where the row holds no value), if the run has a row.
   */
  public Optional<java.util.Map<String, Object>> runRow(String runId) {
    Path partition = partition(Tables.RUNS, runId);
    try {
      if (!fs.exists(partition)) {
        return Optional.empty();
      }
      for (Path file : dataFiles(partition)) {
        try (ParquetReader<Group> reader = reader(file)) {
          Group row = reader.read();
          if (row != null) {
            return Optional.of(values(row));
          }
        }
      }
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the runs row of " + runId, e);
    }
  }

  private static java.util.Map<String, Object> values(Group row) {
    java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
    org.apache.parquet.schema.GroupType type = row.getType();
    for (int i = 0; i < type.getFieldCount(); i++) {
      String name = type.getFieldName(i);
      if (row.getFieldRepetitionCount(i) == 0) {
        out.put(name, null);
        continue;
      }
      out.put(
          name,
          switch (type.getType(i).asPrimitiveType().getPrimitiveTypeName()) {
            case BINARY -> row.getString(i, 0);
            case INT32 -> row.getInteger(i, 0);
            case INT64 -> row.getLong(i, 0);
            case DOUBLE -> row.getDouble(i, 0);
            case FLOAT -> row.getFloat(i, 0);
            case BOOLEAN -> row.getBoolean(i, 0);
            default -> row.getValueToString(i, 0);
          });
    }
    return out;
  }

  /**
   * Reassembles a chunked vector table partition (e.g. {@code final_params}) of a run whose rows
   * have {@code chunk_offset} (or, in files older than its rename, {@code offset}) and {@code
   * values}; {@code length} is the vector's length.
   */
  public float[] readVector(String table, String runId, int length) {
    float[] out = new float[length];
    Path partition = partition(table, runId);
    try {
      if (!fs.exists(partition)) {
        throw new IllegalArgumentException(
            "Run " + runId + " has no " + table + " in " + root + "; train it first (jobs/train)");
      }
      for (Path file : dataFiles(partition)) {
        try (ParquetReader<Group> reader = reader(file)) {
          String offset = null;
          for (Group row = reader.read(); row != null; row = reader.read()) {
            if (offset == null) {
              offset = fileName(row.getType(), table, Columns.CHUNK_OFFSET);
            }
            float[] chunk = VectorChunks.unpack(row.getBinary("values", 0).getBytes());
            System.arraycopy(chunk, 0, out, (int) row.getLong(offset, 0), chunk.length);
          }
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + table + " of run " + runId, e);
    }
  }

  /**
   * The name a file holds a column under: its current name, or a former one (the schema file's
   * {@code "renamed"}) in files written before the rename.
   */
  private static String fileName(GroupType file, String table, String column) {
    if (file.containsField(column)) {
      return column;
    }
    for (String former : SchemaRegistry.schema(table).formerNames(column)) {
      if (file.containsField(former)) {
        return former;
      }
    }
    throw new IllegalStateException(
        "A file of table "
            + table
            + " has no column "
            + column
            + " (nor a former name of it); its columns are "
            + file.getFields().stream().map(org.apache.parquet.schema.Type::getName).toList()
            + ". Was it written by sgdlens?");
  }

  /** The Parquet data files of a partition (no hidden, temporary or marker files). */
  private java.util.List<Path> dataFiles(Path partition) throws IOException {
    java.util.List<Path> files = new java.util.ArrayList<>();
    for (FileStatus file : fs.listStatus(partition)) {
      String name = file.getPath().getName();
      if (name.endsWith(".parquet") && !name.startsWith(".") && !name.startsWith("_")) {
        files.add(file.getPath());
      }
    }
    return files;
  }

  private ParquetReader<Group> reader(Path file) throws IOException {
    return ParquetReader.builder(new GroupReadSupport(), file).withConf(conf).build();
  }

  @Override
  public String toString() {
    return root.toString();
  }
}
