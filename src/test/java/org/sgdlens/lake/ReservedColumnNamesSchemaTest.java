package org.sgdlens.lake;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * No column of schemas/ is a reserved word of DuckDB or Spark SQL, so a query selects every column
 * without quoting it (issue 15: DuckDB failed on {@code window}). Former names of renamed columns
 * are exempt: they exist only in old files.
 */
class ReservedColumnNamesSchemaTest {
  /**
   * DuckDB 1.5.6 (the duckdb_jdbc of the pom): {@code SELECT keyword_name FROM duckdb_keywords()
   * WHERE keyword_category = 'reserved'}, the RESERVED_KEYWORD entries of
   * third_party/libpg_query/include/parser/kwlist.hpp. Keywords of the column_name category ({@code
   * values}, {@code position}, {@code precision}) are allowed as column names and are not listed.
   */
  static final Set<String> DUCKDB_RESERVED =
      words(
          """
          all analyse analyze and any array as asc asymmetric both case cast check collate column
          constraint create default deferrable desc describe distinct do else end except false
          fetch for foreign from group having in initially intersect into lambda lateral leading
          limit not null offset on only or order pivot pivot_longer pivot_wider placing primary
          qualify references returning select show some summarize symmetric table then to
          trailing true union unique unpivot using variadic when where window with
          """);

  /**
   * Spark SQL 4.2.0 with {@code spark.sql.ansi.enforceReservedKeywords=true}: {@code SELECT keyword
   * FROM sql_keywords() WHERE reserved}, the "reserved" rows of the ANSI-mode column in Spark's
   * docs/sql-ref-ansi-compliance.md ("SQL Keywords"). Spark's default mode reserves none.
   */
  static final Set<String> SPARK_ANSI_RESERVED =
      words(
          """
          all and any as authorization both call case cast check collate collation collations
          column constraint create cross current_date current_path current_schema current_time
          current_timestamp current_user distinct else end escape except execute false fetch
          filter for foreign from full grant group having in inner intersect into is join lateral
          leading left natural not null offset on only or order outer overlaps primary recursive
          references right select session_user some sql table then time to trailing union unique
          unknown user using when where with within
          """);

  private static Set<String> words(String text) {
    return Set.of(text.strip().split("\\s+"));
  }

  @Test
  void noColumnIsAReservedWord() {
    List<String> reserved = new ArrayList<>();
    for (TableSchema schema : SchemaRegistry.all()) {
      for (String column : schema.names()) {
        if (DUCKDB_RESERVED.contains(column) || SPARK_ANSI_RESERVED.contains(column)) {
          reserved.add(schema.table() + "." + column);
        }
      }
    }
    assertThat(reserved)
        .as(
            "columns named with a reserved word; rename them with the schema file's \"renamed\""
                + " (docs/lake.md, Schemas)")
        .isEmpty();
  }

  @Test
  void theDuckDbListIsTheOneOfTheDuckDbInTheBuild() throws SQLException {
    Set<String> live = new TreeSet<>();
    try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = duck.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category = 'reserved'")) {
      while (rs.next()) {
        live.add(rs.getString(1));
      }
    }
    assertThat(DUCKDB_RESERVED)
        .as("DuckDB's reserved keywords (update the list when the duckdb_jdbc version changes)")
        .containsAll(live);
  }

  @Test
  void aFormerNameIsNoLongerAColumn() {
    for (TableSchema schema : SchemaRegistry.all()) {
      for (var e : schema.renamed().entrySet()) {
        assertThat(schema.names())
            .as("%s renames %s to %s", schema.table(), e.getKey(), e.getValue())
            .doesNotContain(e.getKey())
            .contains(e.getValue());
      }
    }
  }
}
