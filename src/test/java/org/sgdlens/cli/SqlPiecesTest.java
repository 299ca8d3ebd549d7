package org.sgdlens.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sgdlens.analysis.LakeCatalog;
import org.sgdlens.analysis.SqlQueries;

/** The sql command's parts that need no Spark session: splitting, printing, code defaults. */
class SqlPiecesTest {
  @TempDir java.nio.file.Path temp;

  @Test
  void splitsAtSemicolonsOutsideQuotesAndComments() {
    String script =
        "SELECT 'a;b' AS x; -- a comment; with a semicolon\n"
            + "SELECT `odd;name` FROM t /* block; comment */ WHERE y = \"c;d\";\n"
            + " ; -- only a comment\n";
    assertThat(SqlQueries.split(script))
        .as("two statements; quoted and commented semicolons do not split")
        .containsExactly(
            "SELECT 'a;b' AS x",
            "-- a comment; with a semicolon\n"
                + "SELECT `odd;name` FROM t /* block; comment */ WHERE y = \"c;d\"");
  }

  @Test
  void unclosedQuoteIsReportedWithItsPosition() {
    assertThatThrownBy(() -> SqlQueries.split("SELECT 'oops"))
        .as("an unclosed quote names where it starts")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("character 7");
  }

  @Test
  void printsAnAlignedTableWithNumbersRightAligned() {
    StructType schema =
        new StructType()
            .add("run_id", DataTypes.StringType)
            .add("psi", DataTypes.DoubleType)
            .add("values", DataTypes.BinaryType);
    List<Row> rows =
        List.of(
            new GenericRowWithSchema(new Object[] {"r1", 4.25, new byte[12]}, schema),
            new GenericRowWithSchema(new Object[] {"run-long", null, null}, schema));
    String table = TextTable.format(List.of("run_id", "psi", "values"), rows, 60, "UTC");
    assertThat(table.lines().toList())
        .as("header, rule, rows; NULL for nulls, sizes for binary")
        .containsExactly(
            "run_id   |  psi | values",
            "---------+------+-----------",
            "r1       | 4.25 | <12 bytes>",
            "run-long | NULL | NULL");
  }

  @Test
  void catalogSettingsGivenToSparkSubmitWinOverTheCodeDefaults() throws Exception {
    String lake = java.nio.file.Files.createDirectories(temp.resolve("lake")).toString();
    SparkConf submitted = new SparkConf(false).set(LakeCatalog.WAREHOUSE_DIR, "file:/elsewhere");
    assertThat(SqlJob.catalogDefaults(lake, submitted))
        .as("a --conf value is not overridden by the code default")
        .doesNotContainKey(LakeCatalog.WAREHOUSE_DIR)
        .containsEntry(LakeCatalog.CATALOG_IMPLEMENTATION, "hive")
        .containsKey(LakeCatalog.METASTORE_URL);

    SparkConf shared =
        new SparkConf(false).set(LakeCatalog.METASTORE_URIS, "thrift://metastore:9083");
    assertThat(SqlJob.catalogDefaults("hdfs://nn/lake", shared))
        .as("with a shared metastore the lake may be remote and no Derby URL is added")
        .containsOnlyKeys(LakeCatalog.CATALOG_IMPLEMENTATION);
  }

  @Test
  void remoteLakeWithoutASharedMetastoreIsRejectedWithTheFix() {
    assertThatThrownBy(() -> SqlJob.catalogDefaults("hdfs://nn/lake", new SparkConf(false)))
        .as("the message names the lake and the settings to use instead")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("hdfs://nn/lake")
        .hasMessageContaining(LakeCatalog.METASTORE_URIS);
  }

  @Test
  void aLakeFolderThatDoesNotExistIsAnErrorAndIsNotCreated() {
    java.nio.file.Path missing = temp.resolve("no-such-lake");
    assertThatThrownBy(() -> SqlJob.catalogDefaults(missing.toString(), new SparkConf(false)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no lake at " + missing)
        .hasMessageContaining("check --lake");
    assertThat(missing).doesNotExist();
  }
}
