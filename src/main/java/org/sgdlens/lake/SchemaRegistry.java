package org.sgdlens.lake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
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
    Map<String, String> renamed = renamed(table, root.path("renamed"), columns);
    return new TableSchema(
        table,
        root.path("version").asInt(),
        root.path("description").asText(),
        List.copyOf(partitionBy),
        List.copyOf(columns),
        struct,
        renamed);
  }

  /**
   * The schema file's {@code "renamed": {"old_name": "new_name"}}: each new name is a column of the
   * table and no old name is one (a file with both would be ambiguous).
   */
  private static Map<String, String> renamed(String table, JsonNode node, List<Column> columns) {
    if (node.isMissingNode() || node.isNull()) {
      return Map.of();
    }
    if (!node.isObject()) {
      throw new IllegalArgumentException(
          "schemas/"
              + table
              + ".json: \"renamed\" is "
              + node
              + "; give an object of old column name to new name, e.g. {\"window\": \"pca_window\"}");
    }
    List<String> names = columns.stream().map(Column::name).toList();
    Map<String, String> renamed = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      String oldName = e.getKey();
      String newName = e.getValue().asText();
      if (!names.contains(newName) || names.contains(oldName)) {
        throw new IllegalArgumentException(
            "schemas/"
                + table
                + ".json renames '"
                + oldName
                + "' to '"
                + newName
                + "', but the new name must be a column and the old one must not; columns are "
                + names);
      }
      renamed.put(oldName, newName);
    }
    return Collections.unmodifiableMap(renamed);
  }
}
