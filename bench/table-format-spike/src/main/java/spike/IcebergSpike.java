package spike;

import java.io.File;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.*;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.iceberg.*;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.hadoop.HadoopTables;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.mapping.MappingUtil;
import org.apache.iceberg.mapping.NameMapping;
import org.apache.iceberg.mapping.NameMappingParser;
import org.apache.iceberg.parquet.ParquetUtil;
import org.apache.iceberg.types.Conversions;
import org.apache.iceberg.types.Types;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * Spike: commit Parquet files written by plain parquet-java (no Iceberg field ids, no run_id
 * column inside the file: it is the Hive partition, as in sgdlens) into Iceberg tables.
 */
public class IcebergSpike {
  // sgdlens' metrics file columns (schemas/metrics.json minus the partition column), no field ids.
  static final MessageType FILE_TYPE = MessageTypeParser.parseMessageType(
      "message metrics { required int64 step; required double epoch; required double train_loss;"
          + " required double train_accuracy; optional double clean_accuracy; optional double mislabeled_fit;"
          + " optional double mislabeled_true_accuracy; required double test_loss; required double test_accuracy;"
          + " optional double minibatch_loss; required double wall_seconds; }");

  // The table schema: run_id first, as in schemas/metrics.json (so fallback position ids do NOT line up).
  static final Schema SCHEMA = new Schema(
      Types.NestedField.required(1, "run_id", Types.StringType.get()),
      Types.NestedField.required(2, "step", Types.LongType.get()),
      Types.NestedField.required(3, "epoch", Types.DoubleType.get()),
      Types.NestedField.required(4, "train_loss", Types.DoubleType.get()),
      Types.NestedField.required(5, "train_accuracy", Types.DoubleType.get()),
      Types.NestedField.optional(6, "clean_accuracy", Types.DoubleType.get()),
      Types.NestedField.optional(7, "mislabeled_fit", Types.DoubleType.get()),
      Types.NestedField.optional(8, "mislabeled_true_accuracy", Types.DoubleType.get()),
      Types.NestedField.required(9, "test_loss", Types.DoubleType.get()),
      Types.NestedField.required(10, "test_accuracy", Types.DoubleType.get()),
      Types.NestedField.optional(11, "minibatch_loss", Types.DoubleType.get()),
      Types.NestedField.required(12, "wall_seconds", Types.DoubleType.get()));
  static final PartitionSpec SPEC = PartitionSpec.builderFor(SCHEMA).identity("run_id").build();
  static final String[] RUN_TABLES = {"runs", "param_layout", "samples", "metrics", "weights", "gradients",
      "sample_losses", "final_params"};

  static Configuration conf;
  static FileSystem fs;

  public static void main(String[] args) throws Exception {
    conf = new Configuration();
    fs = FileSystem.getLocal(conf);
    // As sgdlens' Lake.open: no .crc side files (the cached FS instance is shared with Iceberg's HadoopFileIO).
    boolean crc = Boolean.getBoolean("spike.crc");
    fs.setWriteChecksum(crc);
    fs.setVerifyChecksum(crc);
    String mode = args[0];
    String dir = new File(args[1]).getAbsolutePath();
    switch (mode) {
      case "mapping" -> mapping(dir);
      case "bench" -> bench(dir, Integer.parseInt(args[2]), Integer.parseInt(args[3]));
      case "growth" -> growth(dir, Integer.parseInt(args[2]));
      case "lifecycle" -> lifecycle(dir);
      case "duckdb-ext" -> duckdbExt();
      case "make" -> make(dir);
      case "baseline" -> baseline(dir, Integer.parseInt(args[2]));
      default -> throw new IllegalArgumentException(mode);
    }
  }

