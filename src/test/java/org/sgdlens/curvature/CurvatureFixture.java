package org.sgdlens.curvature;

import java.util.List;
import java.util.SplittableRandom;
import org.sgdlens.record.Network;

/** A small tanh MLP's Hessian and explicit symmetric matrices with known spectra. */
final class CurvatureFixture {
  private CurvatureFixture() {}

  static final MlpSpec SPEC =
      MlpSpec.of(4, List.of(5), 3, MlpSpec.Activation.TANH, true, Network.Objective.CROSS_ENTROPY);

  static final Samples DATA = MlpLossOracle.randomSamples(40, 4, 3, 21);

  static final double[] WEIGHTS = MlpLossOracle.randomWeights(SPEC, 22, 1.0);

  /** {@code Q diag(lambda) Q^T} for a seeded random orthogonal Q (Gram-Schmidt of a Gaussian). */
  static double[] matrixWithSpectrum(double[] lambda, long seed) {
    int n = lambda.length;
    SplittableRandom random = new SplittableRandom(seed);
    double[][] q = new double[n][n];
    for (int k = 0; k < n; k++) {
      for (int i = 0; i < n; i++) {
        q[k][i] = random.nextGaussian();
      }
      for (int pass = 0; pass < 2; pass++) {
        for (int j = 0; j < k; j++) {
          double d = Tridiagonal.dot(q[j], q[k]);
          for (int i = 0; i < n; i++) {
            q[k][i] -= d * q[j][i];
          }
        }
      }
      double norm = Math.sqrt(Tridiagonal.dot(q[k], q[k]));
      for (int i = 0; i < n; i++) {
        q[k][i] /= norm;
      }
    }
    double[] a = new double[n * n];
    for (int r = 0; r < n; r++) {
      for (int c = 0; c < n; c++) {
        double s = 0;
        for (int k = 0; k < n; k++) {
          s += q[k][r] * lambda[k] * q[k][c];
        }
        a[r * n + c] = s;
      }
    }
    return a;
  }

  static double trace(double[] matrix, int p) {
    double t = 0;
    for (int i = 0; i < p; i++) {
      t += matrix[i * p + i];
    }
    return t;
  }
}
