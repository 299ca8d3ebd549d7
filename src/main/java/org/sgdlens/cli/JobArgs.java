package org.sgdlens.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Parses a job's own options ({@code --key value}, {@code --key=value}, {@code --flag}); Spark
 * options never reach a job (spark-submit or the launcher consumes them). Unknown options fail with
 * the list of known ones.
 */
public final class JobArgs {
  private final Map<String, List<String>> values = new LinkedHashMap<>();
  private final List<String> positional = new ArrayList<>();

  private JobArgs() {}

  /**
   * The options of an analysis job: {@code --lake}, {@code --run} (repeatable) and {@code valued},
   * with {@code --help} the only flag. Returns null after printing {@code usage} when {@code
   * --help} is given.
   */
  public static JobArgs analysis(String[] args, String usage, String... valued) {
    Set<String> keys = new java.util.HashSet<>(List.of(valued));
    keys.add("lake");
    keys.add("run");
    JobArgs parsed = parse(args, keys, Set.of("help"));
    if (parsed.has("help")) {
      System.out.print(usage);
      return null;
    }
    return parsed;
  }

  /**
   * @param valued options that take a value
   * @param flags options without a value
   */
  public static JobArgs parse(String[] args, Set<String> valued, Set<String> flags) {
    JobArgs parsed = new JobArgs();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("--")) {
        parsed.positional.add(arg);
        continue;
      }
      String key = arg.substring(2);
      String value = null;
      int eq = key.indexOf('=');
      if (eq >= 0) {
        value = key.substring(eq + 1);
        key = key.substring(0, eq);
      }
      if (flags.contains(key) && value == null) {
        parsed.values.computeIfAbsent(key, k -> new ArrayList<>()).add("true");
      } else if (valued.contains(key)) {
        if (value == null) {
          if (i + 1 >= args.length) {
            throw new IllegalArgumentException("Option --" + key + " needs a value");
          }
          value = args[++i];
        }
        parsed.values.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
      } else {
        List<String> known = new ArrayList<>();
        valued.forEach(k -> known.add("--" + k));
        flags.forEach(k -> known.add("--" + k));
        known.sort(null);
        throw new IllegalArgumentException(
            "Unknown option '"
                + arg
                + "'; known options: "
                + String.join(" ", known)
                + " (see --help)");
      }
    }
    return parsed;
  }

  public boolean has(String key) {
    return values.containsKey(key);
  }

  public Optional<String> get(String key) {
    List<String> v = values.get(key);
    return v == null ? Optional.empty() : Optional.of(v.get(v.size() - 1));
  }

  public String get(String key, String fallback) {
    return get(key).orElse(fallback);
  }

  /** All values of a repeatable option; comma-separated values are split. */
  public List<String> all(String key) {
    List<String> out = new ArrayList<>();
    for (String v : values.getOrDefault(key, List.of())) {
      for (String part : v.split(",")) {
        if (!part.isBlank()) {
          out.add(part.trim());
        }
      }
    }
    return out;
  }

  /** All values of a repeatable option, unsplit. */
  public List<String> allRaw(String key) {
    return values.getOrDefault(key, List.of());
  }

  public int getInt(String key, int fallback) {
    return get(key).map(v -> parseNumber(key, v, Integer::parseInt)).orElse(fallback);
  }

  public long getLong(String key, long fallback) {
    return get(key).map(v -> parseNumber(key, v, Long::parseLong)).orElse(fallback);
  }

  public double getDouble(String key, double fallback) {
    return get(key).map(v -> parseNumber(key, v, Double::parseDouble)).orElse(fallback);
  }

  public List<String> positional() {
    return positional;
  }

  private static <T> T parseNumber(
      String key, String value, java.util.function.Function<String, T> parser) {
    try {
      return parser.apply(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "Option --"
              + key
              + " has '"
              + value
              + "', which is not a number; give e.g. --"
              + key
              + " 10");
    }
  }
}
