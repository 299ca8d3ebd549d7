package org.sgdlens.lake;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** Every typed row and vector key has its table's file columns, by name and in schema order. */
class TableRowsTest {
  private static final List<String> VECTOR_COLUMNS =
      List.of("chunk", "chunk_offset", "length", "values");

  record Case(Class<? extends Record> type, String table) {}

  private static final List<Case> ROWS =
      List.of(
          new Case(RunsRow.class, Tables.RUNS),
          new Case(ParamLayoutRow.class, Tables.PARAM_LAYOUT),
          new Case(SamplesRow.class, Tables.SAMPLES),
          new Case(SampleLossesRow.class, Tables.SAMPLE_LOSSES),
          new Case(MetricsRow.class, Tables.METRICS),
          new Case(CurvatureRow.class, Tables.CURVATURE),
          new Case(CurvatureDensityRow.class, Tables.CURVATURE_DENSITY));

  private static final List<Case> KEYS =
      List.of(
          new Case(WeightsKey.class, Tables.WEIGHTS),
          new Case(GradientsKey.class, Tables.GRADIENTS),
          new Case(FinalParamsKey.class, Tables.FINAL_PARAMS));

  private static final List<Case> RESULT_ROWS =
      List.of(
          new Case(SweepRunsRow.class, Tables.SWEEP_RUNS),
          new Case(SweepSummaryRow.class, Tables.SWEEP_SUMMARY),
          new Case(NightlySummaryRow.class, Tables.NIGHTLY_SUMMARY),
          new Case(DualityRow.class, Tables.DUALITY),
          new Case(DualitySummaryRow.class, Tables.DUALITY_SUMMARY));

  @Test
  void everyResultRowRecordHasAllItsTablesColumnsInSchemaOrder() {
    for (Case c : RESULT_ROWS) {
      assertThat(components(c.type()))
          .as("components of %s against schemas/%s.json", c.type().getSimpleName(), c.table())
          .containsExactlyElementsOf(SchemaRegistry.schema(c.table()).names());
    }
    java.sql.Timestamp now = new java.sql.Timestamp(0);
    List<ResultRow> rows =
        List.of(
            new SweepRunsRow("r", "s", 1, "{}", "k", "COMMITTED", null, "phases", now),
            new SweepSummaryRow(
                "r",
                "s",
                "{}",
                "COMMITTED",
                "d",
                "m",
                0.2,
                0.1,
                32,
                0.0,
                0.0,
                7L,
                100L,
                0.5,
                0.8,
                false,
                40L,
                0.9,
                10L,
                12L,
                0.7,
                1.2,
                1.0,
                1.4,
                now),
            new NightlySummaryRow(
                "r", "s", "2026-12-02", "k", "FAILED", true, true, null, null, null, null, now),
            new DualityRow("r", 7, "fc2.weight", "input", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12),
            new DualitySummaryRow(
                "r",
                7,
                "fc2.weight",
                "input",
                900,
                900,
                "dense",
                1,
                10,
                5,
                5,
                0,
                0.1,
                0.1,
                0,
                0.1,
                0,
                1,
                0.1,
                0.1,
                0.01,
                0.11,
                1e-16,
                1e-16,
                3,
                0.5));
    for (ResultRow row : rows) {
      assertThat(row.columns())
          .as("values of %s", row.table())
          .hasSize(SchemaRegistry.schema(row.table()).columns().size());
    }
    assertThat(rows.stream().map(ResultRow::table).toList())
        .containsExactlyElementsOf(RESULT_ROWS.stream().map(Case::table).toList());
  }

  @Test
  void everyRowRecordHasItsTablesFileColumnsInSchemaOrder() {
    for (Case c : ROWS) {
      assertThat(components(c.type()))
          .as("components of %s against schemas/%s.json", c.type().getSimpleName(), c.table())
          .containsExactlyElementsOf(fileColumns(c.table()));
    }
  }

