package org.sgdlens.curvature;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sgdlens.kernel.NoiseCurvatureStats;
import org.sgdlens.kernel.SymmetricEigen;
import org.sgdlens.record.Network;

/**
 * Linear regression under MSE (no hidden layer, no bias: {@code z = W x}, {@code l_n = (1/K)|W x_n
 * − e_{y_n}|²}), where every noise-curvature matrix has a closed form in the data: with the
 * residual {@code r_n = W x_n − e_{y_n}} and W row-major {@code [K, d]},
 *
 * <pre>
 *   g_n = (2/K) r_n ⊗ x_n,   h_n = (2/K) I_K ⊗ x_n x_nᵀ,   H = (2/K) I_K ⊗ (1/N) Σ x_n x_nᵀ,
 *   F = (4/K²)(1/N) Σ (r_n r_nᵀ) ⊗ (x_n x_nᵀ),   E[h²] = (4/K²) I_K ⊗ (1/N) Σ |x_n|² x_n x_nᵀ.
 * </pre>
 *
 * The per-sample Hessian does not depend on w, but it does on n, so E[h²] ≠ H² in general.
 */
class NoiseCurvatureLinearTest {
  static final int D = 4;
  static final int K = 3;

  static final MlpSpec SPEC =
      MlpSpec.of(D, List.of(), K, MlpSpec.Activation.TANH, false, Network.Objective.MSE);

  /** Both passes on one engine, combined as the job's driver does. */
  static NoiseCurvatureStats.Result compute(double[] w, Samples data, int batch, String range) {
    try (MlpHessian engine = MlpHessian.builder().setSpec(SPEC).build()) {
      LayerMoments m = new LayerMoments(engine, w, data, List.of("fc1.weight"));
      int[] all = LayerMoments.allPositions(data.count());
      NoiseCurvatureStats.Moments moments =
          NoiseCurvatureStats.moments(m.firstPass(all), m.dimension());
      SymmetricEigen.Decomposition eigen =
          SymmetricEigen.decompose(moments.hessian(), m.dimension());
      double[] second = m.secondPass(all, NoiseCurvatureStats.basis(eigen), true);
      return NoiseCurvatureStats.combine(moments, eigen, second, true, batch, range, 1e-6);
    }
  }

  static double relative(double[] actual, double[] expected) {
    return MlpLossOracle.relativeError(actual, expected);
  }

  @Test
  void matricesEqualTheirClosedForms() {
    Samples data = MlpLossOracle.randomSamples(30, D, K, 5);
    double[] w = MlpLossOracle.randomWeights(SPEC, 6, 0.7);
    int n = data.count();
    int p = K * D;
    int batch = 7;
    double[] h = new double[p * p];
    double[] f = new double[p * p];
    double[] e2 = new double[p * p];
    double[] gbar = new double[p];
    double[][] g = new double[n][p];
    for (int s = 0; s < n; s++) {
      double[] x = new double[D];
      double x2 = 0;
      for (int a = 0; a < D; a++) {
        x[a] = data.x()[s * D + a];
        x2 += x[a] * x[a];
      }
      double[] r = new double[K];
      for (int k = 0; k < K; k++) {
        for (int a = 0; a < D; a++) {
          r[k] += w[k * D + a] * x[a];
        }
        r[k] -= k == data.labels()[s] ? 1 : 0;
      }
      for (int k = 0; k < K; k++) {
        for (int a = 0; a < D; a++) {
          g[s][k * D + a] = 2.0 / K * r[k] * x[a];
          gbar[k * D + a] += g[s][k * D + a] / n;
        }
      }
      for (int k = 0; k < K; k++) {
        for (int a = 0; a < D; a++) {
          for (int k2 = 0; k2 < K; k2++) {
            for (int b = 0; b < D; b++) {
              int ij = (k * D + a) * p + k2 * D + b;
              f[ij] += 4.0 / (K * K) * r[k] * r[k2] * x[a] * x[b] / n;
              if (k == k2) {
                h[ij] += 2.0 / K * x[a] * x[b] / n;
                e2[ij] += 4.0 / (K * K) * x2 * x[a] * x[b] / n;
              }
            }
          }
        }
      }
    }
    // Σ_g from its definition (centred per-sample gradients), C with the without-replacement
    // factor.
    double factor = (double) (n - batch) / (batch * (n - 1.0));
    double[] c = new double[p * p];
    for (double[] gs : g) {
      for (int i = 0; i < p; i++) {
        for (int j = 0; j < p; j++) {
          c[i * p + j] += factor * (gs[i] - gbar[i]) * (gs[j] - gbar[j]) / n;
        }
      }
    }
    NoiseCurvatureStats.Result result = compute(w, data, batch, "auto");
    assertThat(relative(result.hessian(), h)).as("H").isLessThan(1e-12);
    assertThat(relative(result.fisher(), f)).as("F").isLessThan(1e-12);
    assertThat(relative(result.covariance(), c)).as("C").isLessThan(1e-12);
    assertThat(relative(result.expectedHessianSquare(), e2)).as("E[h^2]").isLessThan(1e-12);
    assertThat(result.factor()).as("minibatch factor").isCloseTo(factor, within(1e-15));
    // The eigenbasis diagonals are u_iᵀ M u_i of those matrices, and eh2_ii from the per-sample
    // HVPs equals u_iᵀ E[h²] u_i.
    double[] expectedEh2 = NoiseCurvatureStats.diagonalIn(result.eigen(), e2);
    assertThat(relative(result.eh2(), expectedEh2)).as("eh2_ii").isLessThan(1e-12);
    double[] h2 = new double[p * p];
    for (int i = 0; i < p; i++) {
      for (int j = 0; j < p; j++) {
        for (int q = 0; q < p; q++) {
          h2[i * p + j] += h[i * p + q] * h[q * p + j];
        }
      }
    }
    assertThat(relative(e2, h2)).as("E[h^2] is not H^2 for varying x_n x_n^T").isGreaterThan(0.1);
  }

