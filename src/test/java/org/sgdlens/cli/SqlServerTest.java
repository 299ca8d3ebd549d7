package org.sgdlens.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.Tables;
import org.sgdlens.ops.TestLakes;

/**
 * jobs/sql-server as a Spark Connect client sees it: the lake's tables by name through the JVM
 * Spark Connect client, committed runs only in the views, and a run committed after the server
 * started visible after the next periodic refresh.
 */
class SqlServerTest {
  private static final int ROWS = 3;

  @TempDir Path temp;

  @Test
  void aSparkConnectClientQueriesTheLakeByName() throws Exception {
    Path lakeDir = temp.resolve("lake");
    Lake lake = TestLakes.write(lakeDir, ROWS, List.of());
    String root = lakeDir.toString();
    SparkSession server =
        SqlJob.session(
            root,
            "sql-server-test",
            Map.of(
                "spark.master",
                "local[2]",
                "spark.ui.enabled",
                "false",
                "spark.driver.host",
                "127.0.0.1",
                "spark.driver.bindAddress",
                "127.0.0.1",
                SqlServerJob.PORT_KEY,
                "0",
                SqlServerJob.ADDRESS_KEY,
                "127.0.0.1"));
    org.sgdlens.analysis.LakeCatalog.refresh(server, root);
    try (SqlServerJob.Server running = SqlServerJob.start(server, root, 1)) {
      // The JVM client's own session class: the test classpath has classic Spark too.
      SparkSession client =
          org.apache.spark.sql.connect.SparkSession.builder()
              .remote("sc://127.0.0.1:" + running.port())
              .create();
      try {
        assertThat(client.getClass().getName())
            .as("a Spark Connect session, not the classic one")
            .contains("connect");
        List<Row> rows =
            client
                .sql("SELECT run_id, count(*) AS n FROM metrics GROUP BY run_id ORDER BY run_id")
                .collectAsList();
        assertThat(rows).as("the metrics view: the committed run r1 only").hasSize(1);
        assertThat(rows.get(0).getString(0)).isEqualTo("r1");
        assertThat(rows.get(0).getLong(1)).isEqualTo(ROWS);
        assertThat(client.sql("SELECT * FROM metrics_all").count())
            .as("metrics_all: both runs on disk")
            .isEqualTo(2L * ROWS);

        // A run committed while the server runs appears after the next refresh (1 s here).
        TestLakes.writeRows(lake, Tables.METRICS, "r3", ROWS, null);
        TestLakes.writeRows(lake, Tables.RUNS, "r3", 1, "COMMITTED");
        long seen = 0;
        for (int i = 0; i < 60 && seen == 0; i++) {
          Thread.sleep(500);
          seen = client.sql("SELECT * FROM metrics WHERE run_id = 'r3'").count();
        }
        assertThat(seen).as("r3's rows through the server after a refresh").isEqualTo(ROWS);
      } finally {
        client.close();
      }
    } finally {
      server.stop();
      SparkSession.clearActiveSession();
      SparkSession.clearDefaultSession();
    }
  }
}
