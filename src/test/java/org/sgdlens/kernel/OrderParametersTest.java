package org.sgdlens.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class OrderParametersTest {

  /** Order parameters straight from the vectors, in doubles: the oracle. */
  static final class BruteForce {
    double a;
    double q;
    double r;
    double rStd;
    double[] cos;
    double noiseTrace;
    double cleanNorm;
    double wrongNorm;
    double cleanWrongCos;
    double strength;

    BruteForce(double[][] clean, double[][] wrong, long nc, long nw, int batch) {
      int m = clean.length;
      int p = clean[0].length;
      double[][] g = new double[m][p];
      double[] gbar = new double[p];
      double[] sumC = new double[p];
      double[] sumW = new double[p];
      for (int mu = 0; mu < m; mu++) {
        for (int k = 0; k < p; k++) {
          g[mu][k] = clean[mu][k] + (wrong == null ? 0 : wrong[mu][k]);
          gbar[k] += g[mu][k] / m;
          sumC[k] += clean[mu][k];
          sumW[k] += wrong == null ? 0 : wrong[mu][k];
        }
      }
      a = norm(gbar);
      for (double[] v : g) {
        q += dot(v, v) / m;
        double[] d = new double[p];
        for (int k = 0; k < p; k++) {
          d[k] = v[k] - gbar[k];
        }
        noiseTrace += dot(d, d) / (m - 1);
      }
      cos = new double[m * (m - 1) / 2];
      int n = 0;
      for (int i = 0; i < m; i++) {
        for (int j = i + 1; j < m; j++) {
          cos[n++] = dot(g[i], g[j]) / (norm(g[i]) * norm(g[j]));
        }
      }
      for (double c : cos) {
        r += c / cos.length;
      }
      for (double c : cos) {
        rStd += (c - r) * (c - r) / cos.length;
      }
      rStd = Math.sqrt(rStd);
      if (wrong != null) {
        double[] gc = new double[p];
        double[] gw = new double[p];
        for (int k = 0; k < p; k++) {
          gc[k] = sumC[k] * batch / nc;
          gw[k] = sumW[k] * batch / nw;
        }
        cleanNorm = norm(gc);
        wrongNorm = norm(gw);
        cleanWrongCos = dot(gc, gw) / (cleanNorm * wrongNorm);
        double rho = (double) nw / (nc + nw);
        strength = rho * wrongNorm / ((1 - rho) * cleanNorm);
      }
    }
  }

  static double dot(double[] x, double[] y) {
    double s = 0;
    for (int k = 0; k < x.length; k++) {
      s += x[k] * y[k];
    }
    return s;
  }

  static double norm(double[] x) {
    return Math.sqrt(dot(x, x));
  }

  static double[][] gram(double[][] a, double[][] b) {
    double[][] out = new double[a.length][b.length];
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < b.length; j++) {
        out[i][j] = dot(a[i], b[j]);
      }
    }
    return out;
  }

  static void close(String what, double got, double expected) {
    double tol = Math.abs(expected) < 1e-3 ? 1e-9 : 1e-9 * Math.abs(expected);
    assertThat(got).as(what).isCloseTo(expected, within(tol));
  }

  @Test
  void partsMatchBruteForceOnRandomEnsembles() {
    Random rnd = new Random(11);
    for (int trial = 0; trial < 100; trial++) {
      int m = 2 + rnd.nextInt(7);
      int p = 1 + rnd.nextInt(60);
      int batch = 8 + rnd.nextInt(20);
      double[][] c = new double[m][p];
      double[][] w = new double[m][p];
      for (int i = 0; i < m; i++) {
        for (int k = 0; k < p; k++) {
          c[i][k] = 0.3 + rnd.nextGaussian();
          w[i][k] = -0.1 + 0.5 * rnd.nextGaussian();
        }
      }
      long nc = m * (long) batch - 3;
      long nw = 3;
      BruteForce bf = new BruteForce(c, w, nc, nw, batch);
      OrderParameters op =
          OrderParameters.fromParts(gram(c, c), gram(c, w), gram(w, w), nc, nw, batch);
      String t = " trial " + trial;
      close("A" + t, op.meanGradNorm(), bf.a);
      close("Q" + t, op.meanSqNorm(), bf.q);
      close("R" + t, op.alignment(), bf.r);
      close("R std" + t, op.alignmentStd(), bf.rStd);
      double[] bfq = Quantiles.of(bf.cos, OrderParameters.QUANTILE_LEVELS);
      for (int i = 0; i < bfq.length; i++) {
        close("R quantile " + i + t, op.alignmentQuantiles()[i], bfq[i]);
      }
      close("noise trace" + t, op.noiseTrace(), bf.noiseTrace);
      close("snr" + t, op.snr(), bf.a * bf.a / bf.noiseTrace);
      close("noise scale" + t, op.noiseScale(), batch * bf.noiseTrace / (bf.a * bf.a));
      close("|G_C|" + t, op.cleanGradNorm(), bf.cleanNorm);
      close("|G_W|" + t, op.wrongGradNorm(), bf.wrongNorm);
      close("cos(G_C,G_W)" + t, op.cleanWrongCos(), bf.cleanWrongCos);
      close("S" + t, op.relativeStrength(), bf.strength);
      assertThat(op.alignmentPairs()).as("pairs").isEqualTo(m * (m - 1) / 2);
    }
  }

  @Test
  void syntheticEnsembleGivesKnownAlignmentNoiseTraceAndNoiseScale() {
    // g^mu = G + xi^mu, xi ~ N(0, diag(s_k^2)): tr C = sum s_k^2; for large P every pair cosine
    // concentrates at |G|^2 / (|G|^2 + tr C); E|gbar|^2 = |G|^2 + tr C / M.
    Random rnd = new Random(12);
    int m = 200;
    int p = 4000;
    int batch = 32;
    double[] g0 = new double[p];
    double[] s = new double[p];
    double traceC = 0;
    for (int k = 0; k < p; k++) {
      s[k] = 0.01 * (1 + (k % 7));
      traceC += s[k] * s[k];
    }
    double scale = Math.sqrt(traceC / p);
    double normG2 = 0;
    for (int k = 0; k < p; k++) {
      g0[k] = scale * rnd.nextGaussian();
      normG2 += g0[k] * g0[k];
    }
    double[][] v = new double[m][p];
    for (int mu = 0; mu < m; mu++) {
      for (int k = 0; k < p; k++) {
        v[mu][k] = g0[k] + s[k] * rnd.nextGaussian();
      }
    }
    OrderParameters op = OrderParameters.fromGram(gram(v, v), batch);
    double gbar2 = normG2 + traceC / m;
    // Relative sampling error of the trace estimate is about sqrt(2 sum s^4 / (M (tr C)^2)) < 1e-3.
    assertThat(op.noiseTrace()).as("noise trace vs tr C").isCloseTo(traceC, within(0.01 * traceC));
    assertThat(op.alignment())
        .as("alignment R")
        .isCloseTo(normG2 / (normG2 + traceC), within(0.01));
    assertThat(op.meanGradNorm())
        .as("A")
        .isCloseTo(Math.sqrt(gbar2), within(0.01 * Math.sqrt(gbar2)));
    assertThat(op.noiseScale())
        .as("B_simple")
        .isCloseTo(batch * traceC / gbar2, within(0.02 * batch * traceC / gbar2));
    assertThat(op.alignmentStd()).as("cosines concentrate for large P").isLessThan(0.05);
  }

  @Test
  void noLabelSplitLeavesCleanWrongQuantitiesUndefined() {
    double[][] k = {{4, 0}, {0, 1}};
    OrderParameters op = OrderParameters.fromGram(k, 10);
    assertThat(op.alignment()).as("orthogonal members").isZero();
    assertThat(op.cleanWrongCos()).as("no split").isNaN();
    assertThat(op.relativeStrength()).as("no split").isNaN();
  }

  @Test
  void identicalMembersHaveZeroNoiseAndUndefinedNoiseScale() {
    double[][] k = {{2, 2, 2}, {2, 2, 2}, {2, 2, 2}};
    OrderParameters op = OrderParameters.fromGram(k, 10);
    assertThat(op.noiseTrace()).as("noise trace").isZero();
    assertThat(op.snr()).as("snr of a noiseless ensemble").isNaN();
    assertThat(op.alignment()).as("R").isCloseTo(1, within(1e-15));
  }

  @Test
  void zeroNormMemberIsLeftOutOfTheCosines() {
    double[][] k = {{1, 0, 1}, {0, 0, 0}, {1, 0, 1}};
    OrderParameters op = OrderParameters.fromGram(k, 4);
    assertThat(op.alignmentPairs()).as("pairs without the zero member").isEqualTo(1);
    assertThat(op.alignment()).as("R").isEqualTo(1);
  }

  @Test
  void fewerThanTwoMembersIsRejected() {
    assertThatThrownBy(() -> OrderParameters.fromGram(new double[][] {{1}}, 8))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1 minibatch");
  }
}
