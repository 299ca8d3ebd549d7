package org.sgdlens.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --run}, the runs an analysis job reads (a picocli mixin). */
final class RunSelection {
  @Option(
      names = "--run",
      paramLabel = "ID",
      split = ",",
      description =
          "run to analyse, repeatable or comma-separated (default: every committed run the job"
              + " applies to)")
  private List<String> runs = new ArrayList<>();

  /** The run ids given, blanks dropped; empty for every run. */
  List<String> ids() {
    return runs.stream().map(String::trim).filter(id -> !id.isEmpty()).toList();
  }
}
