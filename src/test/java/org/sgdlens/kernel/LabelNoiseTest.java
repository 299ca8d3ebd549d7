package org.sgdlens.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LabelNoiseTest {
  private static int[] randomLabels(int n, int classes, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = r.nextInt(classes);
    }
    return y;
  }

  @ParameterizedTest
  @ValueSource(doubles = {0.0, 0.05, 0.2, 0.4, 0.8})
  void symmetricNoiseCorruptsExactlyTheRequestedFractionAndEveryCorruptedLabelIsWrong(double rho) {
    for (long seed = 0; seed < 50; seed++) {
      int n = 1000 + (int) seed * 7;
      int[] truth = randomLabels(n, 10, seed);
      int[] given = LabelNoise.symmetric(truth, 10, rho, seed);
      int wrong = 0;
      for (int i = 0; i < n; i++) {
        assertThat(given[i]).as("label range").isBetween(0, 9);
        if (given[i] != truth[i]) {
          wrong++;
        }
      }
      assertThat(wrong)
          .as("corrupted count for rho=%s n=%s", rho, n)
          .isEqualTo(Math.round(rho * n));
    }
  }

  @Test
  void corruptedLabelsArePermutedAmongThemselvesWhereNoShiftWasNeeded() {
    // With two classes every corrupted label must flip; the permutation keeps class balance
    // among the chosen samples, so the flipped labels' histogram mirrors the chosen truths.
    int[] truth = randomLabels(2000, 2, 3);
    int[] given = LabelNoise.symmetric(truth, 2, 0.3, 3);
    int changed = 0;
    for (int i = 0; i < truth.length; i++) {
      if (given[i] != truth[i]) {
        changed++;
        assertThat(given[i]).isEqualTo(1 - truth[i]);
      }
    }
    assertThat(changed).isEqualTo(600);
  }

  @Test
  void sameSeedSameLabelsOtherSeedOtherChoice() {
    int[] truth = randomLabels(500, 10, 1);
    assertThat(LabelNoise.symmetric(truth, 10, 0.2, 7))
        .isEqualTo(LabelNoise.symmetric(truth, 10, 0.2, 7));
    assertThat(LabelNoise.symmetric(truth, 10, 0.2, 8))
        .isNotEqualTo(LabelNoise.symmetric(truth, 10, 0.2, 7));
  }

  @Test
  void asymmetricNoiseMapsChosenSamplesToTheirPairClass() {
    int[] truth = randomLabels(1000, 10, 5);
    int[] pairs = LabelNoise.shiftPairs(10);
    int[] given = LabelNoise.asymmetric(truth, pairs, 0.25, 5);
    int wrong = 0;
    for (int i = 0; i < truth.length; i++) {
      if (given[i] != truth[i]) {
        wrong++;
        assertThat(given[i]).isEqualTo((truth[i] + 1) % 10);
      }
    }
    assertThat(wrong).isEqualTo(250);
  }

  @Test
  void badFractionNamesTheValue() {
    assertThatThrownBy(() -> LabelNoise.symmetric(new int[10], 10, 1.5, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1.5");
    assertThatThrownBy(() -> LabelNoise.asymmetric(new int[10], new int[] {0, 0}, 0.1, 1))
        .hasMessageContaining("0->0");
  }
}
