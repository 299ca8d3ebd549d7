package org.sgdlens.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.QRDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.junit.jupiter.api.Test;

class SnapshotPcaTest {

  @Test
  void blockwiseGramMatchesBruteForceCovarianceEigen() {
    SplittableRandom random = new SplittableRandom(7);
    int t = 12;
    int p = 5000;
    float[][] x = new float[t][p];
    // Rank-limited signal plus a small isotropic part, offset far from 0 like real weights.
    double[][] basis = new double[4][p];
    for (double[] b : basis) {
      for (int k = 0; k < p; k++) {
        b[k] = random.nextGaussian();
      }
    }
    for (int s = 0; s < t; s++) {
      for (int k = 0; k < p; k++) {
        double v = 0.5;
        for (int c = 0; c < basis.length; c++) {
          v += basis[c][k] * random.nextGaussian() * Math.pow(0.4, c);
        }
        x[s][k] = (float) (v + 0.01 * random.nextGaussian());
      }
    }
    // Brute force in doubles: covariance of the Gram's dual is too big (P=5000), so compare
    // against the centred Gram computed directly and eigen-decomposed with commons-math3.
    double[][] centred = new double[t][p];
    for (int k = 0; k < p; k++) {
      double m = 0;
      for (int s = 0; s < t; s++) {
        m += x[s][k];
      }
      m /= t;
      for (int s = 0; s < t; s++) {
        centred[s][k] = x[s][k] - m;
      }
    }
    RealMatrix xc = new Array2DRowRealMatrix(centred, false);
    RealMatrix gramOracle = xc.multiply(xc.transpose());

    double[] gram = new double[t * t];
    int[] cuts = {0, 1000, 3100, 3101, 5000};
    for (int b = 0; b + 1 < cuts.length; b++) {
      SnapshotPca.addCenteredGram(slice(x, cuts[b], cuts[b + 1]), gram);
    }
    for (int i = 0; i < t; i++) {
      for (int j = 0; j < t; j++) {
        assertThat(gram[i * t + j])
            .as("Gram(%d,%d) accumulated over blocks", i, j)
            .isCloseTo(gramOracle.getEntry(i, j), within(1e-9 * gramOracle.getEntry(0, 0)));
      }
    }

    SnapshotPca.Spectrum spectrum = SnapshotPca.spectrum(gram, t, p);
    assertThat(spectrum.rank()).as("rank of a centred window").isEqualTo(t - 1);
    double[] oracleValues = new EigenDecomposition(gramOracle).getRealEigenvalues().clone();
    Arrays.sort(oracleValues);
    for (int i = 0; i < spectrum.rank(); i++) {
      double expected = oracleValues[t - 1 - i] / (t - 1);
      assertThat(spectrum.variances()[i])
          .as("variance %d", i)
          .isCloseTo(expected, within(1e-9 * oracleValues[t - 1]));
    }
    assertThat(spectrum.totalVariance())
        .as("total variance = trace / (T-1)")
        .isCloseTo(gramOracle.getTrace() / (t - 1), within(1e-9 * gramOracle.getTrace()));

    // Directions: unit, orthogonal, and eigenvectors of the covariance: C p = σ² p.
    int k = 4;
    double[] coefficients = SnapshotPca.directionCoefficients(spectrum, k);
    float[][] directions = new float[k][p];
    for (int b = 0; b + 1 < cuts.length; b++) {
      float[][] part =
          SnapshotPca.recoverDirections(slice(x, cuts[b], cuts[b + 1]), coefficients, k);
      for (int i = 0; i < k; i++) {
        System.arraycopy(part[i], 0, directions[i], cuts[b], part[i].length);
      }
    }
    for (int i = 0; i < k; i++) {
      double[] pi = toDouble(directions[i]);
      assertThat(dot(pi, pi)).as("|p_%d|²", i).isCloseTo(1.0, within(1e-5));
      for (int j = 0; j < i; j++) {
        assertThat(dot(pi, toDouble(directions[j])))
            .as("p_%d·p_%d", i, j)
            .isCloseTo(0, within(1e-5));
      }
      // C p = Xcᵀ Xc p / (T-1)
      double[] cp = xc.transpose().operate(xc.operate(pi));
      double[] expected = pi.clone();
      for (int q = 0; q < p; q++) {
        cp[q] /= (t - 1);
        expected[q] *= spectrum.variances()[i];
      }
      assertThat(distance(cp, expected) / spectrum.variances()[i])
          .as("‖C p_%d − σ²_%d p_%d‖ / σ²", i, i, i)
          .isLessThan(1e-4);
    }
  }

