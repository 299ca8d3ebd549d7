package org.sgdlens.curvature;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class DenseHessianTest {
  @Test
  void columnsAreTheHvpsAgainstUnitVectorsOneByOne() {
    try (MlpHessian h = MlpHessian.builder().setSpec(CurvatureFixture.SPEC).build()) {
      List<String> layers = List.of("fc1.weight");
      HessianOperator op = h.operator(CurvatureFixture.WEIGHTS, CurvatureFixture.DATA, layers, 7);
      int p = op.dimension();
      DenseHessian.Dense dense = DenseHessian.of(op);
      assertThat(dense.relativeAsymmetry()).as("asymmetry").isLessThan(1e-12);
      double largest = 0;
      for (double v : dense.matrix()) {
        largest = Math.max(largest, Math.abs(v));
      }
      for (int c = 0; c < p; c++) {
        double[] unit = new double[p];
        unit[c] = 1;
        double[] column =
            h.hvp(CurvatureFixture.WEIGHTS, CurvatureFixture.DATA, layers, new double[][] {unit})[
                0];
        for (int r = 0; r < p; r++) {
          assertThat(dense.get(r, c))
              .as("H[%d,%d]", r, c)
              .isCloseTo(column[r], within(1e-12 * largest));
        }
      }
    }
  }

  @Test
  void anOperatorAboveTheLimitIsRefused() {
    HessianOperator big =
        new HessianOperator() {
          @Override
          public int dimension() {
            return DenseHessian.MAX_DIMENSION + 1;
          }

          @Override
          public double[][] apply(double[][] vectors) {
            throw new AssertionError("not called");
          }
        };
    assertThatThrownBy(() -> DenseHessian.of(big)).hasMessageContaining("P=5001");
  }
}
