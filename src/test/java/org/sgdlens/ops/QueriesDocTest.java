package org.sgdlens.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.sgdlens.analysis.LakeTables;
import org.sgdlens.analysis.SparkTestBase;
import org.sgdlens.analysis.SqlQueries;
import org.sgdlens.lake.Tables;

/**
 * Every SQL statement in docs/queries.md runs: the record tables and runs come from a test lake,
 * result tables are empty tables with their schemas/ declaration when it is on the classpath (so a
 * renamed column breaks this test), otherwise with the columns the docs rely on.
 */
class QueriesDocTest extends SparkTestBase {
  /** Columns the docs use from result tables of jobs built on other branches. */
  private static final Map<String, String> FALLBACK =
      Map.of(
          "phases",
          "run_id STRING, method STRING, phase STRING, phase_order INT, start_step BIGINT,"
              + " end_step BIGINT, label_noise BOOLEAN, rule STRING",
          "phase_boundaries",
          "run_id STRING, boundary STRING, ground_truth_step BIGINT, label_free_step BIGINT,"
              + " distance_steps BIGINT",
          "separation_summary",
          "run_id STRING, score STRING, window_steps INT, t_sep BIGINT, max_auroc DOUBLE,"
              + " d_prime_at_t_sep DOUBLE, phase_ground_truth STRING, in_phase_ii BOOLEAN",
          "loss_separation",
          "run_id STRING, step BIGINT, auroc DOUBLE, d_prime DOUBLE, phase_ground_truth STRING",
          "variance_flatness",
          "run_id STRING, pca_window STRING, method STRING, psi DOUBLE, psi_ci_low DOUBLE,"
              + " psi_ci_high DOUBLE, r2 DOUBLE, fit_points INT, censored_excluded INT");

  @Test
  void everyDocumentedQueryRuns() throws IOException {
    String lake = tempDir.resolve("lake").toString();
    TestLakes.write(tempDir.resolve("lake"), 3, List.of());
    for (String table : Tables.ALL) {
      LakeTables.read(spark, lake, table).createOrReplaceTempView(table);
    }
    LakeTables.readRaw(spark, lake, Tables.RUNS).createOrReplaceTempView("runs_all");
    for (Map.Entry<String, String> e : FALLBACK.entrySet()) {
      boolean declared =
          getClass().getClassLoader().getResource("schemas/" + e.getKey() + ".json") != null;
      StructType schema =
          declared ? LakeTables.sparkSchema(e.getKey()) : StructType.fromDDL(e.getValue());
      spark.createDataFrame(List.<Row>of(), schema).createOrReplaceTempView(e.getKey());
    }

    String doc = Files.readString(Launchers.projectDir().resolve("docs/queries.md"));
    List<String> statements = new ArrayList<>();
    Matcher block = Pattern.compile("(?s)```sql\\n(.*?)```").matcher(doc);
    while (block.find()) {
      if (block.group(1).startsWith("-- DuckDB")) {
        continue; // DuckDB's SQL over the raw files: DocsDuckDbQueriesTest runs those blocks
      }
      statements.addAll(SqlQueries.split(block.group(1)));
    }
    assertThat(statements).as("docs/queries.md has SQL blocks").hasSizeGreaterThan(8);
    for (String sql : statements) {
      assertThatCode(
              () -> {
                Dataset<Row> result = spark.sql(sql);
                result.collectAsList();
              })
          .as("docs/queries.md statement runs:\n%s", sql)
          .doesNotThrowAnyException();
    }
    assertThat(
            spark
                .sql("SELECT run_id FROM runs_all WHERE diverged OR status = 'FAILED'")
                .collectAsList())
        .as("the test lake's FAILED run is what the divergence query finds")
        .extracting(r -> r.getString(0))
        .containsExactly(TestLakes.FAILED_RUN);
  }
}
