package org.sgdlens.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sgdlens.analysis.LakeCatalog;
import org.sgdlens.analysis.LakeTables;
import org.sgdlens.lake.Column;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.SchemaRegistry;
import org.sgdlens.lake.TableSchema;
import org.sgdlens.lake.Tables;

/**
 * A lake written before a column was renamed stays readable: one run's files hold the old name (as
 * the previous schema version wrote them), another run's the new one, and both the project's reader
 * and the SQL catalog return every value under the new name only.
 */
class RenamedColumnsCatalogTest {
  private static final String OLD_RUN = "r_old";
  private static final String NEW_RUN = "r_new";
  private static final int ROWS = 3;

  @TempDir static Path temp;

  private static SparkSession spark;
  private static Path lakeDir;

  @BeforeAll
  static void startHiveSession() {
    lakeDir = temp.resolve("lake");
    Lake.open(lakeDir.toString());
    System.setProperty("derby.stream.error.file", temp.resolve("derby.log").toString());
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
    SparkSession.Builder builder =
        SparkSession.builder()
            .appName("renamed-columns")
            .master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "2");
    LakeCatalog.sessionSettings(lakeDir.toString()).forEach(builder::config);
    spark = builder.getOrCreate();
  }

  @AfterAll
  static void stopSpark() {
    if (spark != null) {
      spark.stop();
      spark = null;
    }
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
  }

  @Test
  void theRenamesOfIssue15AreDeclared() {
    Map<String, Map<String, String>> renames = new TreeMap<>();
    for (TableSchema schema : SchemaRegistry.all()) {
      if (!schema.renamed().isEmpty()) {
        renames.put(schema.table(), schema.renamed());
      }
    }
    Map<String, String> window = Map.of("window", "pca_window");
    Map<String, String> offset = Map.of("offset", "chunk_offset");
    assertThat(renames)
        .as("tables with a renamed column (window and offset are reserved words, issue 15)")
        .isEqualTo(
            Map.of(
                Tables.PCA_VARIANCES, window,
                Tables.PCA_DIRECTIONS, Map.of("window", "pca_window", "offset", "chunk_offset"),
                Tables.FLATNESS, window,
                Tables.VARIANCE_FLATNESS, window,
                Tables.CLEANING, Map.of("window", "window_steps"),
                Tables.SEPARATION_SUMMARY, Map.of("window", "window_steps"),
                Tables.WEIGHTS, offset,
                Tables.GRADIENTS, offset,
                Tables.FINAL_PARAMS, offset,
                Tables.PARAM_LAYOUT, Map.of("offset", "param_offset")));
  }

  @Test
  void oldAndNewFilesReadUnderTheNewNameThroughTheReaderAndTheCatalog() {
    List<TableSchema> renamed =
        SchemaRegistry.all().stream().filter(s -> !s.renamed().isEmpty()).toList();
    assertThat(renamed).as("tables with a renamed column").isNotEmpty();
    Lake lake = Lake.open(lakeDir.toString());
    TestLakes.writeRows(lake, Tables.RUNS, OLD_RUN, 1, "COMMITTED");
    TestLakes.writeRows(lake, Tables.RUNS, NEW_RUN, 1, "COMMITTED");
    for (TableSchema schema : renamed) {
      TestLakes.writeRowsAsBeforeRenames(lake, schema.table(), OLD_RUN, ROWS);
      TestLakes.writeRows(lake, schema.table(), NEW_RUN, ROWS, null);
    }
    // A catalog declared by the previous schema version has the plain name as a table over the
    // files; the refresh must turn it into the view without losing the files.
    TableSchema first = renamed.get(0);
    spark.sql(
        "CREATE TABLE "
            + first.table()
            + " (x INT) USING parquet LOCATION '"
            + lakeDir.resolve(first.table()).toUri()
            + "'");

    LakeCatalog.Refresh refresh = LakeCatalog.refresh(spark, lakeDir.toString());

    for (TableSchema schema : renamed) {
      String table = schema.table();
      assertThat(refresh.views()).as("views of the refresh").contains(table);
      Dataset<Row> read = LakeTables.readRaw(spark, lakeDir.toString(), table);
      Dataset<Row> view = spark.table(table);
      for (Dataset<Row> data : List.of(read, view)) {
        assertThat(data.columns())
            .as("%s: the declared columns only, in schema order", table)
            .containsExactly(LakeTables.columns(table));
      }
      assertThat(spark.table(table + LakeCatalog.ALL_SUFFIX).columns())
          .as("%s_all also has the former names, as the old files do", table)
          .contains(schema.renamed().keySet().toArray(String[]::new));
      for (Map.Entry<String, String> e : schema.renamed().entrySet()) {
        Column current = schema.columns().get(schema.indexOf(e.getValue()));
        Column former = new Column(e.getKey(), current.type(), current.nullable(), "");
        Map<String, Object> expected = new TreeMap<>();
        for (int k = 0; k < ROWS; k++) {
          expected.put(OLD_RUN + "/" + k, TestLakes.value(former, OLD_RUN, k));
          expected.put(NEW_RUN + "/" + k, TestLakes.value(current, NEW_RUN, k));
        }
        assertThat(values(read, current.name()))
            .as("%s.%s read by LakeTables.readRaw", table, current.name())
            .isEqualTo(expected);
        assertThat(values(view, current.name()))
            .as("%s.%s read through the catalog view", table, current.name())
            .isEqualTo(expected);
        assertThat(
                values(
                    spark.sql("SELECT run_id, " + current.name() + " FROM " + table),
                    current.name()))
            .as("%s.%s by name in Spark SQL", table, current.name())
            .isEqualTo(expected);
      }
    }
  }

  @Test
  void theRecordersVectorReaderFindsTheFormerOffsetName() {
    Lake lake = Lake.open(temp.resolve("vectors").toString());
    TestLakes.writeRowsAsBeforeRenames(lake, Tables.FINAL_PARAMS, OLD_RUN, ROWS);
    TestLakes.writeRows(lake, Tables.FINAL_PARAMS, NEW_RUN, ROWS, null);
    // Row k holds the floats {k, k + 1} at offset k (TestLakes.value): the vector is 0, 1, ...,
    // ROWS.
    float[] expected = new float[ROWS + 1];
    for (int i = 0; i <= ROWS; i++) {
      expected[i] = i;
    }
    for (String run : List.of(OLD_RUN, NEW_RUN)) {
      assertThat(lake.readVector(Tables.FINAL_PARAMS, run, ROWS + 1))
          .as("final_params of %s", run)
          .containsExactly(expected);
    }
  }

  /** A column's values by "run/k", k the row's rank in the run by that column. */
  private static Map<String, Object> values(Dataset<Row> data, String column) {
    Map<String, Object> byRow = new TreeMap<>();
    Map<String, List<Object>> byRun = new TreeMap<>();
    for (Row r : data.select("run_id", column).collectAsList()) {
      byRun.computeIfAbsent(r.getString(0), x -> new ArrayList<>()).add(r.get(1));
    }
    byRun.forEach(
        (run, list) -> {
          list.sort(Comparator.comparing(String::valueOf));
          for (int k = 0; k < list.size(); k++) {
            byRow.put(run + "/" + k, list.get(k));
          }
        });
    return byRow;
  }
}
