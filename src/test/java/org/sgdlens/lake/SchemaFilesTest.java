package org.sgdlens.lake;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** schemas/ is the single source of truth: every file is a known table and vice versa. */
class SchemaFilesTest {
  private static Path schemasDir() {
    return Path.of(System.getProperty("sgdlens.project.dir", ".")).resolve("schemas");
  }

  @Test
  void everySchemaFileIsATableAndEveryTableHasAFile() throws IOException {
    try (Stream<Path> files = Files.list(schemasDir())) {
      assertThat(
              files
                  .map(p -> p.getFileName().toString())
                  .filter(n -> n.endsWith(".json"))
                  .map(n -> n.substring(0, n.length() - 5)))
          .containsExactlyInAnyOrderElementsOf(Tables.ALL);
    }
  }

  @Test
  void everySchemaNamesItsFileIsVersionedAndPartitionedByRun() {
    for (TableSchema schema : SchemaRegistry.all()) {
      assertThat(schema.version()).as("%s version", schema.table()).isPositive();
      assertThat(schema.partitionBy())
          .as("%s partitioning", schema.table())
          .containsExactly("run_id");
      assertThat(schema.names())
          .as("%s columns", schema.table())
          .contains("run_id")
          .doesNotHaveDuplicates();
      assertThat(schema.description()).isNotBlank();
    }
  }

  @Test
  void parquetMessageTypeHasEveryFileColumn() {
    for (TableSchema schema : SchemaRegistry.all()) {
      var message = RowWriteSupport.messageType(schema);
      assertThat(message.getFieldCount()).isEqualTo(schema.fileColumns().size());
      for (Column c : schema.fileColumns()) {
        assertThat(message.containsField(c.name())).as("%s.%s", schema.table(), c.name()).isTrue();
        assertThat(
                message
                    .getType(c.name())
                    .isRepetition(
                        c.nullable()
                            ? org.apache.parquet.schema.Type.Repetition.OPTIONAL
                            : org.apache.parquet.schema.Type.Repetition.REQUIRED))
            .as("%s.%s nullability", schema.table(), c.name())
            .isTrue();
      }
    }
  }
}
