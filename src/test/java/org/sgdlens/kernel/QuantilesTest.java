package org.sgdlens.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.apache.commons.math3.stat.descriptive.rank.Percentile;
import org.apache.commons.math3.stat.descriptive.rank.Percentile.EstimationType;
import org.junit.jupiter.api.Test;

class QuantilesTest {
  @Test
  void matchesCommonsMathR7Estimator() {
    Random rnd = new Random(3);
    Percentile oracle = new Percentile().withEstimationType(EstimationType.R_7);
    for (int trial = 0; trial < 300; trial++) {
      double[] x = new double[1 + rnd.nextInt(30)];
      for (int i = 0; i < x.length; i++) {
        x[i] = rnd.nextInt(5) == 0 ? 1.0 : rnd.nextGaussian();
      }
      double[] levels = {0.0001, 0.05, 0.25, 0.5, 0.75, 0.95, 1};
      double[] q = Quantiles.of(x, levels);
      for (int i = 0; i < levels.length; i++) {
        assertThat(q[i])
            .as("level %s trial %d", levels[i], trial)
            .isCloseTo(oracle.evaluate(x, levels[i] * 100), within(1e-12));
      }
    }
    assertThat(Quantiles.of(new double[] {}, 0.5)[0]).as("empty").isNaN();
  }
}
