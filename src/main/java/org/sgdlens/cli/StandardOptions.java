package org.sgdlens.cli;

import org.sgdlens.lake.Lake;
import picocli.CommandLine.Option;

/** The options of every job (a picocli mixin): the lake, {@code --debug} and {@code --help}. */
final class StandardOptions {
  @Option(
      names = "--lake",
      paramLabel = "PATH",
      defaultValue = Lake.LOCATION_DEFAULT,
      description = "lake folder or Hadoop URI (default: ${DEFAULT-VALUE})")
  String lake;

  /** Read by {@link JobMain} from the raw arguments, so that it also covers a parse error. */
  @Option(names = "--debug", order = 1000, description = "full stack trace on errors")
  boolean debug;

  @Option(
      names = {"-h", "--help"},
      order = 1001,
      usageHelp = true,
      description = "this help")
  boolean help;
}