  @Test
  void everyVectorKeyHasItsTablesKeyColumnsInSchemaOrder() {
    for (Case c : KEYS) {
      List<String> columns = fileColumns(c.table());
      assertThat(columns.subList(columns.size() - VECTOR_COLUMNS.size(), columns.size()))
          .as("schemas/%s.json ends in the chunk columns", c.table())
          .containsExactlyElementsOf(VECTOR_COLUMNS);
      assertThat(components(c.type()))
          .as("components of %s against schemas/%s.json", c.type().getSimpleName(), c.table())
          .containsExactlyElementsOf(columns.subList(0, columns.size() - VECTOR_COLUMNS.size()));
    }
  }

  @Test
  void rowsNameTheirTableAndGiveOneValuePerColumnOfItsType() {
    java.time.Instant now = java.time.Instant.now();
    List<TableRow> rows =
        List.of(
            new RunsRow(
                RunStatus.COMMITTED,
                now,
                now,
                "d",
                "m",
                1,
                1,
                2,
                3,
                0.1,
                "k",
                0,
                7,
                0.1,
                0.9,
                0,
                64,
                100,
                1.5,
                "cpu",
                0.5,
                0.9,
                false,
                null,
                "{}",
                null,
                null),
            new ParamLayoutRow(0, "w", "[2, 3]", 0, 6, 0, true),
            new SamplesRow(0, 5, 1, 1, false),
            new SampleLossesRow(10, 0, 1, 2, true, 0.25, 1, true),
            new MetricsRow(10, 0.5, 0.3, 0.9, 0.95, 0.1, 0.2, 0.4, 0.85, 0.33, 1.0),
            new CurvatureRow(
                10,
                "all",
                0.5,
                100,
                "subset",
                50,
                7L,
                2,
                3.0,
                new double[] {3.0, 1.0},
                new double[] {1e-9, 1e-8},
                22,
                12.0,
                0.5,
                20,
                7,
                CurvatureRow.SOURCE_RECORD),
            new CurvatureDensityRow(10, "all", 0, -0.5, 0.1, CurvatureRow.SOURCE_RECORD));
    assertThat(rows.stream().map(TableRow::table).toList())
        .as("tables")
        .containsExactlyElementsOf(ROWS.stream().map(Case::table).toList());
    for (TableRow row : rows) {
      TableSchema schema = SchemaRegistry.schema(row.table());
      Object[] values = row.values();
      assertThat(values).as("values of %s", row.table()).hasSize(schema.fileColumns().size());
      for (int i = 0; i < values.length; i++) {
        Column column = schema.fileColumns().get(i);
        if (values[i] != null) {
          assertThat(values[i])
              .as("%s.%s", row.table(), column.name())
              .isInstanceOf(javaType(column.type()));
        }
      }
    }
    assertThat(new GradientsKey(3, 1, GradientPart.WRONG, 4, 64, 9).prefix()[2])
        .as("the part as stored")
        .isEqualTo("wrong");
  }

  private static Class<?> javaType(ColumnType type) {
    return switch (type) {
      case STRING -> String.class;
      case INTEGER -> Integer.class;
      case LONG -> Long.class;
      case FLOAT -> Float.class;
      case DOUBLE -> Double.class;
      case BOOLEAN -> Boolean.class;
      case BINARY -> Object.class;
      case TIMESTAMP -> java.time.Instant.class;
      case FLOAT_ARRAY -> float[].class;
      case DOUBLE_ARRAY -> double[].class;
    };
  }

  private static List<String> fileColumns(String table) {
    return SchemaRegistry.schema(table).fileColumns().stream().map(Column::name).toList();
  }

  /** Record component names in declaration order, camelCase turned into snake_case. */
  private static List<String> components(Class<? extends Record> type) {
    return Arrays.stream(type.getRecordComponents())
        .map(RecordComponent::getName)
        .map(n -> n.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT))
        .toList();
  }
}
