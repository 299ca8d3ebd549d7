package org.sgdlens.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.RealMatrix;
import org.junit.jupiter.api.Test;

class SymmetricEigenTest {

  @Test
  void reconstructsAKnownSpectrumInDescendingOrder() {
    SplittableRandom random = new SplittableRandom(3);
    int n = 40;
    double[][] q = SnapshotPcaTest.randomOrthogonal(n, random);
    double[] lambda = new double[n];
    for (int i = 0; i < n; i++) {
      lambda[i] = Math.pow(0.8, i) - 0.05; // one negative tail, distinct values
    }
    RealMatrix qm = new Array2DRowRealMatrix(q, false);
    RealMatrix a = qm.multiply(diag(lambda)).multiply(qm.transpose());
    double[] flat = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        flat[i * n + j] = a.getEntry(i, j);
      }
    }
    SymmetricEigen.Decomposition eigen = SymmetricEigen.decompose(flat, n);
    for (int k = 0; k < n; k++) {
      assertThat(eigen.values()[k]).as("eigenvalue %d", k).isCloseTo(lambda[k], within(1e-12));
      double[] v = new double[n];
      double[] known = new double[n];
      for (int i = 0; i < n; i++) {
        v[i] = eigen.vector(k, i);
        known[i] = q[i][k];
      }
      assertThat(Math.abs(SnapshotPcaTest.cosine(v, known)))
          .as("|cos| eigenvector %d", k)
          .isCloseTo(1.0, within(1e-9));
    }
  }

  @Test
  void leadingPairsEqualTheFullDecompositionsOnRandomMatricesWithRepeatedEigenvalues() {
    SplittableRandom random = new SplittableRandom(13);
    int partial = 0;
    for (int trial = 0; trial < 60; trial++) {
      int n = 8 + random.nextInt(150);
      double[] flat;
      if (trial % 3 == 0) {
        // GOE-like: a random symmetric matrix, all eigenvalues distinct almost surely.
        flat = new double[n * n];
        for (int i = 0; i < n; i++) {
          for (int j = i; j < n; j++) {
            double v = random.nextGaussian();
            flat[i * n + j] = v;
            flat[j * n + i] = v;
          }
        }
      } else {
        // Q Λ Qᵀ with clusters of 1..4 equal eigenvalues, some negative.
        double[] lambda = new double[n];
        double level = 10 + random.nextDouble();
        for (int i = 0; i < n; ) {
          int multiplicity = 1 + random.nextInt(4);
          for (int m = 0; m < multiplicity && i < n; m++, i++) {
            lambda[i] = level;
          }
          level -= 0.05 + random.nextDouble() * 0.5;
        }
        flat = conjugate(SnapshotPcaTest.randomOrthogonal(n, random), lambda);
      }
      int k =
          trial % 4 == 3
              ? n / SymmetricEigen.PARTIAL_MIN_RATIO + 1 + random.nextInt(n - n / 4)
              : 1 + random.nextInt(Math.max(1, n / SymmetricEigen.PARTIAL_MIN_RATIO));
      k = Math.min(k, n);
      if ((long) k * SymmetricEigen.PARTIAL_MIN_RATIO <= n) {
        partial++;
      }
      double[] before = flat.clone();
      SymmetricEigen.Decomposition full = SymmetricEigen.decompose(flat, n);
      SymmetricEigen.Decomposition top = SymmetricEigen.leading(flat, n, k);
      assertThat(flat).as("input left unchanged").isEqualTo(before);
      assertThat(top.values()).as("trial %d: k=%d of n=%d values", trial, k, n).hasSize(k);
      double scale = Math.abs(full.values()[0]);
      for (int i = 0; i < k; i++) {
        assertThat(top.values()[i])
            .as("trial %d (n=%d, k=%d): eigenvalue %d vs dsyevd", trial, n, k, i)
            .isCloseTo(full.values()[i], within(1e-10 * Math.abs(full.values()[i])));
      }
      // Vectors: a cluster of equal eigenvalues has no unique basis, so compare what is unique:
      // the projector onto each cluster wholly inside the top k (a singleton: v up to sign); a
      // cluster cut by k only has to contain the returned vectors.
      for (int start = 0; start < k; ) {
        int end = start + 1;
        while (end < n && Math.abs(full.values()[end] - full.values()[start]) < 1e-8 * scale) {
          end++;
        }
        for (int i = start; i < Math.min(end, k); i++) {
          double[] residual = new double[n];
          for (int r = 0; r < n; r++) {
            double av = 0;
            for (int c = 0; c < n; c++) {
              av += flat[r * n + c] * top.vector(i, c);
            }
            residual[r] = av - top.values()[i] * top.vector(i, r);
          }
          assertThat(norm(residual))
              .as("trial %d: ‖A v_%d − λ v_%d‖ / |λ_1|", trial, i, i)
              .isLessThan(1e-10 * scale);
          for (int j = 0; j <= i; j++) {
            assertThat(dot(top, i, top, j, n))
                .as("trial %d: v_%d · v_%d", trial, i, j)
                .isCloseTo(i == j ? 1 : 0, within(1e-10));
          }
          double inCluster = 0;
          for (int j = start; j < end; j++) {
            double c = dot(top, i, full, j, n);
            inCluster += c * c;
          }
          assertThat(inCluster)
              .as("trial %d: v_%d lies in the eigenspace of λ=%s", trial, i, full.values()[i])
              .isCloseTo(1.0, within(1e-9));
        }
        start = end;
      }
    }
    assertThat(partial).as("trials that took the dsyevr route").isGreaterThan(30);
  }

  @Test
  void leadingRejectsAnImpossibleCount() {
    double[] identity = {1, 0, 0, 1};
    assertThatThrownBy(() -> SymmetricEigen.leading(identity, 2, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("3 largest")
        .hasMessageContaining("1..2");
    assertThatThrownBy(() -> SymmetricEigen.leading(identity, 2, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0 largest");
  }

  private static double dot(
      SymmetricEigen.Decomposition a, int i, SymmetricEigen.Decomposition b, int j, int n) {
    double s = 0;
    for (int r = 0; r < n; r++) {
      s += a.vector(i, r) * b.vector(j, r);
    }
    return s;
  }

  private static double norm(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x * x;
    }
    return Math.sqrt(s);
  }

  private static double[] conjugate(double[][] q, double[] lambda) {
    int n = lambda.length;
    double[] flat = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = i; j < n; j++) {
        double v = 0;
        for (int m = 0; m < n; m++) {
          v += q[i][m] * lambda[m] * q[j][m];
        }
        flat[i * n + j] = v;
        flat[j * n + i] = v;
      }
    }
    return flat;
  }

  private static RealMatrix diag(double[] d) {
    RealMatrix m = new Array2DRowRealMatrix(d.length, d.length);
    for (int i = 0; i < d.length; i++) {
      m.setEntry(i, i, d[i]);
    }
    return m;
  }
}
