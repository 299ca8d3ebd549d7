package org.sgdlens.curvature;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sgdlens.kernel.SymmetricEigen;

/** Lanczos top-k against the dense eigendecomposition (LAPACK dsyevd via SymmetricEigen). */
class LanczosTest {
  @Test
  void topKOfAKnownSpectrumConvergesInFewerStepsThanP() {
    int p = 150;
    double[] lambda = new double[p];
    for (int i = 0; i < p; i++) {
      lambda[i] = i < 8 ? 10 * Math.pow(0.7, i) : -0.2 + 0.4 * i / p;
    }
    HessianOperator op =
        HessianOperator.ofMatrix(CurvatureFixture.matrixWithSpectrum(lambda, 1), p);
    Lanczos.Result r = Lanczos.topK(op, 4, 60, 2);
    assertThat(r.steps()).isEqualTo(60);
    for (int i = 0; i < 4; i++) {
      assertThat(r.values()[i])
          .as("eigenvalue %d", i)
          .isCloseTo(lambda[i], within(1e-8 * lambda[i]));
      assertThat(r.residuals()[i]).as("residual %d", i).isLessThan(1e-6);
    }
  }

  @Test
  void topKOfAnMlpHessianEqualsItsDenseEigendecomposition() {
    try (MlpHessian h = MlpHessian.builder().setSpec(CurvatureFixture.SPEC).build()) {
      for (List<String> layers : List.of(List.<String>of(), List.of("fc2"))) {
        HessianOperator op = h.operator(CurvatureFixture.WEIGHTS, CurvatureFixture.DATA, layers, 8);
        int p = op.dimension();
        DenseHessian.Dense dense = DenseHessian.of(op);
        SymmetricEigen.Decomposition exact = SymmetricEigen.decompose(dense.matrix(), p);
        int k = 5;
        Lanczos.Result r = Lanczos.topK(op, k, p, 3);
        double scale = Math.abs(exact.values()[0]);
        for (int i = 0; i < k; i++) {
          assertThat(r.values()[i])
              .as("%s eigenvalue %d", layers, i)
              .isCloseTo(exact.values()[i], within(1e-8 * scale));
          double cos = 0;
          for (int t = 0; t < p; t++) {
            cos += r.vectors()[i][t] * exact.vector(i, t);
          }
          assertThat(Math.abs(cos))
              .as("%s |cos| eigenvector %d", layers, i)
              .isCloseTo(1, within(1e-6));
          assertThat(r.residuals()[i]).as("%s residual %d", layers, i).isLessThan(1e-8 * scale);
        }
      }
    }
  }

  @Test
  void aDegenerateOperatorRestartsInsteadOfDividingByZero() {
    // Rank 2: the Krylov space of any start vector closes after two steps.
    int p = 20;
    double[] lambda = new double[p];
    lambda[0] = 3;
    lambda[1] = 1;
    HessianOperator op =
        HessianOperator.ofMatrix(CurvatureFixture.matrixWithSpectrum(lambda, 4), p);
    Lanczos.Result r = Lanczos.topK(op, 3, p, 5);
    assertThat(r.values()[0]).isCloseTo(3, within(1e-12));
    assertThat(r.values()[1]).isCloseTo(1, within(1e-12));
    assertThat(r.values()[2]).isCloseTo(0, within(1e-12));
  }
}