  /** Writes one plain parquet-java file (example Group writer), rows steps [from, from+rows). */
  static Path writePlain(Path path, long from, int rows, double tag) throws Exception {
    SimpleGroupFactory f = new SimpleGroupFactory(FILE_TYPE);
    try (ParquetWriter<Group> w = ExampleParquetWriter.builder(path).withConf(conf).withType(FILE_TYPE)
        .withCompressionCodec(CompressionCodecName.SNAPPY).withWriteMode(org.apache.parquet.hadoop.ParquetFileWriter.Mode.OVERWRITE).build()) {
      for (long s = from; s < from + rows; s++) {
        Group g = f.newGroup().append("step", s).append("epoch", s / 100.0).append("train_loss", tag + 1.0 / (s + 1))
            .append("train_accuracy", 0.5).append("clean_accuracy", 0.6).append("test_loss", 2.0)
            .append("test_accuracy", 0.4).append("wall_seconds", s * 0.01);
        if (s > 0) g.append("minibatch_loss", 1.5);
        w.write(g);
      }
    }
    return path;
  }

  static Table create(String location, boolean withMapping) {
    Map<String, String> props = new HashMap<>();
    if (withMapping) {
      props.put(TableProperties.DEFAULT_NAME_MAPPING, NameMappingParser.toJson(MappingUtil.create(SCHEMA)));
    }
    return new HadoopTables(conf).create(SCHEMA, SPEC, props, location);
  }

  static NameMapping mapping(Table t) {
    String json = t.properties().get(TableProperties.DEFAULT_NAME_MAPPING);
    return json == null ? null : NameMappingParser.fromJson(json);
  }

  static DataFile dataFile(Table t, Path file, String runId) {
    InputFile in = t.io().newInputFile(file.toString());
    Metrics m = ParquetUtil.fileMetrics(in, MetricsConfig.forTable(t), mapping(t));
    return DataFiles.builder(t.spec()).withPath(file.toString()).withFormat(FileFormat.PARQUET)
        .withFileSizeInBytes(in.getLength()).withPartitionPath("run_id=" + runId).withMetrics(m).build();
  }

  static Path dataPath(Table t, String runId, String name) {
    return new Path(t.location() + "/data/run_id=" + runId + "/" + name);
  }

  static String bounds(Table t, DataFile df) {
    StringBuilder sb = new StringBuilder();
    for (Types.NestedField f : t.schema().columns()) {
      if (df.lowerBounds() != null && df.lowerBounds().containsKey(f.fieldId())) {
        Object lo = Conversions.fromByteBuffer(f.type(), df.lowerBounds().get(f.fieldId()));
        Object hi = Conversions.fromByteBuffer(f.type(), df.upperBounds().get(f.fieldId()));
        sb.append(f.name()).append("=[").append(lo).append(",").append(hi).append("] ");
      }
    }
    return "records=" + df.recordCount() + " valueCounts(ids)=" + df.valueCounts().keySet() + " bounds: " + sb;
  }

  /**
   * A generic Java read that applies the table's name mapping (IcebergGenerics does not: its
   * GenericReader never passes schema.name-mapping.default to the Parquet reader).
   */
  static List<Record> readMapped(Table t, org.apache.iceberg.expressions.Expression filter) throws Exception {
    List<Record> out = new ArrayList<>();
    NameMapping nm = mapping(t);
    try (var tasks = t.newScan().filter(filter).planFiles()) {
      for (FileScanTask task : tasks) {
        Map<Integer, ?> constants = org.apache.iceberg.util.PartitionUtil.constantsMap(task,
            org.apache.iceberg.data.IdentityPartitionConverters::convertConstant);
        org.apache.iceberg.parquet.Parquet.ReadBuilder b = org.apache.iceberg.parquet.Parquet.read(t.io().newInputFile(task.file().location()))
            .project(t.schema()).filter(task.residual())
            .createReaderFunc(fileType -> org.apache.iceberg.data.parquet.GenericParquetReaders.buildReader(t.schema(), fileType, constants));
        if (nm != null) b = b.withNameMapping(nm);
        try (CloseableIterable<Record> rows = b.build()) {
          org.apache.iceberg.expressions.Evaluator ev = new org.apache.iceberg.expressions.Evaluator(t.schema().asStruct(), task.residual());
          for (Record r : rows) if (ev.eval(r)) out.add(r.copy());
        }
      }
    }
    return out;
  }

