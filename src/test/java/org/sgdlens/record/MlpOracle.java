package org.sgdlens.record;

/**
 * Hand-derived forward and backward pass, in doubles, of a one-hidden-layer ReLU MLP with biases
 * laid out as DJL's Linear blocks are (fc1.weight [H,F], fc1.bias [H], fc2.weight [C,H], fc2.bias
 * [C]). An oracle independent of DJL and PyTorch.
 */
final class MlpOracle {
  final int f;
  final int h;
  final int c;

  MlpOracle(int features, int hidden, int classes) {
    this.f = features;
    this.h = hidden;
    this.c = classes;
  }

  int size() {
    return h * f + h + c * h + c;
  }

  /** Loss l(w; x, y) = logsumexp(z) - z_y. */
  double loss(double[] w, float[] x, int row, int y) {
    return forward(w, x, row, y, null, 0);
  }

  /** Adds scale * grad l(w; x_row, y) to grad; returns the loss. */
  double forward(double[] w, float[] x, int row, int y, double[] grad, double scale) {
    int w1 = 0;
    int b1 = h * f;
    int w2 = b1 + h;
    int b2 = w2 + c * h;
    double[] pre = new double[h];
    double[] act = new double[h];
    for (int j = 0; j < h; j++) {
      double s = w[b1 + j];
      for (int k = 0; k < f; k++) {
        s += w[w1 + j * f + k] * x[row * f + k];
      }
      pre[j] = s;
      act[j] = Math.max(0, s);
    }
    double[] z = new double[c];
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < c; i++) {
      double s = w[b2 + i];
      for (int j = 0; j < h; j++) {
        s += w[w2 + i * h + j] * act[j];
      }
      z[i] = s;
      max = Math.max(max, s);
    }
    double sum = 0;
    for (int i = 0; i < c; i++) {
      sum += Math.exp(z[i] - max);
    }
    double lse = max + Math.log(sum);
    if (grad != null) {
      double[] dz = new double[c];
      for (int i = 0; i < c; i++) {
        dz[i] = Math.exp(z[i] - lse) - (i == y ? 1 : 0);
      }
      double[] dact = new double[h];
      for (int i = 0; i < c; i++) {
        grad[b2 + i] += scale * dz[i];
        for (int j = 0; j < h; j++) {
          grad[w2 + i * h + j] += scale * dz[i] * act[j];
          dact[j] += dz[i] * w[w2 + i * h + j];
        }
      }
      for (int j = 0; j < h; j++) {
        double dpre = pre[j] > 0 ? dact[j] : 0;
        grad[b1 + j] += scale * dpre;
        for (int k = 0; k < f; k++) {
          grad[w1 + j * f + k] += scale * dpre * x[row * f + k];
        }
      }
    }
    return lse - z[y];
  }

  static double[] toDouble(float[] v) {
    double[] d = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      d[i] = v[i];
    }
    return d;
  }
}
