package org.sgdlens.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.analysis.LakeCatalog;
import org.sgdlens.analysis.SqlQueries;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code sql}: queries the lake by table name through a persistent Spark SQL catalog kept in {@code
 * <lake>/_catalog} (docs/catalog.md). Every run first registers the tables whose folders exist and
 * picks up new runs' partitions.
 */
public final class SqlJob {
  @Command(
      name = "jobs/sql",
      description =
          "Queries the lake's tables by name (runs, metrics, phases, loss_separation, ...) with"
              + " Spark SQL, the statements of -e and then of -f. Every run registers the tables"
              + " whose folders exist in a persistent catalog under <lake>/_catalog, so any Spark"
              + " SQL session configured as in docs/catalog.md sees them too. Record tables and"
              + " runs are views of committed runs; <table>_all holds every row on disk.",
      footerHeading = "%nExamples:%n",
      footer = {
        "  jobs/sql -e \"SHOW TABLES\"",
        "  jobs/sql -e \"SELECT run_id, learning_rate, diverged FROM runs_all WHERE diverged\"",
        "  jobs/sql -f my-queries.sql --output out/result --format parquet"
      })
  static final class Args {
    @Mixin StandardOptions standard = new StandardOptions();

    @Option(
        names = {"-e", "--execute"},
        paramLabel = "SQL",
        description = "statements to run, separated by ';'")
    String execute;

    @Option(
        names = {"-f", "--file"},
        paramLabel = "FILE",
        description = "a file of statements separated by ';' (run after -e)")
    String file;

    @Option(
        names = "--limit",
        paramLabel = "N",
        defaultValue = "" + SqlQueries.Options.LIMIT_DEFAULT,
        description = "rows printed per statement (default: ${DEFAULT-VALUE})")
    int limit;

    @Option(
        names = "--truncate",
        paramLabel = "N",
        defaultValue = "" + TextTable.TRUNCATE_DEFAULT,
        description = "characters shown per cell, 0 = all (default: ${DEFAULT-VALUE})")
    int truncate;

    @Option(
        names = "--output",
        paramLabel = "PATH",
        description = "write the last statement's full result to the folder PATH")
    String output;

    @Option(
        names = "--format",
        paramLabel = "csv|parquet",
        description =
            "format of --output (default: "
                + SqlQueries.Options.FORMAT_DEFAULT
                + ", with a header line)")
    String format;

    @Option(
        names = "--no-refresh",
        description = "skip the catalog refresh (query what is registered already)")
    boolean noRefresh;
  }

  private SqlJob() {}

  public static void main(String[] args) {
    JobMain.main("sql", args, SqlJob::run);
  }

  static int run(String[] args) {
    Args a = Cli.parse(new Args(), args, "give SQL with -e \"...\" or a file with -f FILE");
    if (a == null) {
      return 0;
    }
    String lake = a.standard.lake;
    String output = a.output;
    if (a.format != null && output == null) {
      throw new IllegalArgumentException(
          "--format needs --output PATH (the folder the result is written to)");
    }
    SqlQueries.Format format =
        SqlQueries.Format.parse(a.format != null ? a.format : SqlQueries.Options.FORMAT_DEFAULT);
    SqlQueries.Options query =
        new SqlQueries.Options(lake, statements(a), a.limit, output, format, !a.noRefresh);
    int truncate = a.truncate;

    SparkSession spark = session(lake);
    String zone = spark.conf().get("spark.sql.session.timeZone");
    boolean several = query.statements().size() > 1;
    SqlQueries.run(
        spark,
        query,
        r ->
            System.err.printf(
                "catalog: %d tables and %d views registered in %s (%d ms)%n",
                r.tables().size(), r.views().size(), catalogLocation(spark), r.millis()),
        statement -> print(statement, several, output, format, truncate, zone));
    return 0;
  }

  private static void print(
      SqlQueries.Statement statement,
      boolean several,
      String output,
      SqlQueries.Format format,
      int truncate,
      String zone) {
    if (several) {
      String shown = statement.sql().replaceAll("(?m)^\\s*--.*$", "").replaceAll("\\s+", " ");
      System.out.println("-- " + shown.strip());
    }
    if (statement.written() >= 0) {
      System.out.printf(
          "wrote %d rows to %s (%s)%n",
          statement.written(), output, format.name().toLowerCase(java.util.Locale.ROOT));
    } else if (!statement.columns().isEmpty()) {
      System.out.print(TextTable.format(statement.columns(), statement.rows(), truncate, zone));
      int n = statement.rows().size();
      System.out.println(
          statement.truncated()
              ? "(first " + n + " rows; more with --limit N)"
              : "(" + n + (n == 1 ? " row)" : " rows)"));
    }
    System.out.flush();
  }