  static void printChain(String what, Throwable e) {
    System.out.println(what + " FAILED: " + e);
    for (Throwable c = e.getCause(); c != null; c = c.getCause()) System.out.println("  caused by " + c);
  }

  /** Q1: does committing files without field ids work, with and without the name mapping? */
  static void mapping(String dir) throws Exception {
    for (boolean withMapping : new boolean[] {false, true}) {
      System.out.println("=== table " + (withMapping ? "WITH" : "WITHOUT") + " schema.name-mapping.default ===");
      Table t = create(dir + "/metrics_" + (withMapping ? "mapped" : "unmapped"), withMapping);
      Path file = writePlain(dataPath(t, "r1", "part-00000.parquet"), 0, 1000, 0);
      DataFile df;
      try {
        df = dataFile(t, file, "r1");
        System.out.println("fileMetrics OK: records=" + df.recordCount() + " value counts keyed by field ids " + df.valueCounts().keySet());
      } catch (Exception e) { printChain("fileMetrics", e); continue; }
      try {
        System.out.println("bounds: " + bounds(t, df));
      } catch (Exception e) {
        printChain("decoding bounds with the table schema", e);
        System.out.println("raw lower bound of field id 1 (run_id, a string): " + df.lowerBounds().get(1).remaining() + " bytes"
            + " -> the file's 1st column (step, int64) was given fallback id 1");
      }
      try {
        t.newAppend().appendFile(df).commit();
        System.out.println("append committed, snapshot " + t.currentSnapshot().snapshotId());
      } catch (Exception e) { printChain("append", e); continue; }
      try {
        long planned = size(t.newScan().filter(Expressions.greaterThanOrEqual("step", 500)).planFiles());
        long prunedTo = size(t.newScan().filter(Expressions.greaterThanOrEqual("step", 5000)).planFiles());
        long runR2 = size(t.newScan().filter(Expressions.equal("run_id", "r2")).planFiles());
        System.out.println("planFiles(step>=500) = " + planned + " file(s); planFiles(step>=5000) = " + prunedTo
            + "; planFiles(run_id='r2') = " + runR2 + " (0 = pruned)");
      } catch (Exception e) { printChain("scan planning", e); }
      try (CloseableIterable<Record> rows = IcebergGenerics.read(t)
          .where(Expressions.greaterThanOrEqual("step", 998)).build()) {
        int n = 0;
        for (Record r : rows) if (n++ < 1) System.out.println("IcebergGenerics row: " + r);
        System.out.println("IcebergGenerics rows with step>=998: " + n + " (expected 2)");
      } catch (Exception e) { printChain("IcebergGenerics.read", e); }
      try {
        List<Record> rows = readMapped(t, Expressions.greaterThanOrEqual("step", 998));
        System.out.println("Parquet.read(..).withNameMapping rows with step>=998: " + rows.size() + " (expected 2); first: " + (rows.isEmpty() ? "-" : rows.get(0)));
      } catch (Exception e) { printChain("Parquet.read with name mapping", e); }
    }
  }

  static long listCount(File dir) { File[] f = dir.listFiles(); return f == null ? 0 : f.length; }

  /** name -> size; a file rewritten since {@code since} counts as changed (version-hint.text). */
  static Map<String, Long> listing(File dir) {
    Map<String, Long> m = new TreeMap<>();
    File[] fs = dir.listFiles();
    if (fs != null) for (File f : fs) m.put(f.getName(), f.length());
    return m;
  }
  static long since;
  static boolean changed(File dir, String name, Long size, Map<String, Long> before) {
    return !size.equals(before.get(name)) || new File(dir, name).lastModified() >= since;
  }

