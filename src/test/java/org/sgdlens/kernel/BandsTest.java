package org.sgdlens.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BandsTest {
  @Test
  void fewerThanThreeValuesGiveMinMax() {
    assertThat(Bands.of(new double[0])).isNull();
    assertThat(Bands.of(new double[] {Double.NaN})).as("only finite values count").isNull();
    Bands.Band b = Bands.of(new double[] {0.7, 0.5});
    assertThat(b.low()).isEqualTo(0.5);
    assertThat(b.high()).isEqualTo(0.7);
    assertThat(b.rule()).isEqualTo("min-max");
    assertThat(b.excludes(0.6)).isFalse();
    assertThat(b.excludes(0.71)).isTrue();
    assertThat(b.excludes(Double.NaN)).as("NaN is outside").isTrue();
  }

  @Test
  void threeOrMoreValuesGiveMeanPlusMinusThreeSampleSd() {
    SplittableRandom r = new SplittableRandom(7);
    for (int trial = 0; trial < 200; trial++) {
      double[] h = new double[3 + r.nextInt(10)];
      for (int i = 0; i < h.length; i++) {
        h[i] = r.nextDouble() * 10 - 5;
      }
      // Oracle: two-pass with streams.
      double mean = Arrays.stream(h).average().orElseThrow();
      double var = Arrays.stream(h).map(v -> (v - mean) * (v - mean)).sum() / (h.length - 1);
      Bands.Band b = Bands.of(h);
      assertThat(b.count()).isEqualTo(h.length);
      assertThat(b.low()).isCloseTo(mean - 3 * Math.sqrt(var), within(1e-12));
      assertThat(b.high()).isCloseTo(mean + 3 * Math.sqrt(var), within(1e-12));
    }
    Bands.Band flat = Bands.of(new double[] {0.1, 0.1, 0.1});
    assertThat(flat.excludes(0.1)).isFalse();
    assertThat(flat.excludes(0.1000001)).as("zero spread: any change is outside").isTrue();
  }
}
