package org.sgdlens.analysis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.TableIdentifier;
import org.apache.spark.sql.catalyst.catalog.CatalogTable;
import org.apache.spark.sql.catalyst.catalog.CatalogTableType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.sgdlens.lake.RunStatus;
import org.sgdlens.lake.SchemaRegistry;
import org.sgdlens.lake.TableSchema;
import org.sgdlens.lake.Tables;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;

/**
 * A persistent Spark SQL catalog over the lake: every lake table whose folder exists is registered
 * by name in Spark's Hive-compatible metastore, so that any Spark SQL session configured with
 * {@link #sessionSettings(String)} (and nothing of sgdlens) can query it. See docs/catalog.md.
 *
 * <p>Tables are external Parquet tables declared with the schema from {@code schemas/} (never
 * inferred) and partitioned by {@code run_id}; their partitions are re-synchronised with the
 * folders on every {@link #refresh}. Record tables and {@code runs} are registered as {@code
 * <table>_all} (every row on disk) plus a view {@code <table>} restricted to committed runs, the
 * same rows {@link LakeTables#read} returns. A table with a renamed column (the schema file's
 * {@code "renamed"}) is registered as {@code <table>_all} with the former name too, plus a view
 * {@code <table>} that shows the value under the current name only, as {@link LakeTables#readRaw}
 * does.
 */
public final class LakeCatalog {
  private static final Logger LOG = LoggerFactory.getLogger(LakeCatalog.class);

  /** Folder of the lake holding the metastore database and the (unused) warehouse. */
  public static final String CATALOG_DIR = "_catalog";

  /** Suffix of the table holding every row on disk when the plain name is a committed-only view. */
  public static final String ALL_SUFFIX = "_all";

  /** Table property recording the schema version a catalog entry was declared with. */
  public static final String SCHEMA_VERSION_PROPERTY = "sgdlens.schema.version";

  /** Spark static setting that turns on the Hive-compatible persistent catalog. */
  public static final String CATALOG_IMPLEMENTATION = "spark.sql.catalogImplementation";

  /** Where managed tables would go; set inside the lake so nothing lands in the working folder. */
  public static final String WAREHOUSE_DIR = "spark.sql.warehouse.dir";

  /** JDBC URL of the metastore database (Hive's javax.jdo setting, passed through spark.hadoop). */
  public static final String METASTORE_URL = "spark.hadoop.javax.jdo.option.ConnectionURL";

  /** A remote Hive metastore service, the alternative to the embedded database. */
  public static final String METASTORE_URIS = "spark.hadoop.hive.metastore.uris";

  private LakeCatalog() {}

  /**
   * The settings a fresh SparkSession needs to see the lake's tables by name: the Hive catalog with
   * an embedded Derby metastore under {@code <lake>/_catalog}. The lake must be on the local file
   * system (Derby keeps its files there); for a lake on HDFS or S3 point {@value #METASTORE_URL} at
   * a shared database or {@value #METASTORE_URIS} at a metastore service instead.
   */
  public static Map<String, String> sessionSettings(String lakeRoot) {
    java.nio.file.Path local = localPath(lakeRoot);
    java.nio.file.Path catalog = local.resolve(CATALOG_DIR);
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put(CATALOG_IMPLEMENTATION, "hive");
    settings.put(LakeTables.VERIFY_CHECKSUMS_CONF, "true");
    settings.put(WAREHOUSE_DIR, catalog.resolve("warehouse").toUri().toString());
    settings.put(
        METASTORE_URL,
        "jdbc:derby:;databaseName=" + catalog.resolve("metastore_db") + ";create=true");
    return settings;
  }

  /** Local folder of a lake given as a path or a file: URI. */
  public static java.nio.file.Path localPath(String lakeRoot) {
    if (lakeRoot == null || lakeRoot.isBlank()) {
      throw new IllegalArgumentException("--lake is empty; give a folder such as ./lake");
    }
    Path path = new Path(lakeRoot);
    String scheme = path.toUri().getScheme();
    if (scheme != null && !scheme.equals("file")) {
      throw new IllegalArgumentException(
          "The embedded catalog keeps its database in the lake folder, so the lake must be local,"
              + " but --lake is '"
              + lakeRoot
              + "'. For a lake on "
              + scheme
              + ": configure a shared metastore with --conf "
              + METASTORE_URL
              + "=jdbc:... or --conf "
              + METASTORE_URIS
              + "=thrift://host:9083 (docs/catalog.md)");
    }
    return java.nio.file.Path.of(path.toUri().getPath()).toAbsolutePath().normalize();
  }

