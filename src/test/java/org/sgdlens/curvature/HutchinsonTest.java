package org.sgdlens.curvature;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class HutchinsonTest {
  @Test
  void theMlpTraceIsWithinThreeStandardErrorsOfTheExactTrace() {
    try (MlpHessian h = MlpHessian.builder().setSpec(CurvatureFixture.SPEC).build()) {
      HessianOperator op =
          h.operator(CurvatureFixture.WEIGHTS, CurvatureFixture.DATA, List.of(), 16);
      double exact = CurvatureFixture.trace(DenseHessian.of(op).matrix(), op.dimension());
      Hutchinson.Estimate e = Hutchinson.trace(op, 200, 7);
      assertThat(e.probes()).isEqualTo(200);
      assertThat(e.standardError()).isPositive();
      assertThat(Math.abs(e.trace() - exact)).isLessThan(3 * e.standardError());
      assertThat(Hutchinson.trace(op, 200, 7).samples())
          .as("seeded: the same probes again")
          .containsExactly(e.samples());
    }
  }

  @Test
  void aDiagonalOperatorGivesTheExactTraceWithZeroError() {
    // z^T D z = sum d_i z_i^2 = tr(D) for every Rademacher z.
    int p = 60;
    double[] d = new double[p * p];
    double trace = 0;
    for (int i = 0; i < p; i++) {
      d[i * p + i] = Math.sin(i) * 3;
      trace += d[i * p + i];
    }
    Hutchinson.Estimate e = Hutchinson.trace(HessianOperator.ofMatrix(d, p), 500, 8);
    assertThat(e.trace()).isCloseTo(trace, within(1e-12));
    assertThat(e.standardError()).isLessThan(1e-12);
  }
}
