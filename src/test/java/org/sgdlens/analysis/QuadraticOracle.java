package org.sgdlens.analysis;

import java.io.Serializable;
import java.util.concurrent.atomic.AtomicInteger;
import org.sgdlens.kernel.LossOracle;
import org.sgdlens.kernel.LossOracleFactory;

/** L(w) = L0 + ½ Σ_a h_a (w_a − w0_a)², evaluated in doubles: a landscape with a closed form. */
final class QuadraticOracle implements LossOracle {
  /** Oracles opened in this JVM (local mode runs the tasks here): one per task expected. */
  static final AtomicInteger OPENED = new AtomicInteger();

  private final float[] origin;
  private final double[] curvature;
  private final double l0;

  QuadraticOracle(float[] origin, double[] curvature, double l0) {
    this.origin = origin;
    this.curvature = curvature;
    this.l0 = l0;
  }

  static LossOracleFactory factory(float[] origin, double[] curvature, double l0) {
    return (LossOracleFactory & Serializable)
        () -> {
          OPENED.incrementAndGet();
          return new QuadraticOracle(origin, curvature, l0);
        };
  }

  /** Curvature of the profile along a unit direction: pᵀ H p. */
  static double curvatureAlong(double[] curvature, float[] direction) {
    double norm = 0;
    double h = 0;
    for (int a = 0; a < direction.length; a++) {
      norm += (double) direction[a] * direction[a];
      h += curvature[a] * direction[a] * direction[a];
    }
    return h / norm;
  }

  @Override
  public float[] origin() {
    return origin.clone();
  }

  @Override
  public double loss(float[] w) {
    double sum = l0;
    for (int a = 0; a < w.length; a++) {
      double d = (double) w[a] - origin[a];
      sum += 0.5 * curvature[a] * d * d;
    }
    return sum;
  }
}
