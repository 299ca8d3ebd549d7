package org.sgdlens.curvature;

import java.util.SplittableRandom;
import org.sgdlens.record.Network;

/**
 * The mean loss of an {@link MlpSpec} network written as plain loops in doubles, from the layout
 * alone: an oracle independent of DJL and of the engine's tensor code.
 */
final class MlpLossOracle {
  private MlpLossOracle() {}

  static double loss(MlpSpec spec, double[] w, Samples data) {
    double sum = 0;
    for (int row : data.rows()) {
      sum += sampleLoss(spec, w, data.x(), row, data.labels()[row]);
    }
    return sum / data.count();
  }

  static double sampleLoss(MlpSpec spec, double[] w, float[] x, int row, int label) {
    int f = spec.features();
    double[] a = new double[f];
    for (int j = 0; j < f; j++) {
      a[j] = x[row * f + j];
    }
    for (int l = 0; l < spec.layers(); l++) {
      int in = spec.inputWidth(l);
      int out = spec.width(l);
      MlpSpec.Param weight = null;
      MlpSpec.Param bias = null;
      for (MlpSpec.Param p : spec.params()) {
        if (p.layer() == l && p.bias()) {
          bias = p;
        } else if (p.layer() == l) {
          weight = p;
        }
      }
      double[] z = new double[out];
      for (int o = 0; o < out; o++) {
        double s = bias == null ? 0 : w[bias.offset() + o];
        for (int i = 0; i < in; i++) {
          s += w[weight.offset() + o * in + i] * a[i];
        }
        z[o] = l == spec.layers() - 1 ? s : activate(spec.activation(), s);
      }
      a = z;
    }
    int k = a.length;
    if (spec.loss() == Network.Objective.CROSS_ENTROPY) {
      double max = Double.NEGATIVE_INFINITY;
      for (double v : a) {
        max = Math.max(max, v);
      }
      double e = 0;
      for (double v : a) {
        e += Math.exp(v - max);
      }
      return max + Math.log(e) - a[label];
    }
    double s = 0;
    for (int o = 0; o < k; o++) {
      double d = a[o] - (o == label ? 1 : 0);
      s += d * d;
    }
    return s / k;
  }

  private static double activate(MlpSpec.Activation activation, double z) {
    return switch (activation) {
      case RELU -> Math.max(0, z);
      case TANH -> Math.tanh(z);
      case SIGMOID -> 1 / (1 + Math.exp(-z));
    };
  }

  /** Central finite-difference gradient of the oracle loss. */
  static double[] finiteDifferenceGradient(MlpSpec spec, double[] w, Samples data, double h) {
    double[] g = new double[w.length];
    double[] probe = w.clone();
    for (int i = 0; i < w.length; i++) {
      probe[i] = w[i] + h;
      double up = loss(spec, probe, data);
      probe[i] = w[i] - h;
      double down = loss(spec, probe, data);
      probe[i] = w[i];
      g[i] = (up - down) / (2 * h);
    }
    return g;
  }

  static double[] randomWeights(MlpSpec spec, long seed, double scale) {
    SplittableRandom random = new SplittableRandom(seed);
    double[] w = new double[spec.size()];
    for (int i = 0; i < w.length; i++) {
      w[i] = (random.nextDouble() * 2 - 1) * scale;
    }
    return w;
  }

  static Samples randomSamples(int n, int features, int classes, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] x = new float[n * features];
    int[] labels = new int[n];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextGaussian();
    }
    for (int i = 0; i < n; i++) {
      labels[i] = random.nextInt(classes);
    }
    return Samples.all(x, labels);
  }

  static double[] randomVector(int n, SplittableRandom random) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = random.nextGaussian();
    }
    return v;
  }

  static double relativeError(double[] actual, double[] expected) {
    double diff = 0;
    double norm = 0;
    for (int i = 0; i < actual.length; i++) {
      diff += (actual[i] - expected[i]) * (actual[i] - expected[i]);
      norm += expected[i] * expected[i];
    }
    return Math.sqrt(diff / norm);
  }
}
