package org.sgdlens.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SeparationTest {
  @Test
  void dPrimeEqualsPooledStdFormulaOnRawData() {
    Random rnd = new Random(4);
    for (int trial = 0; trial < 100; trial++) {
      double[] c = new double[2 + rnd.nextInt(50)];
      double[] w = new double[2 + rnd.nextInt(50)];
      for (int i = 0; i < c.length; i++) {
        c[i] = rnd.nextGaussian();
      }
      for (int i = 0; i < w.length; i++) {
        w[i] = 1 + 2 * rnd.nextGaussian();
      }
      // Oracle: pool all squared deviations from each group's own mean.
      double mc = mean(c);
      double mw = mean(w);
      double ss = 0;
      for (double v : c) {
        ss += (v - mc) * (v - mc);
      }
      for (double v : w) {
        ss += (v - mw) * (v - mw);
      }
      double expected = (mw - mc) / Math.sqrt(ss / (c.length + w.length - 2));
      double got = Separation.dPrime(mw, sd(w), w.length, mc, sd(c), c.length);
      assertThat(got).as("trial %d", trial).isCloseTo(expected, within(1e-10));
    }
    assertThat(Separation.dPrime(1, 1, 1, 0, 1, 10)).as("one wrong sample").isNaN();
  }

  @Test
  void precisionRecallF1() {
    double[] prf = Separation.precisionRecallF1(8, 10, 16);
    assertThat(prf[0]).as("precision").isEqualTo(0.8);
    assertThat(prf[1]).as("recall").isEqualTo(0.5);
    assertThat(prf[2]).as("F1").isCloseTo(2 * 0.8 * 0.5 / 1.3, within(1e-15));
    assertThat(Separation.precisionRecallF1(0, 5, 5)[2]).as("no hit: F1 0").isZero();
    assertThat(Separation.precisionRecallF1(0, 0, 5)[0]).as("nothing flagged").isNaN();
  }

  private static double mean(double[] x) {
    double s = 0;
    for (double v : x) {
      s += v;
    }
    return s / x.length;
  }

  private static double sd(double[] x) {
    double m = mean(x);
    double s = 0;
    for (double v : x) {
      s += (v - m) * (v - m);
    }
    return Math.sqrt(s / (x.length - 1));
  }
}