  /**
   * The session with the lake's catalog. Catalog settings are code defaults: a value spark-submit
   * received (--conf, --properties-file) wins, so a shared metastore can replace the embedded one.
   */
  static SparkSession session(String lake) {
    return session(lake, "sgdlens-sql", Map.of());
  }

  /**
   * The session with the lake's catalog and the given code defaults (spark-submit's values win).
   */
  static SparkSession session(String lake, String appName, Map<String, String> extraDefaults) {
    SparkConf submitted = new SparkConf();
    SparkSession.Builder builder = SparkSession.builder().appName(appName);
    Map<String, String> defaults = new LinkedHashMap<>(catalogDefaults(lake, submitted));
    extraDefaults.forEach(
        (k, v) -> {
          if (!submitted.contains(k)) {
            defaults.put(k, v);
          }
        });
    for (Map.Entry<String, String> e : defaults.entrySet()) {
      builder.config(e.getKey(), e.getValue());
    }
    requireHiveClasses();
    return builder.getOrCreate();
  }

  /** The catalog settings spark-submit did not already set. */
  static Map<String, String> catalogDefaults(String lake, SparkConf submitted) {
    boolean sharedMetastore =
        submitted.contains(LakeCatalog.METASTORE_URL)
            || submitted.contains(LakeCatalog.METASTORE_URIS);
    Map<String, String> defaults = new LinkedHashMap<>();
    if (sharedMetastore) {
      defaults.put(LakeCatalog.CATALOG_IMPLEMENTATION, "hive");
    } else {
      defaults.putAll(LakeCatalog.sessionSettings(lake));
      if (!Files.isDirectory(LakeCatalog.localPath(lake))) {
        // A mistyped --lake would otherwise get a fresh catalog folder and "table not found".
        throw new IllegalArgumentException(
            "There is no lake at "
                + lake
                + " (no such folder); check --lake, or record a run"
                + " first (jobs/train --lake "
                + lake
                + ")");
      }
      Path catalog = LakeCatalog.localPath(lake).resolve(LakeCatalog.CATALOG_DIR);
      createFolder(catalog);
      // Derby writes derby.log to the working folder unless told otherwise.
      if (System.getProperty("derby.stream.error.file") == null) {
        System.setProperty("derby.stream.error.file", catalog.resolve("derby.log").toString());
      }
    }
    defaults.keySet().removeIf(submitted::contains);
    return defaults;
  }

  private static void requireHiveClasses() {
    try {
      Class.forName("org.apache.spark.sql.hive.HiveSessionStateBuilder");
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(
          "The sql command needs Spark's Hive support (spark-hive_2.13) on the classpath, and this"
              + " Spark has none; use a Spark distribution built with Hive or the project's"
              + " launcher without SPARK_HOME (docs/catalog.md)");
    }
  }

  private static String catalogLocation(SparkSession spark) {
    return spark
        .sparkContext()
        .getConf()
        .get(LakeCatalog.METASTORE_URL, spark.conf().get(LakeCatalog.METASTORE_URIS, "metastore"));
  }

  /** Statements of -e, then of -f, in order. */
  static List<String> statements(Args a) {
    List<String> statements = new ArrayList<>();
    if (a.execute != null) {
      statements.addAll(SqlQueries.split(a.execute));
    }
    if (a.file != null) {
      try {
        statements.addAll(
            SqlQueries.split(Files.readString(Path.of(a.file), StandardCharsets.UTF_8)));
      } catch (NoSuchFileException e) {
        throw new IllegalArgumentException(
            "-f " + a.file + ": no such file; give the path of a .sql file");
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read -f " + a.file, e);
      }
    }
    return statements;
  }

  private static void createFolder(Path folder) {
    try {
      Files.createDirectories(folder);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot create the catalog folder " + folder + "; check the lake is writable", e);
    }
  }
}