  /** Q1 timing: {runs} runs, each commits one file into each of 8 tables (one append per table). */
  static void bench(String dir, int runs, int filesPerTable) throws Exception {
    long t0 = System.nanoTime();
    Map<String, Table> tables = new LinkedHashMap<>();
    for (String name : RUN_TABLES) tables.put(name, create(dir + "/" + name, true));
    System.out.printf("create 8 tables: %.1f ms (cold JVM)%n", (System.nanoTime() - t0) / 1e6);
    // write all files first (not timed: sgdlens already writes them today)
    for (int r = 0; r < runs; r++) {
      for (Table t : tables.values()) {
        for (int f = 0; f < filesPerTable; f++) writePlain(dataPath(t, "run" + r, String.format("part-%05d.parquet", f)), f * 1000L, 1000, r);
      }
    }
    List<Double> perCommit = new ArrayList<>(), perRun = new ArrayList<>(), metricsMs = new ArrayList<>();
    Map<String, Long> before = listing(new File(dir + "/metrics/metadata"));
    for (int r = 0; r < runs; r++) {
      since = System.currentTimeMillis() - 1;
      Thread.sleep(2);
      long runStart = System.nanoTime();
      for (Table t : tables.values()) {
        long m0 = System.nanoTime();
        List<DataFile> dfs = new ArrayList<>();
        for (int f = 0; f < filesPerTable; f++) dfs.add(dataFile(t, dataPath(t, "run" + r, String.format("part-%05d.parquet", f)), "run" + r));
        long c0 = System.nanoTime();
        AppendFiles app = t.newAppend();
        dfs.forEach(app::appendFile);
        app.commit();
        long c1 = System.nanoTime();
        metricsMs.add((c0 - m0) / 1e6);
        perCommit.add((c1 - c0) / 1e6);
      }
      perRun.add((System.nanoTime() - runStart) / 1e6);
      if (r == 0 || r == runs - 1) {
        Map<String, Long> after = listing(new File(dir + "/metrics/metadata"));
        System.out.println("run " + r + ": new/changed files in metrics/metadata by this run's commit:");
        long bytes = 0;
        for (var e : after.entrySet()) {
          if (changed(new File(dir + "/metrics/metadata"), e.getKey(), e.getValue(), before)) {
            System.out.println("   " + e.getKey() + "  " + e.getValue() + " B");
            bytes += e.getValue();
          }
        }
        System.out.println("   total " + bytes + " B; metadata folder now " + after.size() + " files, "
            + after.values().stream().mapToLong(Long::longValue).sum() + " B");
      }
      before = listing(new File(dir + "/metrics/metadata"));
    }
    System.out.println("first run (cold): 8 commits " + fmt(perRun.get(0)) + " ms; its commits: " + perCommit.subList(0, 8).stream().map(IcebergSpike::fmt).toList());
    List<Double> warmC = perCommit.subList(8, perCommit.size()), warmR = perRun.subList(1, perRun.size()), warmM = metricsMs.subList(8, metricsMs.size());
    System.out.println("warm, one append commit (" + filesPerTable + " file(s)): " + stats(warmC));
    System.out.println("warm, fileMetrics (footer read) per table: " + stats(warmM));
    System.out.println("warm, one run = 8 tables (metrics+commit): " + stats(warmR));
    System.out.println("snapshots in metrics: " + size(tables.get("metrics").snapshots()));
  }

