package org.sgdlens.record;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;

/**
 * Resolves a {@link RunConfig} from layers, later layers winning: code defaults, {@code
 * conf/train.yaml}, the user's {@code --config} file, environment variables, command-line {@code
 * --set key=value}. Keys are snake_case paths such as {@code sgd.learning_rate}.
 */
public final class ConfigLoader {
  /** Environment variables and the config path each one sets. */
  public static final Map<String, String> ENVIRONMENT =
      Map.of(
          "SGDLENS_DATA_DIR", "dataset.path",
          "SGDLENS_DEVICE", "device",
          "SGDLENS_THREADS", "threads");

  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  private static final ObjectMapper JSON =
      new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

  private ObjectNode tree;

  public ConfigLoader() {
    this.tree = JSON.valueToTree(new RunConfig());
  }

  /** Merges a YAML or JSON file over the current layers. */
  public ConfigLoader file(Path path) {
    if (!Files.isRegularFile(path)) {
      throw new IllegalArgumentException(
          "Config file " + path + " does not exist; give a YAML file such as conf/train.yaml");
    }
    try {
      JsonNode node = YAML.readTree(path.toFile());
      if (node != null && !node.isMissingNode() && !node.isNull()) {
        if (!node.isObject()) {
          throw new IllegalArgumentException("Config file " + path + " is not a mapping of keys");
        }
        merge(tree, (ObjectNode) node, "");
      }
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "Config file " + path + " is not valid YAML: " + e.getMessage());
    }
    return this;
  }

  /** Applies the documented environment variables from {@code env}. */
  public ConfigLoader environment(Map<String, String> env) {
    for (Map.Entry<String, String> e : ENVIRONMENT.entrySet()) {
      String value = env.get(e.getKey());
      if (value != null && !value.isBlank()) {
        set(e.getValue(), value);
      }
    }
    return this;
  }

  /** Sets one dotted key; the value is parsed as YAML (numbers, booleans, lists, maps). */
  public ConfigLoader set(String key, String value) {
    String[] path = key.split("\\.");
    ObjectNode node = tree;
    for (int i = 0; i < path.length - 1; i++) {
      JsonNode child = node.get(path[i]);
      if (child == null || !child.isObject()) {
        throw unknownKey(key);
      }
      node = (ObjectNode) child;
    }
    String leaf = path[path.length - 1];
    if (!node.has(leaf)) {
      throw unknownKey(key);
    }
    try {
      JsonNode parsed = YAML.readTree(value.isEmpty() ? "''" : value);
      node.set(
          leaf,
          parsed == null || parsed.isMissingNode()
              ? JSON.getNodeFactory().textNode(value)
              : parsed);
    } catch (JsonProcessingException e) {
      node.put(leaf, value);
    }
    return this;
  }

  /** Parses {@code key=value} as given to {@code --set}. */
  public ConfigLoader assignment(String assignment) {
    int eq = assignment.indexOf('=');
    if (eq <= 0) {
      throw new IllegalArgumentException(
          "--set " + assignment + " is not key=value; write e.g. --set sgd.learning_rate=0.05");
    }
    return set(assignment.substring(0, eq).trim(), assignment.substring(eq + 1).trim());
  }

  public RunConfig build() {
    try {
      return YAML.treeToValue(tree, RunConfig.class);
    } catch (UnrecognizedPropertyException e) {
      throw new IllegalArgumentException(
          "Unknown config key '"
              + e.getPropertyName()
              + "'; known keys at that level: "
              + e.getKnownPropertyIds());
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("Invalid config value: " + e.getOriginalMessage());
    }
  }

  private IllegalArgumentException unknownKey(String key) {
    return new IllegalArgumentException(
        "Unknown config key '"
            + key
            + "'; see conf/train.yaml for every key (snake_case paths"
            + " such as sgd.learning_rate, record.gradients.every)");
  }

  private static void merge(ObjectNode target, ObjectNode source, String prefix) {
    Iterator<Map.Entry<String, JsonNode>> fields = source.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> e = fields.next();
      JsonNode existing = target.get(e.getKey());
      if (existing == null && !target.has(e.getKey())) {
        throw new IllegalArgumentException(
            "Unknown config key '" + prefix + e.getKey() + "'; see conf/train.yaml for every key");
      }
      if (existing != null && existing.isObject() && e.getValue().isObject()) {
        merge((ObjectNode) existing, (ObjectNode) e.getValue(), prefix + e.getKey() + ".");
      } else {
        target.set(e.getKey(), e.getValue());
      }
    }
  }

  /** The config as canonical JSON (what {@code runs.config_json} stores). */
  public static String toJson(RunConfig config) {
    try {
      return JSON.writeValueAsString(config);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A stable hash of everything but the run id: same config, same id. */
  public static String hash(RunConfig config) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(hashedJson(config).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 5);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The JSON that {@link #hash} digests. */
  static String hashedJson(RunConfig config) {
    ObjectNode node = JSON.valueToTree(config);
    node.remove("run_id");
    // How the recording is executed does not change what is recorded.
    node.remove("parallel_recording");
    // Nor does the writer's memory budget, added after the first lakes.
    ((ObjectNode) node.get("record")).remove("writer_budget_mb");
    // Nor does the gradient files' layout (record.gradient_group_mb).
    ((ObjectNode) node.get("record")).remove("gradient_group_mb");
    // Sections added after the first lakes enter the hash only when set, so that the run ids of
    // existing lakes stay what they were.
    if (node.get("divergence").equals(JSON.valueToTree(new RunConfig.DivergenceConfig()))) {
      node.remove("divergence");
    }
    if (node.get("stop").equals(JSON.valueToTree(new RunConfig.StopConfig()))) {
      node.remove("stop");
    }
    ObjectNode record = (ObjectNode) node.get("record");
    if (record.get("curvature").equals(JSON.valueToTree(CurvatureSchedule.none()))) {
      record.remove("curvature");
    }
    ObjectNode model = (ObjectNode) node.get("model");
    ObjectNode modelDefaults = JSON.valueToTree(new RunConfig.ModelConfig());
    for (String added : new String[] {"loss", "depth", "widths", "path"}) {
      if (model.get(added).equals(modelDefaults.get(added))) {
        model.remove(added);
      }
    }
    ObjectNode dataset = (ObjectNode) node.get("dataset");
    ObjectNode datasetDefaults = JSON.valueToTree(new RunConfig.DataConfig());
    for (String added :
        new String[] {
          "image_shape",
          "channels_last",
          "arrays",
          "feature_columns",
          "label_column",
          "mean",
          "std",
          "augment"
        }) {
      if (dataset.get(added).equals(datasetDefaults.get(added))) {
        dataset.remove(added);
      }
    }
    try {
      return JSON.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  public static RunConfig fromJson(String json) {
    try {
      return JSON.readValue(json, RunConfig.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "Stored run config is not valid: " + e.getOriginalMessage());
    }
  }
}
