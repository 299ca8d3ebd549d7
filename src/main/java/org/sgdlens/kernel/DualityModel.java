package org.sgdlens.kernel;

/**
 * A trained network seen through one dense layer, what the duality job needs of it (docs/
 * generalization.md, "Duality"). An implementation holds the model at its final weights, its
 * training rows (with the labels it was trained on) and its test rows; each Spark task opens one
 * from a {@link DualityModelFactory}. The layer is {@code z = W a + b}, {@code W} of {@link
 * #outputs()} x {@link #inputs()} row-major.
 */
public interface DualityModel extends AutoCloseable {
  /** Which rows. */
  enum Split {
    TRAIN,
    TEST
  }

  /** Where samples are paired: the network's input, or the layer's input activity. */
  enum Space {
    INPUT,
    ACTIVITY;

    /** The option value: {@code input} or {@code activity}. */
    public String optionName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The space an option value names; anything else is an error listing both. */
    public static Space of(String name) {
      for (Space s : values()) {
        if (s.optionName().equals(name)) {
          return s;
        }
      }
      throw new IllegalArgumentException(
          "--pairing '" + name + "' is not a pairing space; give input or activity");
    }
  }

  int size(Split split);

  /** The labels of a split's rows (for the training rows, the given labels the loss uses). */
  int[] labels(Split split);

  /** Rows of {@code W}, the layer's output width. */
  int outputs();

  /** Columns of {@code W}, the layer's input width. */
  int inputs();

  /** {@code W} at the final weights, row-major. */
  double[] layerWeights();

  /**
   * The features of these rows of a split in a space (network inputs, or layer-input activities).
   */
  double[][] features(Split split, int[] rows, Space space);

  /**
   * The loss of the network on one sample whose layer input is {@code activity}, with the layer's
   * weights replaced by {@code weights} (its bias and every other layer unchanged).
   */
  double lossFromLayer(double[] activity, double[] weights, int label);

  /** Per-sample gradients of the loss of these training rows with respect to {@code W}. */
  double[][] trainGradients(int[] rows);

  /** {@code H v_j} for the layer's Hessian block {@code H} of the mean training loss. */
  double[][] hessianTimes(double[][] vectors);

  /** The k largest eigenpairs of that block, by Lanczos: values descending, unit vectors. */
  Eigenpairs leadingEigenpairs(int k, long seed);

  /** Eigenvalues (descending) and their unit eigenvectors. */
  record Eigenpairs(double[] values, double[][] vectors) {}

  @Override
  void close();
}
