package org.sgdlens.lake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Loads table schemas from {@code schemas/<table>.json} on the classpath (the build copies the
 * top-level {@code schemas/} folder there).
 */
public final class SchemaRegistry {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, TableSchema> CACHE = new ConcurrentHashMap<>();

  private SchemaRegistry() {}

  public static TableSchema schema(String table) {
    return CACHE.computeIfAbsent(table, SchemaRegistry::load);
  }

  /** Every table of the lake, in the order of {@link Tables#ALL}. */
  public static List<TableSchema> all() {
    return Tables.ALL.stream().map(SchemaRegistry::schema).toList();
  }

  private static TableSchema load(String table) {
    String resource = "schemas/" + table + ".json";
    try (InputStream in = SchemaRegistry.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalArgumentException(
            "Unknown table '"
                + table
                + "': no "
                + resource
                + " on the classpath; tables are "
                + Tables.ALL);
      }
      return parse(JSON.readTree(in));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read schema " + resource, e);
    }
  }

  static TableSchema parse(JsonNode root) {
    String table = root.path("table").asText();
    List<String> partitionBy = new ArrayList<>();
    root.path("partition_by").forEach(n -> partitionBy.add(n.asText()));
    List<Column> columns = new ArrayList<>();
    for (JsonNode field : root.path("fields")) {
      JsonNode type = field.path("type");
      ColumnType columnType =
          type.isObject()
              ? ColumnType.fromSparkName("array<" + type.path("elementType").asText() + ">")
              : ColumnType.fromSparkName(type.asText());
      columns.add(
          new Column(
              field.path("name").asText(),
              columnType,
              field.path("nullable").asBoolean(),
              field.path("metadata").path("comment").asText("")));
    }
    String struct = "{\"type\":\"struct\",\"fields\":" + root.path("fields").toString() + "}";
    return new TableSchema(
        table,
        root.path("version").asInt(),
        root.path("description").asText(),
        List.copyOf(partitionBy),
        List.copyOf(columns),
        struct);
  }
}
