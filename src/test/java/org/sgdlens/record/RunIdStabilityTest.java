package org.sgdlens.record;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Keys added to the run config after lakes were recorded must not move their run ids: the expected
 * hashes are those ConfigLoader.hash gave before the data sources were added (commit 69586dc's
 * RunConfig and ConfigLoader, compiled on their own).
 */
class RunIdStabilityTest {
  @Test
  void theDataSourceKeysAtTheirDefaultsLeaveRunIdsAsTheyWere() {
    RunConfig c = new RunConfig();
    assertThat(ConfigLoader.hash(c)).as("the default config").isEqualTo("9c383b3e9f");
    c.dataset.name = "idx";
    c.dataset.path = "/data/x";
    c.dataset.perClass = 200;
    c.noise.fraction = 0.2;
    assertThat(ConfigLoader.hash(c)).as("an IDX run with noise").isEqualTo("66d5f65c1a");
  }

  @Test
  void eachDataSourceKeyEntersTheHashWhenSet() {
    String base = ConfigLoader.hash(new RunConfig());
    RunConfig augmented = new RunConfig();
    augmented.dataset.augment.horizontalFlip = true;
    RunConfig normalised = new RunConfig();
    normalised.dataset.mean = new java.util.ArrayList<>(java.util.List.of(0.5));
    RunConfig channelsLast = new RunConfig();
    channelsLast.dataset.channelsLast = true;
    RunConfig renamed = new RunConfig();
    renamed.dataset.arrays.trainFeatures = "images";
    for (RunConfig c : new RunConfig[] {augmented, normalised, channelsLast, renamed}) {
      assertThat(ConfigLoader.hash(c)).isNotEqualTo(base);
    }
  }
}