  /** The catalog name of a lake table: {@code <table>_all} when a view takes the plain name. */
  public static String tableName(String table) {
    return hasView(table) ? table + ALL_SUFFIX : table;
  }

  /** Record tables and {@code runs} get a committed-only view under the plain table name. */
  public static boolean hasCommittedView(String table) {
    return table.equals(Tables.RUNS) || Tables.RECORDS.contains(table);
  }

  /**
   * Tables whose plain name is a view over {@code <table>_all}: the committed-only ones, and those
   * with a renamed column (the view shows the current name, whatever name each file holds).
   */
  public static boolean hasView(String table) {
    return hasCommittedView(table) || !SchemaRegistry.schema(table).renamed().isEmpty();
  }

  /** What a refresh registered. */
  public record Refresh(
      List<String> tables, List<String> views, List<String> absent, long millis) {}

  /**
   * Registers every table of {@link Tables#ALL} whose folder exists in the lake, and every other
   * folder of the lake that has a schema file on the classpath; folders without one are skipped
   * with a warning (their schema would have to be inferred).
   */
  public static Refresh refresh(SparkSession spark, String lakeRoot) {
    List<String> tables = new ArrayList<>(Tables.ALL);
    FileSystem fs = fileSystem(spark, lakeRoot);
    try {
      Path root = new Path(lakeRoot);
      if (fs.exists(root)) {
        for (FileStatus status : fs.listStatus(root)) {
          String folder = status.getPath().getName();
          if (!status.isDirectory()
              || folder.startsWith("_")
              || folder.startsWith(".")
              || tables.contains(folder)) {
            continue;
          }
          if (hasSchema(folder)) {
            tables.add(folder);
          } else {
            LOG.warn(
                "Lake folder {} has no schemas/{}.json: not registered in the catalog",
                status.getPath(),
                folder);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list the lake at " + lakeRoot, e);
    }
    return refresh(spark, lakeRoot, tables);
  }

  private static boolean hasSchema(String table) {
    return LakeCatalog.class.getClassLoader().getResource("schemas/" + table + ".json") != null;
  }

  /**
   * Registers the given lake tables whose folder exists: creates missing catalog entries,
   * re-declares entries whose schema version or location changed (external tables: the data stays),
   * synchronises partitions with the run folders, and (re)creates the committed-only views.
   */
  public static Refresh refresh(SparkSession spark, String lakeRoot, List<String> tables) {
    requireHiveCatalog(spark);
    LakeTables.verifyChecksums(spark);
    List<String> registered = new ArrayList<>();
    List<String> views = new ArrayList<>();
    List<String> absent = new ArrayList<>();
    long start = System.nanoTime();
    // The first metastore call boots the Hive client and Derby: timed apart from the refresh work.
    spark.sessionState().catalog().databaseExists("default");
    LOG.debug("Metastore ready in {} ms", (System.nanoTime() - start) / 1_000_000);
    FileSystem fs = fileSystem(spark, lakeRoot);
    // Nothing changed since the last refresh through this metastore (same table folders, run
    // partitions and schema versions, every entry still there): nothing to do.
    String state = state(spark, fs, lakeRoot, tables);
    Optional<Refresh> unchanged = unchanged(spark, fs, lakeRoot, tables, state, start);
    if (unchanged.isPresent()) {
      return unchanged.get();
    }
    for (String table : tables) {
      Path folder = new Path(lakeRoot, table);
      if (!exists(fs, folder)) {
        absent.add(table);
        continue;
      }
      String name = tableName(table);
      boolean declared = declare(spark, table, name, fs.makeQualified(folder).toUri().toString());
      // MSCK lists every partition against the metastore; skip it when the run folders and the
      // registered partitions already agree (the common case of a refresh with no new runs).
      if (declared || !registeredPartitions(spark, name).equals(partitionFolders(fs, folder))) {
        spark.sql("MSCK REPAIR TABLE " + quote(name) + " SYNC PARTITIONS");
      }
      registered.add(name);
    }
    boolean runsRegistered = registered.contains(tableName(Tables.RUNS));
    for (String table : tables) {
      if (!hasView(table) || !registered.contains(tableName(table))) {
        continue;
      }
      if (hasCommittedView(table) && !runsRegistered) {
        LOG.warn(
            "Lake {} has table {} but no runs table: view {} (committed runs only) is not created",
            lakeRoot,
            table,
            table);
        continue;
      }
      String text = viewQuery(table);
      Optional<CatalogTable> view = existing(spark, table);
      if (view.isPresent() && !view.get().tableType().equals(CatalogTableType.VIEW())) {
        // Declared as a table by an earlier schema version (before a column was renamed); an
        // external table, so dropping the entry leaves the Parquet files in place.
        LOG.info(
            "Catalog entry {} is a table; replacing it by a view over {}", table, tableName(table));
        spark.sql("DROP TABLE " + quote(table));
        view = Optional.empty();
      }
      boolean same =
          view.isPresent()
              && view.get().viewText().isDefined()
              && view.get().viewText().get().equals(text);
      if (!same) {
        spark.sql("CREATE OR REPLACE VIEW " + quote(table) + " AS " + text);
      }
      views.add(table);
    }
    writeState(fs, lakeRoot, registered, views, absent, state);
    long millis = (System.nanoTime() - start) / 1_000_000;
    LOG.debug(
        "Catalog refreshed in {} ms: tables {}, views {}, absent {}",
        millis,
        registered,
        views,
        absent);
    return new Refresh(List.copyOf(registered), List.copyOf(views), List.copyOf(absent), millis);
  }

  /** File of the lake's catalog folder holding what the last refresh saw and registered. */
  public static final String STATE_FILE = "refresh-state";

  /**
   * Forgets the last refresh's state, so the next refresh does the full work: for statements that
   * may have changed catalog entries (anything but a query).
   */
  public static void forgetState(SparkSession spark, String lakeRoot) {
    try {
      fileSystem(spark, lakeRoot).delete(stateFile(lakeRoot), false);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete " + stateFile(lakeRoot), e);
    }
  }

  /**
   * What a refresh depends on: the metastore, the lake's location, and per table whether its folder
   * exists, its schema version and its run partition folders.
   */
  private static String state(
      SparkSession spark, FileSystem fs, String lakeRoot, List<String> tables) {
    StringBuilder b = new StringBuilder();
    b.append("metastore ")
        .append(spark.conf().get(METASTORE_URL, ""))
        .append(' ')
        .append(spark.conf().get(METASTORE_URIS, ""))
        .append('\n');
    b.append("lake ").append(fs.makeQualified(new Path(lakeRoot)).toUri()).append('\n');
    for (String table : tables) {
      Path folder = new Path(lakeRoot, table);
      b.append(table).append(' ');
      if (!exists(fs, folder)) {
        b.append("absent\n");
        continue;
      }
      b.append('v')
          .append(SchemaRegistry.schema(table).version())
          .append(' ')
          .append(String.join(",", partitionFolders(fs, folder)))
          .append('\n');
    }
    return b.toString();
  }

  private static Path stateFile(String lakeRoot) {
    return new Path(new Path(lakeRoot, CATALOG_DIR), STATE_FILE);
  }

  /** The last refresh's result when the state is the same and every entry is still registered. */
  private static Optional<Refresh> unchanged(
      SparkSession spark,
      FileSystem fs,
      String lakeRoot,
      List<String> tables,
      String state,
      long start) {
    Path file = stateFile(lakeRoot);
    String saved;
    try {
      if (!fs.exists(file)) {
        return Optional.empty();
      }
      try (java.io.InputStream in = fs.open(file)) {
        saved = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      LOG.debug("Cannot read {}: refreshing", file, e);
      return Optional.empty();
    }
    String[] parts = saved.split("\n---\n", 2);
    if (parts.length != 2 || !parts[1].equals(state)) {
      return Optional.empty();
    }
    String[] lists = parts[0].split("\n", -1);
    if (lists.length < 3) {
      return Optional.empty();
    }
    List<String> registered = names(lists[0]);
    List<String> views = names(lists[1]);
    List<String> absent = names(lists[2]);
    // Entries can change behind the lake's back (ALTER TABLE, DROP TABLE in any session): each
    // registered table must still be declared at its schema version and location, each view there.
    for (String table : tables) {
      String name = tableName(table);
      if (!registered.contains(name)) {
        continue;
      }
      Optional<CatalogTable> entry = existing(spark, name);
      String location = fs.makeQualified(new Path(lakeRoot, table)).toUri().toString();
      if (entry.isEmpty()
          || !entry
              .get()
              .properties()
              .get(SCHEMA_VERSION_PROPERTY)
              .getOrElse(() -> "")
              .equals(String.valueOf(SchemaRegistry.schema(table).version()))
          || !entry.get().storage().locationUri().isDefined()
          || !sameLocation(entry.get().storage().locationUri().get().toString(), location)) {
        return Optional.empty();
      }
    }
    for (String view : views) {
      if (existing(spark, view).isEmpty()) {
        return Optional.empty();
      }
    }
    long millis = (System.nanoTime() - start) / 1_000_000;
    LOG.debug("Catalog unchanged since the last refresh ({} ms)", millis);
    return Optional.of(new Refresh(registered, views, absent, millis));
  }

  private static List<String> names(String line) {
    return line.isEmpty() ? List.of() : List.of(line.split(","));
  }

  /** Saves the state with what was registered, through a rename so readers never see half. */
  private static void writeState(
      FileSystem fs,
      String lakeRoot,
      List<String> registered,
      List<String> views,
      List<String> absent,
      String state) {
    Path file = stateFile(lakeRoot);
    Path tmp = new Path(file.getParent(), "." + STATE_FILE + "." + java.util.UUID.randomUUID());
    String text =
        String.join(",", registered)
            + "\n"
            + String.join(",", views)
            + "\n"
            + String.join(",", absent)
            + "\n---\n"
            + state;
    try {
      try (java.io.OutputStream out = fs.create(tmp, true)) {
        out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      fs.delete(file, false);
      if (!fs.rename(tmp, file)) {
        fs.delete(tmp, false);
      }
    } catch (IOException e) {
      // Only an optimisation: the next refresh does the full work.
      LOG.debug("Cannot save {}", file, e);
    }
  }

  /**
   * The view text: the declared columns in schema order (the table itself has the partition column
   * last), a renamed column coalesced with its former names; for record tables and runs, rows of
   * committed runs only (the runs row is the commit marker).
   */
  static String viewQuery(String table) {
    TableSchema schema = SchemaRegistry.schema(table);
    List<String> columns = new ArrayList<>();
    for (String name : LakeTables.columns(table)) {
      List<String> former = schema.formerNames(name);
      if (former.isEmpty()) {
        columns.add(quote(name));
      } else {
        List<String> names = new ArrayList<>(List.of(quote(name)));
        former.forEach(n -> names.add(quote(n)));
        columns.add("coalesce(" + String.join(", ", names) + ") AS " + quote(name));
      }
    }
    String select = "SELECT " + String.join(", ", columns) + " FROM " + quote(tableName(table));
    if (!hasCommittedView(table)) {
      return select;
    }
    String committed = "status = '" + RunStatus.COMMITTED.name() + "'";
    if (table.equals(Tables.RUNS)) {
      return select + " WHERE " + committed;
    }
    return select
        + " WHERE run_id IN (SELECT run_id FROM "
        + quote(tableName(Tables.RUNS))
        + " WHERE "
        + committed
        + ")";
  }

  /** Partition specs the metastore has for a table, e.g. "run_id=r1". */
  private static java.util.Set<String> registeredPartitions(SparkSession spark, String name) {
    java.util.Set<String> specs = new java.util.TreeSet<>();
    for (Row row : spark.sql("SHOW PARTITIONS " + quote(name)).collectAsList()) {
      specs.add(row.getAs("partition"));
    }
    return specs;
  }

  /** Partition folders of a table on disk (name=value folders, hidden ones ignored). */
  private static java.util.Set<String> partitionFolders(FileSystem fs, Path folder) {
    java.util.Set<String> specs = new java.util.TreeSet<>();
    try {
      for (FileStatus status : fs.listStatus(folder)) {
        String dir = status.getPath().getName();
        if (status.isDirectory()
            && dir.contains("=")
            && !dir.startsWith("_")
            && !dir.startsWith(".")) {
          specs.add(dir);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list " + folder, e);
    }
    return specs;
  }

  /** Declares or re-declares a table; returns whether it created the entry. */
  private static boolean declare(SparkSession spark, String table, String name, String location) {
    TableSchema schema = SchemaRegistry.schema(table);
    Optional<CatalogTable> existing = existing(spark, name);
    if (existing.isPresent()) {
      CatalogTable current = existing.get();
      String version = current.properties().get(SCHEMA_VERSION_PROPERTY).getOrElse(() -> "");
      String currentLocation =
          current.storage().locationUri().isDefined()
              ? current.storage().locationUri().get().toString()
              : "";
      if (version.equals(String.valueOf(schema.version()))
          && sameLocation(currentLocation, location)) {
        return false;
      }
      LOG.info(
          "Catalog entry {} is at schema version '{}' and {}; re-declaring it at version {} and {}",
          name,
          version,
          currentLocation,
          schema.version(),
          location);
      // External table: dropping the entry leaves the Parquet files in place.
      spark.sql("DROP TABLE " + quote(name));
    }
    spark.sql(createTableSql(table, name, location));
    return true;
  }

  /** CREATE TABLE of an external Parquet table with the declared schema and partitions. */
  static String createTableSql(String table, String name, String location) {
    TableSchema schema = SchemaRegistry.schema(table);
    // Former names of renamed columns too: files written before the rename hold those.
    StructType struct = LakeTables.fileSchema(table);
    List<String> columns = new ArrayList<>();
    for (StructField field : struct.fields()) {
      String comment =
          field.getComment().isDefined() ? " COMMENT " + literal(field.getComment().get()) : "";
      columns.add(quote(field.name()) + " " + field.dataType().sql() + comment);
    }
    List<String> partitionBy = schema.partitionBy().stream().map(LakeCatalog::quote).toList();
    return "CREATE TABLE IF NOT EXISTS "
        + quote(name)
        + " ("
        + String.join(", ", columns)
        + ") USING parquet"
        + (partitionBy.isEmpty() ? "" : " PARTITIONED BY (" + String.join(", ", partitionBy) + ")")
        + " LOCATION "
        + literal(location)
        + " COMMENT "
        + literal(schema.description())
        + " TBLPROPERTIES ("
        + literal(SCHEMA_VERSION_PROPERTY)
        + " = "
        + literal(String.valueOf(schema.version()))
        + ")";
  }

  private static Optional<CatalogTable> existing(SparkSession spark, String name) {
    TableIdentifier id = new TableIdentifier(name, Option.empty());
    if (!spark.sessionState().catalog().tableExists(id)) {
      return Optional.empty();
    }
    try {
      return Optional.of(spark.sessionState().catalog().getTableMetadata(id));
    } catch (Exception e) {
      throw new IllegalStateException("Cannot read the catalog entry of " + name, e);
    }
  }

  private static boolean sameLocation(String a, String b) {
    return new Path(a)
            .toUri()
            .normalize()
            .getPath()
            .equals(new Path(b).toUri().normalize().getPath())
        && String.valueOf(new Path(a).toUri().getScheme())
            .equals(String.valueOf(new Path(b).toUri().getScheme()));
  }

  private static void requireHiveCatalog(SparkSession spark) {
    String impl = spark.conf().get(CATALOG_IMPLEMENTATION, "in-memory");
    if (!impl.equals("hive")) {
      throw new IllegalStateException(
          "The Spark session's catalog is '"
              + impl
              + "', which forgets every table when the session ends; start the session with "
              + CATALOG_IMPLEMENTATION
              + "=hive (the sql command does this; see docs/catalog.md)");
    }
  }

  private static FileSystem fileSystem(SparkSession spark, String lakeRoot) {
    try {
      return new Path(lakeRoot).getFileSystem(spark.sparkContext().hadoopConfiguration());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot open the lake at " + lakeRoot, e);
    }
  }

  private static boolean exists(FileSystem fs, Path path) {
    try {
      return fs.exists(path);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list " + path, e);
    }
  }

  /** Backquoted identifier. */
  static String quote(String identifier) {
    return "`" + identifier.replace("`", "``") + "`";
  }

  /** Single-quoted SQL string literal. */
  static String literal(String value) {
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }
}
