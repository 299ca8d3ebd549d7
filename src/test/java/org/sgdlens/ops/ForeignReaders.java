package org.sgdlens.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.analysis.LakeTables;
import org.sgdlens.lake.Column;
import org.sgdlens.lake.ColumnType;
import org.sgdlens.lake.SchemaRegistry;
import org.sgdlens.lake.TableSchema;
import org.sgdlens.lake.Tables;

/**
 * Reads every table of a lake with DuckDB, a Parquet reader that shares no code with ours or
 * Spark's, and checks that it sees what Spark sees: the same rows, every column present, the same
 * per-column sums, counts and lengths, the run_id partition recovered from the folder names, and
 * the same bytes in the first vector chunks.
 */
public final class ForeignReaders {
  private ForeignReaders() {}

  /** The tables checked (those with at least one Parquet file in the lake). */
  public static List<String> assertDuckDbReadsLikeSpark(SparkSession spark, Path lake) {
    List<String> checked = new ArrayList<>();
    try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
        Statement sql = duck.createStatement()) {
      for (String table : Tables.ALL) {
        Path folder = lake.resolve(table);
        if (!hasParquet(folder)) {
          continue;
        }
        compare(spark, sql, lake, table, folder);
        checked.add(table);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("DuckDB could not read the lake at " + lake, e);
    }
    return checked;
  }

  private static void compare(
      SparkSession spark, Statement sql, Path lake, String table, Path folder) throws SQLException {
    TableSchema schema = SchemaRegistry.schema(table);
    String source =
        "read_parquet('"
            + folder
            + "/**/*.parquet', hive_partitioning = true, union_by_name = true)";
    List<String> duckColumns = new ArrayList<>();
    try (ResultSet r = sql.executeQuery("DESCRIBE SELECT * FROM " + source)) {
      while (r.next()) {
        duckColumns.add(r.getString(1));
      }
    }
    assertThat(duckColumns).as("%s: DuckDB's columns", table).containsAll(schema.names());

    List<String> duck = new ArrayList<>(List.of("count(*)"));
    List<String> sparkExpr = new ArrayList<>(List.of("count(*)"));
    for (Column c : schema.columns()) {
      for (String[] both : aggregates(c.type())) {
        duck.add(String.format(both[0], '"' + c.name() + '"'));
        sparkExpr.add(String.format(both[1], '`' + c.name() + '`'));
      }
    }
    Row expected =
        LakeTables.readRaw(spark, lake.toUri().toString(), table)
            .selectExpr(sparkExpr.toArray(String[]::new))
            .first();
    try (ResultSet r = sql.executeQuery("SELECT " + String.join(", ", duck) + " FROM " + source)) {
      r.next();
      for (int i = 0; i < duck.size(); i++) {
        Object want = expected.get(i);
        Object got = r.getObject(i + 1);
        if (want instanceof Double d) {
          assertThat(((Number) got).doubleValue())
              .as("%s: %s", table, duck.get(i))
              .isCloseTo(d, org.assertj.core.data.Offset.offset(1e-9 * Math.max(1, Math.abs(d))));
        } else if (want == null) {
          assertThat(got).as("%s: %s", table, duck.get(i)).isNull();
        } else {
          assertThat(((Number) got).longValue())
              .as("%s: %s", table, duck.get(i))
              .isEqualTo(((Number) want).longValue());
        }
      }
    }
    compareVectorBytes(spark, sql, lake, table, source, schema);
  }

  /** Per column type, the same aggregates in DuckDB's SQL and in Spark's; %s is the column. */
  private static List<String[]> aggregates(ColumnType type) {
    List<String[]> out = new ArrayList<>();
    out.add(new String[] {"count(%s)", "count(%s)"});
    out.addAll(
        switch (type) {
          case DOUBLE, FLOAT, INTEGER, LONG ->
              List.<String[]>of(new String[] {"sum(%s::DOUBLE)", "sum(cast(%s as double))"});
          case BOOLEAN ->
              List.<String[]>of(
                  new String[] {"count_if(%s)::DOUBLE", "cast(count_if(%s) as double)"});
          case STRING ->
              List.<String[]>of(
                  new String[] {"sum(length(%s))::DOUBLE", "cast(sum(length(%s)) as double)"});
          case BINARY ->
              List.<String[]>of(
                  new String[] {
                    "sum(octet_length(%s))::DOUBLE", "cast(sum(length(%s)) as double)"
                  });
          case FLOAT_ARRAY, DOUBLE_ARRAY ->
              List.<String[]>of(
                  new String[] {"sum(len(%s))::DOUBLE", "cast(sum(size(%s)) as double)"});
          case TIMESTAMP ->
              List.of(
                  new String[] {
                    "min(epoch_us(%s))::DOUBLE", "cast(min(unix_micros(%s)) as double)"
                  },
                  new String[] {
                    "max(epoch_us(%s))::DOUBLE", "cast(max(unix_micros(%s)) as double)"
                  });
        });
    return out;
  }

  /** The first rows of a table with a binary column, in key order: the same bytes in both. */
  private static void compareVectorBytes(
      SparkSession spark, Statement sql, Path lake, String table, String source, TableSchema schema)
      throws SQLException {
    List<String> keys = new ArrayList<>();
    String blob = null;
    for (Column c : schema.columns()) {
      if (c.type() == ColumnType.BINARY) {
        blob = c.name();
      } else if (c.type() != ColumnType.DOUBLE
          && c.type() != ColumnType.FLOAT
          && c.type() != ColumnType.FLOAT_ARRAY
          && c.type() != ColumnType.DOUBLE_ARRAY) {
        keys.add(c.name());
      }
    }
    if (blob == null) {
      return;
    }
    String order = String.join(", ", keys.stream().map(k -> '"' + k + '"').toList());
    List<Row> expected =
        LakeTables.readRaw(spark, lake.toUri().toString(), table)
            .orderBy(
                keys.stream()
                    .map(org.apache.spark.sql.functions::col)
                    .toArray(org.apache.spark.sql.Column[]::new))
            .select(blob)
            .limit(20)
            .collectAsList();
    try (ResultSet r =
        sql.executeQuery(
            "SELECT \"" + blob + "\" FROM " + source + " ORDER BY " + order + " LIMIT 20")) {
      for (Row row : expected) {
        assertThat(r.next()).isTrue();
        assertThat(r.getBytes(1)).as("%s: %s bytes", table, blob).isEqualTo(row.<byte[]>getAs(0));
      }
    }
  }

  private static boolean hasParquet(Path folder) {
    if (!Files.isDirectory(folder)) {
      return false;
    }
    try (Stream<Path> files = Files.walk(folder)) {
      return files.anyMatch(f -> f.getFileName().toString().endsWith(".parquet"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
