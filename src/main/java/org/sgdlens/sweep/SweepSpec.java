package org.sgdlens.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.sgdlens.record.ConfigLoader;
import org.sgdlens.record.RunConfig;
import org.sgdlens.record.TrainRun;

/**
 * A sweep file: a base run config plus a grid (cartesian product) and/or a list of explicit
 * variations over any config key (snake_case dotted keys such as {@code sgd.learning_rate}). Each
 * expanded run is resolved through {@link ConfigLoader}, so an unknown key fails with the loader's
 * message; its id is {@code <sweep name>-<hash of the resolved config>}.
 *
 * <p>Expansion: runs = variations × grid points (an absent list counts as one empty entry); a run's
 * config is the code defaults, then {@code base}, then its grid point, then its variation.
 */
public final class SweepSpec {
  static final Set<String> TOP_KEYS =
      Set.of("name", "description", "base", "grid", "variations", "analyses", "analysis");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String name;
  private final String source;
  private final Map<String, JsonNode> base;
  private final Map<String, List<JsonNode>> grid;
  private final List<Map<String, JsonNode>> variations;
  private final List<Analysis> analyses;
  private final AnalysisSettings settings;

  /**
   * How the flatness analyses run inside a sweep ({@code analysis:} in the sweep file).
   *
   * @param pcaLastSteps PCA window: the last N steps of the trajectory; 0 for all snapshots
   * @param pcaDirections principal directions stored per run
   * @param landscapeComponents components profiled by the landscape job, e.g. "1-10"
   * @param rankFrom first component of the rank power-law (gamma) fit
   */
  public record AnalysisSettings(
      long pcaLastSteps, int pcaDirections, String landscapeComponents, int rankFrom) {
    /** 0: the whole trajectory. */
    public static final long PCA_LAST_STEPS_DEFAULT = 0;

    public static final int PCA_DIRECTIONS_DEFAULT = 20;

    public static final String LANDSCAPE_COMPONENTS_DEFAULT = "1-10";
    public static final int RANK_FROM_DEFAULT = 5;

    static AnalysisSettings defaults() {
      return new AnalysisSettings(
          PCA_LAST_STEPS_DEFAULT,
          PCA_DIRECTIONS_DEFAULT,
          LANDSCAPE_COMPONENTS_DEFAULT,
          RANK_FROM_DEFAULT);
    }
  }

  /**
   * One run of the expansion.
   *
   * @param variedJson the keys this run sets beyond the base, as a JSON object (sorted keys)
   * @param configKey hash of the config without its name and run id: equal across sweeps
   */
  public record Planned(
      int index, String runId, String configKey, RunConfig config, String variedJson) {}

  private SweepSpec(
      String name,
      String source,
      Map<String, JsonNode> base,
      Map<String, List<JsonNode>> grid,
      List<Map<String, JsonNode>> variations,
      List<Analysis> analyses,
      AnalysisSettings settings) {
    this.name = name;
    this.source = source;
    this.base = base;
    this.grid = grid;
    this.variations = variations;
    this.analyses = analyses;
    this.settings = settings;
  }

