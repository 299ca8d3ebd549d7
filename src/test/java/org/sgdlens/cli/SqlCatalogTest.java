package org.sgdlens.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sgdlens.analysis.LakeCatalog;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.Tables;
import org.sgdlens.ops.Launchers;
import org.sgdlens.ops.TestLakes;

/**
 * The sql command's catalog is persistent: after {@code jobs/sql} ran once (in its own JVM), a new
 * Spark session configured only with the catalog settings of docs/catalog.md finds every lake table
 * by name, sees only committed runs through the views, and sees runs added later once the catalog
 * is refreshed.
 */
class SqlCatalogTest {
  private static final String RESULT = "catalog_test_result";
  private static final int ROWS = 3;

  @TempDir Path temp;

  @Test
  void freshSessionQueriesEveryTableByNameAfterTheSqlCommandRegisteredThem() {
    Path lakeDir = temp.resolve("lake");
    // Every result table of Tables.ALL (as the analyses land) plus a fixture result table.
    List<String> results = new java.util.ArrayList<>(List.of(RESULT));
    Tables.ALL.stream().filter(t -> !LakeCatalog.hasCommittedView(t)).forEach(results::add);
    Lake lake = TestLakes.write(lakeDir, ROWS, results);

    Launchers.Run first =
        Launchers.run(
            "sql",
            Map.of(),
            240,
            "--lake",
            lakeDir.toString(),
            "-e",
            "SELECT run_id, count(*) AS n FROM metrics GROUP BY run_id ORDER BY run_id;"
                + " SELECT count(*) AS n_all FROM metrics_all");
    assertThat(first.exitCode()).as(first.describe()).isZero();
    assertThat(first.stdout())
        .as("the metrics view shows only the committed run, with all its rows")
        .containsPattern("(?m)^r1\\s+\\|\\s+" + ROWS + "$")
        .doesNotContainPattern("(?m)^r2\\b");
    assertThat(first.stdout())
        .as("metrics_all holds the rows of both runs on disk")
        .containsPattern("(?m)^\\s*" + (2 * ROWS) + "$");

    String catalog = lakeDir.toAbsolutePath().resolve("_catalog").toString();
    // Exactly what docs/catalog.md tells a user to configure; nothing from sgdlens is called.
    Map<String, String> documented = new LinkedHashMap<>();
    documented.put("spark.sql.catalogImplementation", "hive");
    documented.put("spark.sql.warehouse.dir", Path.of(catalog, "warehouse").toUri().toString());
    documented.put(
        "spark.hadoop.javax.jdo.option.ConnectionURL",
        "jdbc:derby:;databaseName=" + catalog + "/metastore_db;create=true");
    documented.put("spark.hadoop.parquet.page.verify-checksum.enabled", "true");
    assertThat(LakeCatalog.sessionSettings(lakeDir.toString()))
        .as("the settings the sql command uses are the documented ones")
        .isEqualTo(documented);

    System.setProperty("derby.stream.error.file", temp.resolve("derby.log").toString());
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
    SparkSession.Builder builder =
        SparkSession.builder()
            .appName("fresh-session")
            .master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "2");
    documented.forEach(builder::config);
    SparkSession fresh = builder.getOrCreate();
    try {
      List<Row> result =
          fresh
              .sql("SELECT run_id, step, psi, note FROM " + RESULT + " ORDER BY step")
              .collectAsList();
      assertThat(result).as("result table rows by name").hasSize(ROWS);
      for (int k = 0; k < ROWS; k++) {
        Row row = result.get(k);
        assertThat(row.getString(0)).as("run_id of row %d", k).isEqualTo(TestLakes.COMMITTED_RUN);
        assertThat(row.getLong(1)).as("step of row %d", k).isEqualTo(k);
        assertThat(row.getDouble(2)).as("psi of row %d", k).isEqualTo(k + 0.25);
        assertThat(row.getString(3)).as("note of row %d", k).isEqualTo("note-r1-" + k);
      }
      String perResult =
          String.join(
              " UNION ALL ",
              results.stream()
                  .map(t -> "SELECT '" + t + "' AS t, count(*) AS n FROM " + t)
                  .toList());
      for (Row row : fresh.sql(perResult).collectAsList()) {
        assertThat(row.getLong(1)).as("result table %s by name", row.getString(0)).isEqualTo(ROWS);
      }
      assertThat(count(fresh, "SELECT * FROM runs")).as("runs view: committed r1").isEqualTo(1);
      assertThat(count(fresh, "SELECT * FROM runs_all"))
          .as("runs_all: every runs row")
          .isEqualTo(2);
      // One query over every record view: its rows must all belong to the committed run.
      String perView =
          String.join(
              " UNION ALL ",
              Tables.RECORDS.stream()
                  .map(
                      t ->
                          "SELECT '"
                              + t
                              + "' AS t, count(*) AS n, count_if(run_id = 'r2') AS failed"
                              + " FROM "
                              + t)
                  .toList());
      for (Row row : fresh.sql(perView).collectAsList()) {
        assertThat(row.getLong(1))
            .as("record view %s: the committed run's rows", row.getString(0))
            .isEqualTo(ROWS);
        assertThat(row.getLong(2))
            .as("record view %s hides the FAILED run", row.getString(0))
            .isZero();
      }
      // A new committed run lands later: a refresh (what every sql command does) picks it up.
      TestLakes.writeRows(lake, Tables.METRICS, "r3", ROWS, null);
      TestLakes.writeRows(lake, Tables.RUNS, "r3", 1, "COMMITTED");
      assertThat(count(fresh, "SELECT * FROM metrics WHERE run_id = 'r3'"))
          .as("before the refresh the catalog does not know r3's partition")
          .isZero();
      LakeCatalog.refresh(fresh, lakeDir.toString());
      assertThat(count(fresh, "SELECT * FROM metrics WHERE run_id = 'r3'"))
          .as("after the refresh r3's rows are visible")
          .isEqualTo(ROWS);
      assertThat(count(fresh, "SELECT * FROM runs")).as("runs view: r1 and r3").isEqualTo(2);

      // An entry declared with another schema version is dropped and declared again; it is an
      // external table, so the Parquet files must survive the drop.
      fresh.sql(
          "ALTER TABLE metrics_all SET TBLPROPERTIES ('"
              + LakeCatalog.SCHEMA_VERSION_PROPERTY
              + "' = '0')");
      LakeCatalog.refresh(fresh, lakeDir.toString());
      assertThat(
              fresh
                  .sql(
                      "SHOW TBLPROPERTIES metrics_all ('"
                          + LakeCatalog.SCHEMA_VERSION_PROPERTY
                          + "')")
                  .first()
                  .getString(1))
          .as("re-declared at the version of schemas/metrics.json")
          .isEqualTo(
              String.valueOf(org.sgdlens.lake.SchemaRegistry.schema(Tables.METRICS).version()));
      assertThat(count(fresh, "SELECT * FROM metrics_all"))
          .as("no data lost by re-declaring: r1, r2 and r3")
          .isEqualTo(3L * ROWS);
      assertThat(lakeDir.resolve("metrics/run_id=r1/part-00000.parquet"))
          .as("the table's files are still there")
          .exists();

      // A refresh of an unchanged lake skips the work but still sees a table dropped behind it.
      LakeCatalog.Refresh again = LakeCatalog.refresh(fresh, lakeDir.toString());
      assertThat(lakeDir.resolve("_catalog").resolve(LakeCatalog.STATE_FILE))
          .as("the refresh state is saved")
          .exists();
      assertThat(again.tables()).as("an unchanged lake: the same tables").contains("metrics_all");
      fresh.sql("DROP TABLE metrics_all");
      LakeCatalog.refresh(fresh, lakeDir.toString());
      assertThat(count(fresh, "SELECT * FROM metrics_all"))
          .as("a dropped entry is declared again by the next refresh")
          .isEqualTo(3L * ROWS);

      String[] declared = org.sgdlens.analysis.LakeTables.columns(Tables.WEIGHTS);
      assertThat(fresh.table("weights").columns())
          .as("the weights view has the columns of schemas/weights.json, in order")
          .containsExactly(declared);
      assertThat(fresh.table("weights_all").columns())
          .as("weights_all has the same columns (partition column last) and former names")
          .containsExactlyInAnyOrder(
              org.sgdlens.analysis.LakeTables.fileSchema(Tables.WEIGHTS).fieldNames());
    } finally {
      fresh.stop();
      SparkSession.clearActiveSession();
      SparkSession.clearDefaultSession();
    }
  }

  private static long count(SparkSession spark, String sql) {
    return spark.sql(sql).count();
  }
}
