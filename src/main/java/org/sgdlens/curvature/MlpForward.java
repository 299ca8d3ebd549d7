package org.sgdlens.curvature;

import org.sgdlens.record.Network;

/**
 * The built-in MLP's forward pass in plain Java doubles ({@link MlpSpec}: {@code a_0 = x, z_l = W_l
 * a_{l-1} + b_l, a_l = σ(z_l)}, no σ on the last layer), entered at any layer: the activities a
 * layer reads and the per-sample loss from a layer's input on, with that layer's weights replaced.
 * The duality job needs exactly these (docs/generalization.md, "Duality"); a sample at a time, so a
 * Spark task pays nothing for DJL tensors it would not batch.
 */
public final class MlpForward {
  private final MlpSpec spec;
  private final double[] weights;

  public MlpForward(MlpSpec spec, double[] weights) {
    if (weights.length != spec.size()) {
      throw new IllegalArgumentException(
          "The MLP " + spec + " has " + spec.size() + " parameters, got " + weights.length);
    }
    this.spec = spec;
    this.weights = weights.clone();
  }

  /** The weights of layer {@code l} (0-based), row-major out x in. */
  public double[] layerWeights(int l) {
    MlpSpec.Param p = param(l, false);
    double[] w = new double[p.size()];
    System.arraycopy(weights, p.offset(), w, 0, w.length);
    return w;
  }

  /** The input activity {@code a_{l}} of layer {@code l} (0-based) for one feature row. */
  public double[] activity(float[] x, int row, int l) {
    int features = spec.features();
    double[] a = new double[features];
    for (int i = 0; i < features; i++) {
      a[i] = x[row * features + i];
    }
    for (int j = 0; j < l; j++) {
      a = activate(affine(j, a, null));
    }
    return a;
  }

  /** The network input of one feature row, as doubles. */
  public double[] input(float[] x, int row) {
    return activity(x, row, 0);
  }

  /**
   * The loss of one sample whose input to layer {@code l} is {@code activity}, with that layer's
   * weights {@code layerWeights} (null: the model's own).
   */
  public double lossFrom(int l, double[] activity, double[] layerWeights, int label) {
    double[] a = activity;
    int layers = spec.layers();
    for (int j = l; j < layers; j++) {
      double[] z = affine(j, a, j == l ? layerWeights : null);
      a = j == layers - 1 ? z : activate(z);
    }
    return loss(a, label);
  }

  private double[] affine(int l, double[] a, double[] replacement) {
    MlpSpec.Param w = param(l, false);
    if (a.length != w.cols()) {
      throw new IllegalArgumentException(
          "Layer fc" + (l + 1) + " reads " + w.cols() + " values, got " + a.length);
    }
    double[] z = new double[w.rows()];
    for (int r = 0; r < w.rows(); r++) {
      double s = 0;
      int base = r * w.cols();
      for (int c = 0; c < w.cols(); c++) {
        double wv = replacement != null ? replacement[base + c] : weights[w.offset() + base + c];
        s += wv * a[c];
      }
      z[r] = s;
    }
    if (spec.bias()) {
      MlpSpec.Param b = param(l, true);
      for (int r = 0; r < z.length; r++) {
        z[r] += weights[b.offset() + r];
      }
    }
    return z;
  }

  private double[] activate(double[] z) {
    double[] a = new double[z.length];
    for (int i = 0; i < z.length; i++) {
      a[i] =
          switch (spec.activation()) {
            case RELU -> Math.max(0, z[i]);
            case TANH -> Math.tanh(z[i]);
            case SIGMOID -> 1 / (1 + Math.exp(-z[i]));
          };
    }
    return a;
  }

  private double loss(double[] logits, int label) {
    if (spec.loss() == Network.Objective.CROSS_ENTROPY) {
      double max = Double.NEGATIVE_INFINITY;
      for (double v : logits) {
        max = Math.max(max, v);
      }
      double s = 0;
      for (double v : logits) {
        s += Math.exp(v - max);
      }
      return max + Math.log(s) - logits[label];
    }
    double s = 0;
    for (int k = 0; k < logits.length; k++) {
      double d = logits[k] - (k == label ? 1 : 0);
      s += d * d;
    }
    return s / logits.length;
  }

  private MlpSpec.Param param(int l, boolean bias) {
    for (MlpSpec.Param p : spec.params()) {
      if (p.layer() == l && p.bias() == bias) {
        return p;
      }
    }
    throw new IllegalArgumentException("The MLP " + spec + " has no layer fc" + (l + 1));
  }
}
