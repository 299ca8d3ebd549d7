package org.sgdlens.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A newcomer's log: a real training run and an analysis through the launchers print none of the
 * library noise issue 15 listed (libtorch's deprecation warning, netlib's dlopen failures, Spark's
 * plan-truncation WARN, Hadoop's native-code WARN, apt's progress and debconf lines), and no JVM
 * incubator-module warning on a machine with a native BLAS; and they do print progress: training's
 * rate and wall time, Spark stages' tasks done.
 */
class QuietLaunchTest {
  private static final List<String> NOISE =
      List.of(
          "AutoNonVariableTypeMode",
          "dlopen(",
          "Failed to load implementation from",
          "Truncated the string representation",
          "NativeCodeLoader",
          "Reading database",
          "debconf");

  @TempDir Path temp;

  @Test
  void trainingAndAnAnalysisPrintNoLibraryNoise() {
    String lake = temp.resolve("lake").toString();
    Launchers.Run train =
        Launchers.run(
            "train",
            Map.of(),
            300,
            "--lake",
            lake,
            "--run-id",
            "quiet",
            "--per-class",
            "20",
            "--test-size",
            "100",
            "--steps",
            "60",
            "--noise",
            "0.2",
            "--set",
            "record.gradients.every=30",
            "--set",
            "record.ensemble_size=4",
            "--batch-size",
            "32");
    assertThat(train.exitCode()).as(train.describe()).isZero();
    assertThat(train.stdout())
        .as("training's last progress line: steps, wall time, rate")
        .containsPattern("\\[train] step 60/60 done in [0-9.]+ s, [0-9]+ steps/s");
    // Stages here are short: report every stage from its first tick on, to see the line.
    Launchers.Run analysis =
        Launchers.run(
            "order-params",
            Map.of(),
            300,
            "--lake",
            lake,
            "--conf",
            "spark.sgdlens.progress.after=0");
    assertThat(analysis.stderr())
        .as("Spark stage progress of %s", analysis.describe())
        .containsPattern("\\[order-params] stage [0-9]+ \\(.+\\): [0-9]+/[0-9]+ tasks, [0-9]+ s");
    assertThat(analysis.exitCode()).as(analysis.describe()).isZero();
    for (Launchers.Run run : List.of(train, analysis)) {
      for (String noise : NOISE) {
        assertThat(run.stderr()).as("stderr of %s", run.describe()).doesNotContain(noise);
      }
      if (Launchers.nativeBlas()) {
        assertThat(run.stderr()).doesNotContain("Using incubator modules");
      }
    }
  }
}
