package org.sgdlens.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The duality kernel against closed forms and brute force, without Spark or DJL. */
class DualityKernelTest {
  static double[] gaussian(SplittableRandom random, int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = random.nextGaussian();
    }
    return v;
  }

  /** ReLU-like activities: non-negative, about a third exactly zero, float-valued. */
  static double[] activity(SplittableRandom random, int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = random.nextInt(3) == 0 ? 0 : (float) Math.abs(random.nextGaussian() * 3);
    }
    v[random.nextInt(n)] = 1.5f; // never all zero
    return v;
  }

  static double[] times(double[] w, int rows, int cols, double[] a) {
    double[] z = new double[rows];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        z[r] += w[r * cols + c] * a[c];
      }
    }
    return z;
  }

  @Test
  void dualWeightsActOnTheTrainingActivityAsTheTestActivityDoes() {
    SplittableRandom random = new SplittableRandom(17);
    double worst = 0;
    for (int trial = 0; trial < 500; trial++) {
      int rows = 1 + random.nextInt(40);
      int cols = 1 + random.nextInt(60);
      double[] w = new double[rows * cols];
      for (int i = 0; i < w.length; i++) {
        w[i] = (float) (random.nextGaussian() / Math.sqrt(cols)); // float32 weights, as recorded
      }
      double[] train = activity(random, cols);
      double[] test = activity(random, cols);
      double[] dw = DualWeights.of(w, rows, cols, train, test);
      double[] wPlus = w.clone();
      for (int i = 0; i < w.length; i++) {
        wPlus[i] += dw[i];
      }
      double[] dual = times(wPlus, rows, cols, train);
      double[] direct = times(w, rows, cols, test);
      double scale = 1;
      double error = 0;
      for (int r = 0; r < rows; r++) {
        scale = Math.max(scale, Math.abs(direct[r]));
        error = Math.max(error, Math.abs(dual[r] - direct[r]));
      }
      worst = Math.max(worst, error / scale);
      assertThat(DualWeights.identityError(w, dw, rows, cols, train, test))
          .as("reported identity error, trial %d", trial)
          .isCloseTo(error / scale, within(1e-15));
      // Δw is rank one: every row is a multiple of the training activity.
      for (int r = 0; r < rows; r++) {
        double ratio = Double.NaN;
        for (int c = 0; c < cols; c++) {
          if (train[c] != 0) {
            double q = dw[r * cols + c] / train[c];
            if (Double.isNaN(ratio)) {
              ratio = q;
            }
            assertThat(q).isCloseTo(ratio, within(1e-12 * (1 + Math.abs(ratio))));
          } else {
            assertThat(dw[r * cols + c]).isZero();
          }
        }
      }
    }
    assertThat(worst).as("worst relative identity error in double").isLessThan(1e-13);
    // far below float32's 6e-8: the identity holds to float precision
  }

  @Test
  void theIdentityCheckFailsForWrongDualWeights() {
    SplittableRandom random = new SplittableRandom(3);
    int rows = 5;
    int cols = 7;
    double[] w = gaussian(random, rows * cols);
    double[] train = activity(random, cols);
    double[] test = activity(random, cols);
    double[] dw = DualWeights.of(w, rows, cols, train, test);
    dw[3] += 1e-3;
    assertThat(DualWeights.identityError(w, dw, rows, cols, train, test)).isGreaterThan(1e-6);
  }

  @Test
  void aZeroTrainingActivityHasNoDualWeights() {
    assertThat(DualWeights.of(new double[] {1, 2}, 1, 2, new double[2], new double[] {1, 1}))
        .isNull();
  }

  /**
   * A quadratic per-sample loss {@code l_k(w) = ½ (w − m_k)ᵀ H (w − m_k)} with a known symmetric
   * {@code H} (one negative eigenvalue): its second-order expansion is exact, so with the full
   * eigenbasis the decomposition reproduces the mean gap {@code l_k(w0 + Δw_k) − l_k(w0)} exactly,
   * and each direction's statistics equal their brute-force definitions.
   */
  @Test
  void onAQuadraticLossTheDecompositionIsTheExactGap() {
    SplittableRandom random = new SplittableRandom(29);
    int p = 7;
    int pairs = 40;
    double[] a = gaussian(random, p * p);
    double[] h = new double[p * p];
    for (int i = 0; i < p; i++) {
      for (int j = 0; j < p; j++) {
        for (int q = 0; q < p; q++) {
          h[i * p + j] += a[i * p + q] * a[j * p + q];
        }
      }
      h[i * p + i] -= 1.5; // an indefinite H, as away from a minimum
    }
    SymmetricEigen.Decomposition eigen = SymmetricEigen.decompose(h, p);
    double[][] basis = new double[p][p];
    for (int i = 0; i < p; i++) {
      for (int j = 0; j < p; j++) {
        basis[i][j] = eigen.vector(i, j);
      }
    }
    double[] w0 = gaussian(random, p);
    double[][] dws = new double[pairs][];
    double[][] grads = new double[pairs][];
    double[] gaps = new double[pairs];
    double[] sums = DualityStats.empty(p);
    double[] first = DualityStats.empty(p);
    double[] second = DualityStats.empty(p);
    double exact = 0;
    for (int k = 0; k < pairs; k++) {
      double[] m = gaussian(random, p);
      double[] dw = gaussian(random, p);
      for (int i = 0; i < p; i++) {
        dw[i] = 0.3 * dw[i] + 0.2; // a non-zero mean, as the paper's μ_w
      }
      double[] r0 = new double[p];
      double[] r1 = new double[p];
      for (int i = 0; i < p; i++) {
        r0[i] = w0[i] - m[i];
        r1[i] = r0[i] + dw[i];
      }
      double l0 = 0.5 * DualityStats.dot(r0, times(h, p, p, r0));
      double l1 = 0.5 * DualityStats.dot(r1, times(h, p, p, r1));
      double[] g = times(h, p, p, r0); // ∇l_k(w0)
      dws[k] = dw;
      grads[k] = g;
      gaps[k] = l1 - l0;
      exact += (l1 - l0) / pairs;
      DualityStats.addPair(sums, basis, dw, g, l0, l1, 0, 0, 1);
      DualityStats.addPair(k % 2 == 0 ? first : second, basis, dw, g, l0, l1, 0, 0, 1);
    }
    DualityStats.Result r = DualityStats.combine(sums, eigen.values());
    assertThat(r.measuredGap()).isCloseTo(exact, within(1e-12));
    assertThat(r.predictedGap()).as("second order, full basis").isCloseTo(exact, within(1e-10));
    assertThat(r.predictedGapSecant()).as("secant, full basis").isCloseTo(exact, within(1e-10));
    assertThat(r.capturedFraction()).isCloseTo(1, within(1e-12));
    assertThat(r.firstOrderGap()).isCloseTo(r.firstOrderFull(), within(1e-10));
    // Sums of disjoint halves add up to the sums of the whole.
    DualityStats.Result halves =
        DualityStats.combine(DualityStats.add(first, second), eigen.values());
    assertThat(halves.predictedGap()).isCloseTo(r.predictedGap(), within(1e-12));

    // Each direction against its definition from explicit per-pair arrays.
    for (int i = 0; i < p; i++) {
      double hi = eigen.values()[i];
      double[] theta = new double[pairs];
      double[] geff = new double[pairs];
      for (int k = 0; k < pairs; k++) {
        theta[k] = DualityStats.dot(basis[i], dws[k]);
        geff[k] = DualityStats.dot(basis[i], grads[k]) + 0.5 * hi * theta[k];
      }
      double muW = mean(theta);
      double muG = mean(geff);
      double sigmaW = Math.sqrt(mean(square(theta, muW)));
      double sigmaG = Math.sqrt(mean(square(geff, muG)));
      double cov = 0;
      double direct = 0;
      for (int k = 0; k < pairs; k++) {
        cov += (geff[k] - muG) * (theta[k] - muW) / pairs;
        direct += geff[k] * theta[k] / pairs;
      }
      DualityStats.Direction d = r.directions().get(i);
      assertThat(d.index()).isEqualTo(i + 1);
      assertThat(d.h()).isEqualTo(hi);
      assertThat(d.muW()).isCloseTo(muW, within(1e-12));
      assertThat(d.muG()).isCloseTo(muG, within(1e-12));
      assertThat(d.sigmaW()).isCloseTo(sigmaW, within(1e-10));
      assertThat(d.sigmaG()).isCloseTo(sigmaG, within(1e-10));
      assertThat(d.c()).isCloseTo(cov / (sigmaG * sigmaW), within(1e-9));
      assertThat(d.contribution()).isCloseTo(direct, within(1e-10));
      assertThat(d.curvatureTerm()).isCloseTo(0.5 * hi * mean(square(theta, 0)), within(1e-10));
      assertThat(d.sharpnessSpread()).isCloseTo(0.5 * hi * sigmaW * sigmaW, within(1e-10));
    }

    // Truncated to the top 3 directions: the sum over those directions of the exact expansion.
    double[][] top = {basis[0], basis[1], basis[2]};
    double[] topSums = DualityStats.empty(3);
    double expected = 0;
    for (int k = 0; k < pairs; k++) {
      DualityStats.addPair(topSums, top, dws[k], grads[k], 0, gaps[k], 0, 0, 1);
      for (int i = 0; i < 3; i++) {
        double t = DualityStats.dot(basis[i], dws[k]);
        expected +=
            (DualityStats.dot(basis[i], grads[k]) * t + 0.5 * eigen.values()[i] * t * t) / pairs;
      }
    }
    double[] top3 = {eigen.values()[0], eigen.values()[1], eigen.values()[2]};
    assertThat(DualityStats.combine(topSums, top3).predictedGap())
        .isCloseTo(expected, within(1e-10));
  }

  @Test
  void errorSlotsTakeTheMaximum() {
    double[] a = DualityStats.empty(1);
    double[] b = DualityStats.empty(1);
    double[][] basis = {{1, 0}};
    DualityStats.addPair(a, basis, new double[] {1, 1}, new double[] {0, 0}, 0, 1, 3e-7, 1e-6, 1);
    DualityStats.addPair(b, basis, new double[] {1, 1}, new double[] {0, 0}, 0, 1, 2e-7, 5e-6, 1);
    DualityStats.addSkipped(b);
    DualityStats.Result r = DualityStats.combine(DualityStats.add(a, b), new double[] {1});
    assertThat(r.pairs()).isEqualTo(2);
    assertThat(r.skipped()).isEqualTo(1);
    assertThat(r.identityErrorMax()).isEqualTo(3e-7);
    assertThat(r.lossIdentityErrorMax()).isEqualTo(5e-6);
    assertThat(r.capturedFraction())
        .as("half of (1,1) lies along e_1")
        .isCloseTo(0.5, within(1e-15));
  }

  static double mean(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return s / v.length;
  }

  static double[] square(double[] v, double mu) {
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = (v[i] - mu) * (v[i] - mu);
    }
    return out;
  }

  /**
   * The nearest same-label reference of every query, searched over three blocks of references and
   * reduced with {@link NearestNeighbours#better}, equals a brute-force argmin over all references
   * (duplicated reference rows make ties, which go to the smaller id).
   */
  @Test
  void blockSearchEqualsBruteForce() {
    SplittableRandom random = new SplittableRandom(5);
    int dim = 6;
    int nq = 70;
    int nr = 90;
    int labels = 4;
    double[][] q = new double[nq][];
    int[] qIds = new int[nq];
    int[] qLabels = new int[nq];
    for (int i = 0; i < nq; i++) {
      q[i] = gaussian(random, dim);
      qIds[i] = 1000 + i;
      qLabels[i] = random.nextInt(labels + 1); // label 4 may have no reference
    }
    double[][] r = new double[nr][];
    int[] rIds = new int[nr];
    int[] rLabels = new int[nr];
    for (int i = 0; i < nr; i++) {
      r[i] = i >= 60 ? r[i - 60].clone() : gaussian(random, dim); // duplicates → ties
      rLabels[i] = i >= 60 ? rLabels[i - 60] : random.nextInt(labels);
      rIds[i] = nr - 1 - i; // ids descending, so ties prefer the later row
    }
    q[0] = r[10].clone();
    qLabels[0] = rLabels[10];

    NearestNeighbours.Match[] best = null;
    int[][] blocks = {{0, 25}, {25, 61}, {61, nr}};
    for (int[] b : blocks) {
      NearestNeighbours.Match[] part =
          NearestNeighbours.nearest(
              q,
              qIds,
              qLabels,
              java.util.Arrays.copyOfRange(r, b[0], b[1]),
              java.util.Arrays.copyOfRange(rIds, b[0], b[1]),
              java.util.Arrays.copyOfRange(rLabels, b[0], b[1]));
      if (best == null) {
        best = part;
      } else {
        for (int i = 0; i < nq; i++) {
          best[i] = NearestNeighbours.better(best[i], part[i]);
        }
      }
    }
    for (int i = 0; i < nq; i++) {
      List<double[]> candidates = new ArrayList<>(); // {distance², id}
      for (int j = 0; j < nr; j++) {
        if (rLabels[j] == qLabels[i]) {
          double d = 0;
          for (int c = 0; c < dim; c++) {
            d += (q[i][c] - r[j][c]) * (q[i][c] - r[j][c]);
          }
          candidates.add(new double[] {d, rIds[j]});
        }
      }
      candidates.sort(
          (x, y) -> x[0] != y[0] ? Double.compare(x[0], y[0]) : Double.compare(x[1], y[1]));
      assertThat(best[i].query()).isEqualTo(qIds[i]);
      if (candidates.isEmpty()) {
        assertThat(best[i].reference()).isEqualTo(NearestNeighbours.NONE);
      } else {
        assertThat(best[i].reference()).as("query %d", i).isEqualTo((int) candidates.get(0)[1]);
        assertThat(best[i].distance2()).isEqualTo(candidates.get(0)[0]);
      }
    }
    assertThat(best[0].distance2()).isZero();
    assertThat(best[0].reference()).as("tie of rows 10 and 70: the smaller id").isEqualTo(nr - 71);
  }
}
