package org.sgdlens.kernel;

import static org.assertj.core.api.Assertions.assertThat;
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

  private static RealMatrix diag(double[] d) {
    RealMatrix m = new Array2DRowRealMatrix(d.length, d.length);
    for (int i = 0; i < d.length; i++) {
      m.setEntry(i, i, d[i]);
    }
    return m;
  }
}
