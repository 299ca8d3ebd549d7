package org.sgdlens.cli;

import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.UsageMessageSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Parses a job's options with picocli. Each job declares them once, as annotated fields of a
 * {@code @Command} class: the help, the parsing and the default come from the same line. The
 * options class holds fields only (no Spark or DJL types), so {@code --help} loads neither.
 *
 * <p>Any input picocli refuses (an unknown option, a stray argument, a value that is not a number)
 * becomes an {@link IllegalArgumentException} naming the value and the fix, which {@link JobMain}
 * prints as one line with exit code 1.
 */
final class Cli {
  /** Columns of the help text, and of its left column (wide enough for every option name). */
  private static final int HELP_WIDTH = 100;

  private static final int OPTION_COLUMN = 32;

  static {
    // picocli looks for groovy.lang.Closure (options as Groovy closures, unused here) unless told
    // not to: a class that is on no jar, so the lookup opens every jar of the Spark classpath
    // (240 of them) and adds 0.1 s to every --help.
    if (System.getProperty("picocli.disable.closures") == null) {
      System.setProperty("picocli.disable.closures", "true");
    }
  }

  private Cli() {}

  /**
   * Parses {@code args} into the annotated fields of {@code options}.
   *
   * @return {@code options}, or null when {@code --help} was given and the help is printed
   */
  static <T> T parse(T options, String[] args) {
    return parse(options, args, null);
  }

  /**
   * As {@link #parse(Object, String[])}, with what the job says about a stray argument.
   *
   * @param strayArgument the fix for an argument that belongs to no option, e.g. "give a config
   *     file with --config FILE"; null for the generic one
   */
  static <T> T parse(T options, String[] args, String strayArgument) {
    CommandLine command = commandLine(options);
    try {
      command.parseArgs(args);
    } catch (UnmatchedArgumentException e) {
      throw new IllegalArgumentException(unmatched(command, e, strayArgument), e);
    } catch (ParameterException e) {
      throw new IllegalArgumentException(e.getMessage() + "; see " + name(command) + " --help", e);
    }
    if (command.isUsageHelpRequested()) {
      command.usage(System.out, CommandLine.Help.Ansi.OFF);
      return null;
    }
    return options;
  }

  /** The picocli command of an options object, laid out as every job's help is. */
  static CommandLine commandLine(Object options) {
    CommandLine command = new CommandLine(options);
    // A later value wins, as in spark-submit: a script can append an override.
    command.setOverwrittenOptionsAllowed(true);
    // An argument starting with @ (a SQL literal, a path) is a value, never a file of arguments.
    command.setExpandAtFiles(false);
    UsageMessageSpec help = command.getCommandSpec().usageMessage();
    help.width(HELP_WIDTH)
        .longOptionsMaxWidth(OPTION_COLUMN)
        .abbreviateSynopsis(true)
        .sortOptions(false)
        .descriptionHeading("%n")
        .optionListHeading("%nOptions:%n");
    if (help.footerHeading().isEmpty()) {
      help.footerHeading("%n");
    }
    return command;
  }

  /** The help text of an options object, as {@code --help} prints it. */
  static String usage(Object options) {
    return commandLine(options).getUsageMessage(CommandLine.Help.Ansi.OFF);
  }

  private static String unmatched(
      CommandLine command, UnmatchedArgumentException e, String strayArgument) {
    String arg = e.getUnmatched().isEmpty() ? "" : e.getUnmatched().get(0);
    String help = "see " + name(command) + " --help";
    if (e.isUnknownOption()) {
      List<String> suggestions = e.getSuggestions();
      return "Unknown option '"
          + arg
          + "'"
          + (suggestions.isEmpty()
              ? ""
              : "; did you mean " + String.join(" or ", suggestions) + "?")
          + " ("
          + help
          + ")";
    }
    return "Unexpected argument '"
        + arg
        + "'; "
        + (strayArgument != null
            ? strayArgument
            : name(command) + " takes no positional arguments, only options")
        + " ("
        + help
        + ")";
  }

  private static String name(CommandLine command) {
    return command.getCommandSpec().name();
  }
}
