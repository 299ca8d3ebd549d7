package org.sgdlens.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.SchemaRegistry;
import org.sgdlens.lake.Tables;

/**
 * The DuckDB queries docs/queries.md gives readers outside Spark run as written on a lake that
 * holds a committed and a FAILED run's files, and return rows of the committed run only; also when
 * the committed run's files hold the column names from before the renames (docs/lake.md).
 */
class DocsDuckDbQueriesTest {
  private static final Pattern SQL_BLOCK = Pattern.compile("(?s)```sql\\n(-- DuckDB.*?)```");

  @TempDir Path temp;

  @Test
  void theDocumentedDuckDbQueriesSeeCommittedRunsOnly() throws IOException, SQLException {
    Path lake = temp.resolve("lake");
    TestLakes.write(lake, 3, List.of());
    runDocumentedQueries(lake);
  }

  @Test
  void theyRunTheSameOnALakeWrittenBeforeTheRenames() throws IOException, SQLException {
    Path folder = temp.resolve("old-lake");
    Lake lake = TestLakes.write(folder, 3, List.of());
    // The committed run's record files as the schema versions before the renames wrote them.
    for (String table : Tables.RECORDS) {
      if (!SchemaRegistry.schema(table).renamed().isEmpty()) {
        TestLakes.writeRowsAsBeforeRenames(lake, table, TestLakes.COMMITTED_RUN, 3);
      }
    }
    runDocumentedQueries(folder);
  }

  private void runDocumentedQueries(Path lake) throws IOException, SQLException {
    Set<String> renamed = new TreeSet<>();
    SchemaRegistry.all().forEach(s -> renamed.addAll(s.renamed().values()));
    String doc =
        Files.readString(Launchers.projectDir().resolve("docs/queries.md"), StandardCharsets.UTF_8);
    List<String> queries = new ArrayList<>();
    Matcher m = SQL_BLOCK.matcher(doc);
    while (m.find()) {
      queries.add(m.group(1).replace("'lake/", "'" + lake + "/"));
    }
    assertThat(queries).as("DuckDB blocks in docs/queries.md").hasSizeGreaterThanOrEqualTo(3);
    try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = duck.createStatement()) {
      for (String query : queries) {
        int rows = 0;
        try (ResultSet rs = st.executeQuery(query.strip().replaceAll(";$", ""))) {
          ResultSetMetaData md = rs.getMetaData();
          while (rs.next()) {
            rows++;
            assertThat(rs.getString("run_id"))
                .as("run of a row of %s", query)
                .isEqualTo(TestLakes.COMMITTED_RUN);
            for (int c = 1; c <= md.getColumnCount(); c++) {
              if (renamed.contains(md.getColumnLabel(c))) {
                assertThat(rs.getObject(c))
                    .as("renamed column %s of %s", md.getColumnLabel(c), query)
                    .isNotNull();
              }
            }
          }
        }
        assertThat(rows).as("rows of %s", query).isPositive();
      }
    }
  }
}