  public static SweepSpec load(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(
          "Sweep file "
              + file
              + " does not exist; give a YAML file such as conf/sweeps/example.yaml");
    }
    try {
      return parse(Files.readString(file), file.toString());
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot read sweep file " + file + ": " + e.getMessage());
    }
  }

  /** Parses sweep YAML; {@code source} names it in error messages. */
  public static SweepSpec parse(String yaml, String source) {
    JsonNode root;
    try {
      root = YAML.readTree(yaml);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "Sweep file " + source + " is not valid YAML: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(
          "Sweep file " + source + " must be a mapping with name, base, grid and/or variations");
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!TOP_KEYS.contains(key)) {
        throw new IllegalArgumentException(
            "Sweep file "
                + source
                + " has unknown top-level key '"
                + key
                + "'; known keys: "
                + new java.util.TreeSet<>(TOP_KEYS)
                + " (run config keys go under base:, grid: or"
                + " variations:)");
      }
    }
    String name = root.path("name").asText("");
    if (!name.matches("[A-Za-z][A-Za-z0-9._-]*")) {
      throw new IllegalArgumentException(
          "Sweep file "
              + source
              + " has name '"
              + name
              + "'; give a name of letters, digits, . _ -"
              + " starting with a letter (it prefixes every run id), e.g. name: lr-grid");
    }
    Map<String, JsonNode> base = new LinkedHashMap<>();
    JsonNode baseNode = root.path("base");
    if (!baseNode.isMissingNode() && !baseNode.isNull()) {
      if (!baseNode.isObject()) {
        throw new IllegalArgumentException(
            "Sweep file " + source + ": base must be a mapping of run config keys");
      }
      flatten(baseNode, "", base);
    }
    Map<String, List<JsonNode>> grid = new LinkedHashMap<>();
    JsonNode gridNode = root.path("grid");
    if (!gridNode.isMissingNode() && !gridNode.isNull()) {
      if (!gridNode.isObject()) {
        throw new IllegalArgumentException(
            "Sweep file "
                + source
                + ": grid must map config keys to lists, e.g."
                + " sgd.learning_rate: [0.05, 0.1]");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = gridNode.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getValue().isArray() || e.getValue().isEmpty()) {
          throw new IllegalArgumentException(
              "Sweep file "
                  + source
                  + ": grid key "
                  + e.getKey()
                  + " has "
                  + e.getValue()
                  + "; give a non-empty list of values, e.g. "
                  + e.getKey()
                  + ": [1, 2, 3]");
        }
        List<JsonNode> values = new ArrayList<>();
        e.getValue().forEach(values::add);
        grid.put(e.getKey(), values);
      }
    }
    List<Map<String, JsonNode>> variations = new ArrayList<>();
    JsonNode varNode = root.path("variations");
    if (!varNode.isMissingNode() && !varNode.isNull()) {
      if (!varNode.isArray()) {
        throw new IllegalArgumentException(
            "Sweep file "
                + source
                + ": variations must be a list of mappings, e.g."
                + " [{sgd.learning_rate: 0.05}, {noise.fraction: 0.4}]");
      }
      for (JsonNode v : varNode) {
        if (!v.isObject()) {
          throw new IllegalArgumentException(
              "Sweep file " + source + ": variation " + v + " is not a mapping of config keys");
        }
        Map<String, JsonNode> flat = new LinkedHashMap<>();
        flatten(v, "", flat);
        variations.add(flat);
      }
    }
    List<Analysis> analyses = new ArrayList<>();
    JsonNode an = root.path("analyses");
    if (an.isMissingNode() || an.isNull()) {
      analyses.addAll(List.of(Analysis.values()));
    } else {
      if (!an.isArray()) {
        throw new IllegalArgumentException(
            "Sweep file " + source + ": analyses must be a list such as [order_params, phases]");
      }
      for (JsonNode a : an) {
        analyses.add(Analysis.byName(a.asText()));
      }
    }
    AnalysisSettings settings = settings(root.path("analysis"), source);
    for (Map<String, ?> m : allMaps(base, grid, variations)) {
      for (String key : m.keySet()) {
        if (key.equals("run_id") || key.equals("name")) {
          throw new IllegalArgumentException(
              "Sweep file "
                  + source
                  + " sets "
                  + key
                  + "; a sweep names its runs itself"
                  + " (<sweep name>-<config hash>), remove it");
        }
      }
    }
    return new SweepSpec(name, source, base, grid, variations, analyses, settings);
  }

  private static List<Map<String, ?>> allMaps(
      Map<String, JsonNode> base,
      Map<String, List<JsonNode>> grid,
      List<Map<String, JsonNode>> variations) {
    List<Map<String, ?>> out = new ArrayList<>();
    out.add(base);
    out.add(grid);
    out.addAll(variations);
    return out;
  }

  private static AnalysisSettings settings(JsonNode node, String source) {
    AnalysisSettings d = AnalysisSettings.defaults();
    if (node.isMissingNode() || node.isNull()) {
      return d;
    }
    Set<String> known =
        Set.of("pca_last_steps", "pca_directions", "landscape_components", "rank_from");
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!known.contains(k)) {
        throw new IllegalArgumentException(
            "Sweep file "
                + source
                + ": analysis."
                + k
                + " is not known; known keys: "
                + new java.util.TreeSet<>(known));
      }
    }
    return new AnalysisSettings(
        node.path("pca_last_steps").asLong(d.pcaLastSteps()),
        node.path("pca_directions").asInt(d.pcaDirections()),
        node.path("landscape_components").asText(d.landscapeComponents()),
        node.path("rank_from").asInt(d.rankFrom()));
  }

  /** Mapping values become dotted leaves; lists and scalars are leaves. */
  private static void flatten(JsonNode node, String prefix, Map<String, JsonNode> out) {
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = prefix + e.getKey();
      if (e.getValue().isObject() && !e.getValue().isEmpty()) {
        flatten(e.getValue(), key + ".", out);
      } else {
        out.put(key, e.getValue());
      }
    }
  }

  public String name() {
    return name;
  }

  public String source() {
    return source;
  }

  public List<Analysis> analyses() {
    return analyses;
  }

  public AnalysisSettings settings() {
    return settings;
  }

  /** Expands the sweep with run ids prefixed by its name. */
  public List<Planned> expand() {
    return expand(name);
  }

  /**
   * Expands the sweep; {@code idPrefix} becomes every run's name (and so its id prefix). Runs whose
   * resolved configs coincide are kept once.
   */
  public List<Planned> expand(String idPrefix) {
    List<Map<String, JsonNode>> points = gridPoints();
    List<Map<String, JsonNode>> vars = variations.isEmpty() ? List.of(Map.of()) : variations;
    List<Planned> out = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    int position = 0;
    for (int v = 0; v < vars.size(); v++) {
      for (Map<String, JsonNode> point : points) {
        String where =
            "Sweep '"
                + name
                + "' ("
                + source
                + "), run "
                + position
                + (variations.isEmpty() ? "" : " (variation " + v + ")");
        position++;
        ConfigLoader loader = new ConfigLoader();
        Map<String, JsonNode> varied = new TreeMap<>();
        try {
          base.forEach((k, value) -> setLeaves(loader, k, value, null));
          point.forEach((k, value) -> setLeaves(loader, k, value, varied));
          vars.get(v).forEach((k, value) -> setLeaves(loader, k, value, varied));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(where + ": " + e.getMessage());
        }
        RunConfig config;
        try {
          config = loader.build();
          config.name = idPrefix;
          config.runId = "";
          TrainRun.validate(config);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(where + ": " + e.getMessage());
        }
        String runId = TrainRun.runId(config);
        if (!seen.add(runId)) {
          continue;
        }
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        varied.forEach(json::set);
        out.add(new Planned(out.size(), runId, configKey(config), config, json.toString()));
      }
    }
    return out;
  }

  /** Hash of the config without its name and run id: the same config in any sweep or night. */
  public static String configKey(RunConfig config) {
    RunConfig copy = ConfigLoader.fromJson(ConfigLoader.toJson(config));
    copy.name = "";
    copy.runId = "";
    return ConfigLoader.hash(copy);
  }

  private static void setLeaves(
      ConfigLoader loader, String key, JsonNode value, Map<String, JsonNode> varied) {
    if (value.isObject() && !value.isEmpty()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        setLeaves(loader, key + "." + e.getKey(), e.getValue(), varied);
      }
      return;
    }
    loader.set(key, value.isTextual() ? value.asText() : value.toString());
    if (varied != null) {
      varied.put(key, value);
    }
  }

  private List<Map<String, JsonNode>> gridPoints() {
    List<Map<String, JsonNode>> points = new ArrayList<>();
    points.add(new LinkedHashMap<>());
    for (Map.Entry<String, List<JsonNode>> axis : grid.entrySet()) {
      List<Map<String, JsonNode>> next = new ArrayList<>();
      for (Map<String, JsonNode> p : points) {
        for (JsonNode value : axis.getValue()) {
          Map<String, JsonNode> q = new LinkedHashMap<>(p);
          q.put(axis.getKey(), value);
          next.add(q);
        }
      }
      points = next;
    }
    return points;
  }

  static String json(Object o) {
    try {
      return JSON.writeValueAsString(o);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
