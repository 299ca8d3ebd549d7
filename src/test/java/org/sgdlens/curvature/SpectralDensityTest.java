package org.sgdlens.curvature;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class SpectralDensityTest {
  @Test
  void theMlpDensityIntegratesToOneAndItsMeanIsTheTraceOverP() {
    try (MlpHessian h = MlpHessian.builder().setSpec(CurvatureFixture.SPEC).build()) {
      HessianOperator op =
          h.operator(CurvatureFixture.WEIGHTS, CurvatureFixture.DATA, List.of(), 10);
      int p = op.dimension();
      double exact = CurvatureFixture.trace(DenseHessian.of(op).matrix(), p) / p;
      SpectralDensity.Density d = SpectralDensity.estimate(op, 30, 20, 9);
      for (double[] w : d.weights()) {
        assertThat(java.util.Arrays.stream(w).sum())
            .as("weights of a probe")
            .isCloseTo(1, within(1e-12));
      }
      assertThat(d.integrate(t -> 1)).as("integral").isCloseTo(1, within(1e-6));
      assertThat(d.integrate(t -> t))
          .as("mean of the gridded density")
          .isCloseTo(d.mean(), within(1e-6 * Math.abs(d.mean()) + 1e-9));
      assertThat(Math.abs(d.mean() - exact)).isLessThan(3 * d.meanStandardError());
    }
  }

  @Test
  void onADiagonalOperatorTheMeanIsExactlyTheTraceOverPAndTheNodesTheSpectrum() {
    int p = 12;
    double[] m = new double[p * p];
    double trace = 0;
    for (int i = 0; i < p; i++) {
      m[i * p + i] = i - 3.5;
      trace += i - 3.5;
    }
    SpectralDensity.Density d =
        SpectralDensity.estimate(HessianOperator.ofMatrix(m, p), 5, p, 10, 0.05, 4001);
    assertThat(d.mean()).isCloseTo(trace / p, within(1e-12));
    // With m = P steps each probe's quadrature is exact: nodes are the eigenvalues, weights 1/P.
    for (int l = 0; l < 5; l++) {
      for (int i = 0; i < p; i++) {
        assertThat(d.nodes()[l][i]).isCloseTo(i - 3.5, within(1e-10));
        assertThat(d.weights()[l][i]).isCloseTo(1.0 / p, within(1e-10));
      }
    }
    assertThat(d.integrate(t -> 1)).isCloseTo(1, within(1e-6));
    assertThat(d.sigma()).isEqualTo(0.05);
  }
}
