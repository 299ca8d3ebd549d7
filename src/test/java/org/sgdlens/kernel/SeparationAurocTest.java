package org.sgdlens.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SeparationAurocTest {
  private static double pairCount(double[] pos, double[] neg) {
    double wins = 0;
    for (double p : pos) {
      for (double n : neg) {
        wins += p > n ? 1 : p == n ? 0.5 : 0;
      }
    }
    return wins / ((double) pos.length * neg.length);
  }

  @Test
  void equalsThePairCountWithTiesOnRandomGrids() {
    SplittableRandom rnd = new SplittableRandom(11);
    for (int trial = 0; trial < 500; trial++) {
      int np = 1 + rnd.nextInt(60);
      int nn = 1 + rnd.nextInt(60);
      int grid = 1 + rnd.nextInt(8); // few distinct values: ties everywhere
      double[] pos = new double[np + 5]; // longer arrays: only the first np count
      double[] neg = new double[nn + 3];
      for (int i = 0; i < np; i++) {
        pos[i] = rnd.nextInt(grid) + 0.5 * rnd.nextInt(2);
      }
      for (int i = 0; i < nn; i++) {
        neg[i] = rnd.nextInt(grid);
      }
      double expected =
          pairCount(java.util.Arrays.copyOf(pos, np), java.util.Arrays.copyOf(neg, nn));
      assertThat(Separation.auroc(pos, np, neg, nn)).isCloseTo(expected, within(1e-15));
    }
  }

  @Test
  void oneSidedIsNaN() {
    assertThat(Separation.auroc(new double[] {1}, 1, new double[0], 0)).isNaN();
    assertThat(Separation.auroc(new double[0], 0, new double[] {1}, 1)).isNaN();
  }
}