  /**
   * Axis-aligned inputs {@code ±a_j e_j}, one pair per class on each axis, and {@code W = 0}: the
   * mean gradient vanishes and every matrix is diagonal in the same basis, with per-axis
   * eigenvalues (each K-fold) {@code λ_j = 4 a_j²/N}, {@code f_j = 8 a_j²/(K² N) = (2/K²) λ_j},
   * {@code c_j = factor · f_j} and {@code eh2_j = 8 a_j⁴/(K N) = (N/2K) λ_j²}: γ_C = γ_F = 1 and
   * γ_E = 2 exactly, R² = 1, a zero commutator, and cosines in closed form.
   */
  @Test
  void axisDataHaveExactPowerLaws() {
    double[] a = {0.5, 1.0, 1.7, 3.0};
    int n = 2 * K * D;
    float[] x = new float[n * D];
    int[] labels = new int[n];
    int s = 0;
    for (int j = 0; j < D; j++) {
      for (int y = 0; y < K; y++) {
        for (int sign = -1; sign <= 1; sign += 2) {
          x[s * D + j] = (float) (sign * a[j]);
          labels[s] = y;
          s++;
        }
      }
    }
    for (int j = 0; j < D; j++) {
      a[j] = (float) a[j]; // the engine sees the float32 inputs
    }
    int batch = 4;
    NoiseCurvatureStats.Result r =
        compute(new double[K * D], Samples.all(x, labels), batch, "auto");
    double factor = (double) (n - batch) / (batch * (n - 1.0));
    for (int i = 0; i < K * D; i++) {
      int j = D - 1 - i / K; // descending eigenvalues: the largest a_j first, K-fold
      double lambda = 4 * a[j] * a[j] / n;
      assertThat(r.lambda()[i]).as("lambda_%d", i + 1).isCloseTo(lambda, within(1e-12 * lambda));
      double f = 8 * a[j] * a[j] / (K * K * n);
      assertThat(r.f()[i]).as("f_%d", i + 1).isCloseTo(f, within(1e-12 * f));
      assertThat(r.c()[i]).as("c_%d", i + 1).isCloseTo(factor * f, within(1e-12 * f));
      double e = 8 * Math.pow(a[j], 4) / (K * n);
      assertThat(r.eh2()[i]).as("eh2_%d", i + 1).isCloseTo(e, within(1e-12 * e));
    }
    assertThat(r.range().indices()).hasSize(K * D);
    assertThat(r.gammaF().gamma()).as("gamma_F").isCloseTo(1, within(1e-10));
    assertThat(r.gammaC().gamma()).as("gamma_C").isCloseTo(1, within(1e-10));
    assertThat(r.gammaEh2().gamma()).as("gamma_E").isCloseTo(2, within(1e-10));
    assertThat(r.gammaC().r2()).as("R^2").isCloseTo(1, within(1e-12));
    assertThat(r.gammaC().high() - r.gammaC().low()).as("CI width").isLessThan(1e-8);
    assertThat(r.commutator()).as("commutator").isLessThan(1e-14);
    // C ∝ H here, so cos(C, H) = 1; cos(C, E[h²]) = Σ a⁶ / sqrt(Σ a⁴ Σ a⁸) per axis.
    assertThat(r.cosineCH()).as("cos(C,H)").isCloseTo(1, within(1e-12));
    double s4 = 0;
    double s6 = 0;
    double s8 = 0;
    for (double aj : a) {
      s4 += Math.pow(aj, 4);
      s6 += Math.pow(aj, 6);
      s8 += Math.pow(aj, 8);
    }
    assertThat(r.cosineCEh2())
        .as("cos(C,E[h^2])")
        .isCloseTo(s6 / Math.sqrt(s4 * s8), within(1e-12));
    assertThat(r.cosineCEh2Diagonal())
        .as("diagonal cosine")
        .isCloseTo(r.cosineCEh2(), within(1e-12));
  }
}
