package org.sgdlens.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.sgdlens.record.ConfigLoader;
import org.sgdlens.record.RunConfig;
import org.sgdlens.record.TrainRun;

/** Parsing and expansion of sweep files; no Spark, no training. */
class SweepSpecTest {
  static final String GRID =
      """
      name: g
      base:
        dataset: {name: synthetic}
        sgd: {steps: 10, batch_size: 8}
        record.metrics: {every: 5}
      grid:
        sgd.learning_rate: [0.05, 0.1, 0.2]
        sgd.seed: [1, 2]
      variations:
        - {}
        - {sgd.momentum: 0.9, model: {hidden: [7, 3]}}
      """;

  @Test
  void gridTimesVariationsInDeclarationOrder() {
    List<SweepSpec.Planned> runs = SweepSpec.parse(GRID, "test").expand();
    // Oracle: the product written out by hand, variation outermost, last grid key fastest.
    List<String> expected = new ArrayList<>();
    for (double momentum : new double[] {0.0, 0.9}) {
      for (double lr : new double[] {0.05, 0.1, 0.2}) {
        for (long seed : new long[] {1, 2}) {
          expected.add(momentum + "/" + lr + "/" + seed);
        }
      }
    }
    assertThat(runs).as("6 grid points x 2 variations").hasSize(12);
    assertThat(
            runs.stream()
                .map(
                    p ->
                        p.config().sgd.momentum
                            + "/"
                            + p.config().sgd.learningRate
                            + "/"
                            + p.config().sgd.seed)
                .toList())
        .containsExactlyElementsOf(expected);
    for (SweepSpec.Planned p : runs) {
      RunConfig c = p.config();
      assertThat(c.dataset.name).as("base applies to every run").isEqualTo("synthetic");
      assertThat(c.sgd.steps).isEqualTo(10);
      assertThat(c.record.metrics.every).isEqualTo(5);
      assertThat(c.record.metrics.atFinal)
          .as("nested keys merge, keeping the default final: true")
          .isTrue();
      assertThat(c.model.hidden).isEqualTo(c.sgd.momentum > 0 ? List.of(7, 3) : List.of(256));
      assertThat(p.runId())
          .as("id = sweep name + config hash")
          .isEqualTo("g-" + ConfigLoader.hash(c))
          .isEqualTo(TrainRun.runId(c));
    }
    assertThat(runs.get(7).variedJson())
        .as("varied keys of a variation run")
        .isEqualTo(
            "{\"model.hidden\":[7,3],\"sgd.learning_rate\":0.05,\"sgd.momentum\":0.9,"
                + "\"sgd.seed\":2}");
    Set<String> ids = new HashSet<>();
    runs.forEach(p -> ids.add(p.runId()));
    assertThat(ids).as("distinct configs, distinct ids").hasSize(12);
  }

  @Test
  void idsAreStableAcrossParsesAndConfigKeysIgnoreTheName() {
    List<SweepSpec.Planned> a = SweepSpec.parse(GRID, "a").expand();
    List<SweepSpec.Planned> b = SweepSpec.parse(GRID, "b").expand();
    List<SweepSpec.Planned> renamed = SweepSpec.parse(GRID, "c").expand("g-night2");
    for (int i = 0; i < a.size(); i++) {
      assertThat(b.get(i).runId()).isEqualTo(a.get(i).runId());
      assertThat(renamed.get(i).runId())
          .as("another prefix, another id")
          .startsWith("g-night2-")
          .isNotEqualTo(a.get(i).runId());
      assertThat(renamed.get(i).configKey())
          .as("same config, same key")
          .isEqualTo(a.get(i).configKey());
    }
  }

  @Test
  void duplicateConfigsAreKeptOnce() {
    String yaml = "name: d\nbase: {dataset.name: synthetic}\ngrid: {sgd.seed: [1, 1, 2]}\n";
    assertThat(SweepSpec.parse(yaml, "t").expand()).hasSize(2);
  }

  @Test
  void badFilesFailNamingTheKeyAndTheFix() {
    assertThatThrownBy(
            () -> SweepSpec.parse("name: x\ngrid: {sgd.lerning_rate: [0.1]}\n", "f.yaml").expand())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sgd.lerning_rate")
        .hasMessageContaining("f.yaml")
        .hasMessageContaining("run 0");
    assertThatThrownBy(() -> SweepSpec.parse("name: x\ngrid: {sgd.seed: 3}\n", "f"))
        .hasMessageContaining("sgd.seed")
        .hasMessageContaining("list");
    assertThatThrownBy(() -> SweepSpec.parse("name: x\nbase: {run_id: r}\n", "f"))
        .hasMessageContaining("run_id");
    assertThatThrownBy(() -> SweepSpec.parse("grid: {sgd.seed: [1]}\n", "f"))
        .hasMessageContaining("name");
    assertThatThrownBy(() -> SweepSpec.parse("name: x\ngrids: {}\n", "f"))
        .hasMessageContaining("grids");
    assertThatThrownBy(() -> SweepSpec.parse("name: x\nanalyses: [psi]\n", "f"))
        .hasMessageContaining("psi")
        .hasMessageContaining("variance_flatness");
    assertThatThrownBy(
            () -> SweepSpec.parse("name: x\ngrid: {sgd.learning_rate: [-1]}\n", "f").expand())
        .as("TrainRun.validate runs at expansion")
        .hasMessageContaining("learning_rate");
  }

  @Test
  void exampleSweepExpands() {
    Path example =
        Path.of(System.getProperty("sgdlens.project.dir", ".")).resolve("conf/sweeps/example.yaml");
    SweepSpec spec = SweepSpec.load(example);
    List<SweepSpec.Planned> runs = spec.expand();
    assertThat(runs).as("2 lr x 2 noise x 2 seeds x 2 variations").hasSize(16);
    assertThat(runs)
        .allSatisfy(
            p -> {
              assertThat(p.config().dataset.name).isEqualTo("fashion-mnist");
              assertThat(p.config().dataset.perClass).isEqualTo(100);
              assertThat(p.runId()).startsWith("example-");
            });
    assertThat(spec.analyses())
        .containsExactly(
            Analysis.ORDER_PARAMS, Analysis.PHASES, Analysis.LOSS_SEPARATION, Analysis.CLEANING);
  }
}