  static int size(Iterable<?> it) { int n = 0; for (Object o : it) n++; return n; }
  static String fmt(double d) { return String.format("%.1f", d); }
  static String stats(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs); Collections.sort(s);
    return String.format("n=%d min=%.1f median=%.1f p90=%.1f max=%.1f ms", s.size(), s.get(0), s.get(s.size() / 2),
        s.get((int) (s.size() * 0.9)), s.get(s.size() - 1));
  }

  /** Metadata growth: n single-file appends to one table, sizes of the newest metadata.json. */
  static void growth(String dir, int n) throws Exception {
    Table t = create(dir + "/metrics", true);
    List<Double> ms = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      Path p = writePlain(dataPath(t, "run" + r, "part-00000.parquet"), 0, 100, r);
      long c0 = System.nanoTime();
      t.newAppend().appendFile(dataFile(t, p, "run" + r)).commit();
      ms.add((System.nanoTime() - c0) / 1e6);
      if (r + 1 == 1 || r + 1 == 10 || r + 1 == 100 || r + 1 == 200 || r + 1 == n) {
        File md = new File(dir + "/metrics/metadata");
        File newest = Arrays.stream(md.listFiles()).filter(f -> f.getName().endsWith(".metadata.json"))
            .max(Comparator.comparingLong(File::lastModified).thenComparing(File::getName)).get();
        System.out.printf("after %d commits: newest %s = %d B; metadata/ holds %d files, %d B; last commit %.1f ms%n", r + 1,
            newest.getName(), newest.length(), md.listFiles().length,
            Arrays.stream(md.listFiles()).mapToLong(File::length).sum(), ms.get(ms.size() - 1));
      }
    }
    System.out.println("commit+metrics times over " + n + " commits: first 10 " + stats(ms.subList(1, 10)) + "; last 10 " + stats(ms.subList(n - 10, n)));
  }

  /** Q4: what a raw reader (DuckDB read_parquet over data/**) sees vs Iceberg. */
  static void lifecycle(String dir) throws Exception {
    Table t = create(dir + "/metrics", true);
    t.newAppend().appendFile(dataFile(t, writePlain(dataPath(t, "r1", "part-00000.parquet"), 0, 1000, 1), "r1"))
        .appendFile(dataFile(t, writePlain(dataPath(t, "r2", "part-00000.parquet"), 0, 1000, 2), "r2")).commit();
    report("1. committed r1 (1000 rows) and r2 (1000 rows)", t);
    writePlain(dataPath(t, "r3", "part-00000.parquet"), 0, 700, 3); // files written, the commit never happens
    report("2. r3 written (700 rows) but its commit aborted", t);
    // --overwrite of r1: new file (400 rows), replace the partition in ONE snapshot
    DataFile r1b = dataFile(t, writePlain(dataPath(t, "r1", "part-00000-v2.parquet"), 0, 400, 10), "r1");
    t.newOverwrite().overwriteByRowFilter(Expressions.equal("run_id", "r1")).addFile(r1b).commit();
    report("3. r1 overwritten by a 400-row file (newOverwrite, one snapshot)", t);
    t.expireSnapshots().expireOlderThan(System.currentTimeMillis() + 1).retainLast(1).commit();
    report("4. expireSnapshots(retainLast=1)", t);
    t.newAppend().appendFile(dataFile(t, writePlain(dataPath(t, "r4", "part-00000.parquet"), 0, 10, 4), "r4")).commit();
    t.expireSnapshots().expireOlderThan(System.currentTimeMillis() + 1).retainLast(1).commit();
    report("5. one more append (r4, 10 rows), then expireSnapshots(retainLast=1) again", t);
  }

  static void report(String label, Table t) throws Exception {
    t.refresh();
    Map<String, Integer> ice = new TreeMap<>();
    for (Record r : readMapped(t, Expressions.alwaysTrue())) ice.merge((String) r.getField("run_id"), 1, Integer::sum);
    Map<String, Long> raw = new TreeMap<>();
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT run_id, count(*) FROM read_parquet('" + t.location()
             + "/data/**/*.parquet', hive_partitioning=true) GROUP BY run_id ORDER BY run_id")) {
      while (rs.next()) raw.put(rs.getString(1), rs.getLong(2));
    }
    System.out.println(label + "\n   Iceberg (current snapshot, name-mapped read): " + ice + "\n   DuckDB read_parquet(data/**): " + raw
        + "\n   files on disk: " + listFiles(new File(t.location() + "/data")));
  }

  static List<String> listFiles(File d) {
    List<String> out = new ArrayList<>();
    for (File sub : Objects.requireNonNull(d.listFiles())) for (File f : Objects.requireNonNull(sub.listFiles())) out.add(sub.getName() + "/" + f.getName());
    Collections.sort(out);
    return out;
  }

  static void duckdbExt() throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT version()")) { rs.next(); System.out.println("duckdb " + rs.getString(1)); }
      s.execute("SET extension_directory='" + new File("out/duckdb_ext").getAbsolutePath() + "'");
      for (String sql : new String[] {"INSTALL iceberg", "LOAD iceberg", "SELECT count(*) FROM iceberg_scan('" + new File("out/make/metrics").getAbsolutePath() + "')"}) {
        long t0 = System.nanoTime();
        try (Statement s2 = c.createStatement()) { s2.execute(sql); System.out.println(sql + ": OK"); }
        catch (Exception e) { System.out.printf("%s: FAILED after %.1f s: %s%n", sql, (System.nanoTime() - t0) / 1e9, e.getMessage()); }
      }
      try (Statement s3 = c.createStatement(); ResultSet rs = s3.executeQuery("SELECT extension_name, installed, loaded FROM duckdb_extensions() WHERE extension_name IN ('iceberg','parquet','httpfs','avro')")) {
        while (rs.next()) System.out.println("   " + rs.getString(1) + " installed=" + rs.getBoolean(2) + " loaded=" + rs.getBoolean(3));
      }
    }
  }

  /** A small committed table for the Spark / DuckDB reads. */
  static void make(String dir) throws Exception {
    Table t = create(dir + "/metrics", true);
    for (String run : new String[] {"r1", "r2"}) {
      t.newAppend().appendFile(dataFile(t, writePlain(dataPath(t, run, "part-00000.parquet"), 0, 1000, 1), run)).commit();
    }
    writePlain(dataPath(t, "r3", "part-00000.parquet"), 0, 700, 3); // uncommitted
    System.out.println("made " + t.location() + " snapshots=" + size(t.snapshots()));
  }

  /** For comparison: sgdlens' own commit (RunStaging.commit): 7 folder renames + the runs row file. */
  static void baseline(String dir, int runs) throws Exception {
    List<Double> ms = new ArrayList<>();
    for (int r = 0; r < runs; r++) {
      Path staging = new Path(dir + "/_staging/run_id=run" + r);
      for (int i = 1; i < RUN_TABLES.length; i++) writePlain(new Path(staging, RUN_TABLES[i] + "/part-00000.parquet"), 0, 1000, r);
      long t0 = System.nanoTime();
      for (int i = 1; i < RUN_TABLES.length; i++) {
        Path staged = new Path(staging, RUN_TABLES[i]);
        Path target = new Path(dir + "/" + RUN_TABLES[i] + "/run_id=run" + r);
        if (fs.exists(target)) fs.delete(target, true);
        if (fs.exists(staged)) { fs.mkdirs(target.getParent()); if (!fs.rename(staged, target)) throw new IllegalStateException(); }
      }
      Path part = new Path(dir + "/runs/run_id=run" + r);
      fs.mkdirs(part);
      Path tmp = new Path(part, ".part-00000.parquet.tmp"), done = new Path(part, "part-00000.parquet");
      writePlain(tmp, 0, 1, r);
      fs.delete(done, false);
      if (!fs.rename(tmp, done)) throw new IllegalStateException();
      fs.delete(staging, true);
      ms.add((System.nanoTime() - t0) / 1e6);
    }
    System.out.println("sgdlens-style commit of one run (7 renames + runs row): first " + fmt(ms.get(0)) + " ms; warm " + stats(ms.subList(1, ms.size())));
  }
}
