package org.sgdlens.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The sweep a sweep or nightly job runs (a picocli mixin): {@code --sweep X} or just {@code X}. */
final class SweepChoice {
  /** The fix for a second stray argument. */
  static final String ONE_SWEEP = "give one sweep, as --sweep NAME|FILE or as the only argument";

  @Option(
      names = "--sweep",
      paramLabel = "NAME|FILE",
      description = "a YAML sweep file, or NAME for conf/sweeps/NAME.yaml (also positional)")
  private String option;

  @Parameters(arity = "0..1", paramLabel = "SWEEP", description = "the sweep, as --sweep")
  private String positional;

  /** The sweep file: the path given, or conf/sweeps/NAME.yaml. */
  Path file() {
    if (option != null && positional != null) {
      throw new IllegalArgumentException(
          "Give the sweep once: --sweep " + option + " and '" + positional + "' both name one");
    }
    String sweep = option != null ? option : positional;
    if (sweep == null) {
      throw new IllegalArgumentException(
          "Give the sweep: --sweep NAME (conf/sweeps/NAME.yaml) or --sweep FILE");
    }
    return resolve(sweep);
  }

  /** A path to a file, or a name under conf/sweeps/. */
  static Path resolve(String sweep) {
    Path file = Path.of(sweep);
    if (Files.isRegularFile(file)) {
      return file;
    }
    return ConfDir.file("sweeps/" + sweep + ".yaml")
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "Sweep '"
                        + sweep
                        + "' is neither a file nor conf/sweeps/"
                        + sweep
                        + ".yaml; give a"
                        + " path or a name from conf/sweeps/ (set SGDLENS_CONF_DIR for another conf/)"));
  }
}
