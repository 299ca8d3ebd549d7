package org.sgdlens.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class GramTest {
  private static float[][] random(Random rnd, int n, int len) {
    float[][] v = new float[n][len];
    for (float[] row : v) {
      for (int k = 0; k < len; k++) {
        row[k] = (float) rnd.nextGaussian();
      }
    }
    return v;
  }

  private static double naiveDot(float[] a, float[] b) {
    double s = 0;
    for (int k = 0; k < a.length; k++) {
      s += (double) a[k] * (double) b[k];
    }
    return s;
  }

  @Test
  void gramAndCrossMatchNaiveDoubleDotProducts() {
    Random rnd = new Random(1);
    for (int trial = 0; trial < 200; trial++) {
      int n = 1 + rnd.nextInt(6);
      int len = 1 + rnd.nextInt(40);
      float[][] a = random(rnd, n, len);
      float[][] b = random(rnd, 1 + rnd.nextInt(4), len);
      double[][] g = Gram.of(a);
      double[][] c = Gram.cross(a, b);
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          assertThat(g[i][j])
              .as("G[%d][%d] trial %d", i, j, trial)
              .isCloseTo(naiveDot(a[i], a[j]), within(1e-12 * (1 + Math.abs(g[i][j]))));
        }
        for (int j = 0; j < b.length; j++) {
          assertThat(c[i][j])
              .as("C[%d][%d] trial %d", i, j, trial)
              .isCloseTo(naiveDot(a[i], b[j]), within(1e-12 * (1 + Math.abs(c[i][j]))));
        }
      }
    }
  }

  @Test
  void chunkPiecesSumToTheUnchunkedGram() {
    Random rnd = new Random(2);
    float[][] v = random(rnd, 5, 1000);
    double[][] full = Gram.of(v);
    for (int chunk : new int[] {1, 3, 64, 333, 999, 1000}) {
      double[][] sum = new double[5][5];
      for (int from = 0; from < 1000; from += chunk) {
        int to = Math.min(1000, from + chunk);
        float[][] piece = new float[5][];
        for (int i = 0; i < 5; i++) {
          piece[i] = java.util.Arrays.copyOfRange(v[i], from, to);
        }
        Gram.addInto(sum, Gram.of(piece));
      }
      for (int i = 0; i < 5; i++) {
        for (int j = 0; j < 5; j++) {
          assertThat(sum[i][j])
              .as("chunk %d entry %d,%d", chunk, i, j)
              .isCloseTo(full[i][j], within(1e-9 * Math.abs(full[i][j]) + 1e-9));
        }
      }
    }
  }

  @Test
  void countsNonFiniteValuesAndRejectsRaggedInput() {
    assertThat(Gram.nonFinite(new float[] {1, Float.NaN, Float.POSITIVE_INFINITY, 0, -2}))
        .as("NaN and +inf")
        .isEqualTo(2);
    assertThatThrownBy(() -> Gram.of(new float[][] {{1, 2}, {1}}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("length 1");
  }
}