  @Test
  void ornsteinUhlenbeckInAQuadraticBowlGivesItsStationaryVariancesAndHessianDirections() {
    // w ← w − η H w + η ξ, ξ ~ N(0, D·I), H = Q diag(h) Qᵀ: in H's eigenbasis each coordinate is
    // AR(1) with φ = 1 − η h and stationary variance η² D / (1 − φ²) = η D / (h (2 − η h)).
    double eta = 1.0;
    double noise = 1.0;
    double[] h = {0.01, 0.03, 0.1, 0.3, 1.0};
    int stride = 100;
    int t = 1000;
    Ou ou = Ou.simulate(h, eta, noise, stride, t, new SplittableRandom(11));

    double[] gram = new double[t * t];
    SnapshotPca.addCenteredGram(ou.snapshots, gram);
    SnapshotPca.Spectrum spectrum = SnapshotPca.spectrum(gram, t, h.length);
    float[][] directions =
        SnapshotPca.recoverDirections(
            ou.snapshots, SnapshotPca.directionCoefficients(spectrum, h.length), h.length);
    ou.assertRecovered(spectrum.variances(), directions, t, stride);
  }

  /** A simulated OU trajectory and its known answer; shared with the Spark tests. */
  static final class Ou {
    final double[] h;
    final double[] variances;
    final double[][] q;
    final double eta;
    final float[][] snapshots;

    private Ou(double[] h, double eta, double noise, double[][] q, float[][] snapshots) {
      this.h = h;
      this.eta = eta;
      this.q = q;
      this.snapshots = snapshots;
      this.variances = new double[h.length];
      for (int k = 0; k < h.length; k++) {
        variances[k] = eta * noise / (h[k] * (2 - eta * h[k]));
      }
    }

    /** Snapshots every {@code stride} steps after a burn-in of 20 relaxation times. */
    static Ou simulate(
        double[] h, double eta, double noise, int stride, int snapshots, SplittableRandom random) {
      int p = h.length;
      double[][] q = randomOrthogonal(p, random);
      double[] z = new double[p];
      double sd = eta * Math.sqrt(noise);
      int burnIn = (int) (20 / (eta * Arrays.stream(h).min().orElseThrow()));
      float[][] out = new float[snapshots][p];
      for (int step = 0, s = 0; s < snapshots; step++) {
        for (int k = 0; k < p; k++) {
          z[k] = (1 - eta * h[k]) * z[k] + sd * random.nextGaussian();
        }
        if (step >= burnIn && (step - burnIn) % stride == 0) {
          for (int a = 0; a < p; a++) {
            double w = 0.25; // a common offset: centring must remove it
            for (int k = 0; k < p; k++) {
              w += q[a][k] * z[k];
            }
            out[s][a] = (float) w;
          }
          s++;
        }
      }
      return new Ou(h, eta, noise, q, out);
    }

    /** Known direction of component k (eigenvector of H with the k-th smallest h). */
    double[] direction(int k) {
      double[] d = new double[q.length];
      for (int a = 0; a < q.length; a++) {
        d[a] = q[a][k];
      }
      return d;
    }

    /** Relative standard error of a sample variance of T snapshots of an AR(1) with this φ. */
    double varianceRelativeError(int k, int t, int stride) {
      double phi = Math.pow(1 - eta * h[k], stride);
      return Math.sqrt(2.0 / t * (1 + phi * phi) / (1 - phi * phi));
    }

    void assertRecovered(double[] measured, float[][] directions, int t, int stride) {
      // h is ascending, so the known variances are descending in the same order.
      for (int k = 0; k < h.length; k++) {
        double tolerance = 4 * varianceRelativeError(k, t, stride);
        assertThat(measured[k] / variances[k])
            .as(
                "variance %d / stationary OU variance %.4f (4 standard errors = %.3f)",
                k, variances[k], tolerance)
            .isCloseTo(1.0, within(tolerance));
      }
      for (int k = 0; k < h.length; k++) {
        // Perturbation theory: the angle to the true eigenvector is about the relative error
        // times sqrt(λ_k λ_j)/|λ_k − λ_j| for the nearest neighbour j; allow 4 times that.
        double worst = 0;
        for (int j = 0; j < h.length; j++) {
          if (j != k) {
            worst =
                Math.max(
                    worst,
                    Math.sqrt(variances[k] * variances[j]) / Math.abs(variances[k] - variances[j]));
          }
        }
        double angle = Math.min(Math.PI / 2, 4 * worst * varianceRelativeError(k, t, stride));
        double cos = Math.abs(cosine(toDouble(directions[k]), direction(k)));
        assertThat(cos)
            .as(
                "|cos| between direction %d and the Hessian eigenvector (bound cos %.4f)",
                k, Math.cos(angle))
            .isGreaterThan(Math.cos(angle));
      }
    }
  }

  static double[][] randomOrthogonal(int p, SplittableRandom random) {
    double[][] g = new double[p][p];
    for (double[] row : g) {
      for (int k = 0; k < p; k++) {
        row[k] = random.nextGaussian();
      }
    }
    return new QRDecomposition(new Array2DRowRealMatrix(g, false)).getQ().getData();
  }

  static float[][] slice(float[][] x, int from, int to) {
    float[][] out = new float[x.length][];
    for (int s = 0; s < x.length; s++) {
      out[s] = Arrays.copyOfRange(x[s], from, to);
    }
    return out;
  }

  static double[] toDouble(float[] v) {
    double[] d = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      d[i] = v[i];
    }
    return d;
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  static double cosine(double[] a, double[] b) {
    return dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
  }

  static double distance(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (a[i] - b[i]) * (a[i] - b[i]);
    }
    return Math.sqrt(s);
  }
}
