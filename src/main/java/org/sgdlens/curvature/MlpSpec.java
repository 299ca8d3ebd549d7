package org.sgdlens.curvature;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.sgdlens.record.Network;
import org.sgdlens.record.RunConfig;

/**
 * The layout of sgdlens's built-in MLP ({@code model.kind mlp}), the only network the curvature
 * engine differentiates twice: Linear layers {@code fc1 .. fcL} of widths {@code hidden...,
 * classes} on flat input rows, an activation after every layer but the last, optional biases. The
 * parameters are flattened exactly as {@link Network#layout()} flattens them, so the engine reads
 * the weight vectors the lake records: for each layer {@code l} in order, {@code fcl.weight} of
 * shape {@code [out, in]} row-major (DJL's Linear: {@code z = a W^T + b}), then {@code fcl.bias} of
 * shape {@code [out]} when biases are on.
 *
 * <p>The loss is the mean over samples of the per-sample loss of the project's {@link
 * Network.Objective}: cross-entropy {@code l_n = logsumexp(z_n) - z_{n,y_n}} (softmax on the
 * logits), or squared error on one-hot targets averaged over the {@code K} outputs {@code l_n =
 * (1/K) sum_k (z_{n,k} - [k = y_n])^2} (torch.nn.MSELoss's normalisation). The training loss of
 * {@code N} samples is {@code L = (1/N) sum_n l_n}.
 */
public final class MlpSpec {
  /** The activation after each hidden layer (the config's {@code model.activation}). */
  public enum Activation {
    RELU("relu"),
    TANH("tanh"),
    SIGMOID("sigmoid");

    private final String configName;

    Activation(String configName) {
      this.configName = configName;
    }

    /** The name in {@code model.activation}. */
    public String configName() {
      return configName;
    }

    /** The activation a config names; an unknown name is an error listing the known ones. */
    public static Activation of(String name) {
      for (Activation a : values()) {
        if (a.configName.equals(name)) {
          return a;
        }
      }
      throw new IllegalArgumentException(
          "Unknown model.activation '"
              + name
              + "'; the curvature engine supports relu, tanh or"
              + " sigmoid");
    }
  }

  /**
   * One parameter of the flat vector: layer {@code layer} (0-based, named {@code fc(layer+1)}), its
   * weight ({@code rows x cols = out x in}) or bias ({@code rows = out, cols = 1}).
   */
  public record Param(String name, int layer, boolean bias, int rows, int cols, int offset) {
    public int size() {
      return rows * cols;
    }

    /** The layer's name, {@code fc1}, {@code fc2}, ... */
    public String layerName() {
      return layerName(layer);
    }

    static String layerName(int layer) {
      return "fc" + (layer + 1);
    }
  }

  private final int features;
  private final int[] widths;
  private final Activation activation;
  private final boolean bias;
  private final Network.Objective loss;
  private final List<Param> params;
  private final int size;

  private MlpSpec(
      int features,
      List<Integer> hidden,
      int classes,
      Activation activation,
      boolean bias,
      Network.Objective loss) {
    if (features <= 0 || classes <= 0) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "An MLP needs positive input features and classes; got features=%d, classes=%d",
              features,
              classes));
    }
    this.features = features;
    this.widths = new int[hidden.size() + 1];
    for (int i = 0; i < hidden.size(); i++) {
      int w = hidden.get(i);
      if (w <= 0) {
        throw new IllegalArgumentException(
            "model.hidden has width " + w + "; every hidden width must be positive");
      }
      widths[i] = w;
    }
    widths[hidden.size()] = classes;
    this.activation = activation;
    this.bias = bias;
    this.loss = loss;
    List<Param> list = new ArrayList<>();
    long offset = 0;
    int in = features;
    for (int l = 0; l < widths.length; l++) {
      int out = widths[l];
      list.add(new Param(Param.layerName(l) + ".weight", l, false, out, in, (int) offset));
      offset += (long) out * in;
      if (bias) {
        list.add(new Param(Param.layerName(l) + ".bias", l, true, out, 1, (int) offset));
        offset += out;
      }
      in = out;
    }
    if (offset > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "The MLP has " + offset + " parameters; the curvature engine handles at most 2^31-1");
    }
    this.params = List.copyOf(list);
    this.size = (int) offset;
  }

  /** An MLP of the given input width, hidden widths (possibly none), classes and loss. */
  public static MlpSpec of(
      int features,
      List<Integer> hidden,
      int classes,
      Activation activation,
      boolean bias,
      Network.Objective loss) {
    return new MlpSpec(features, hidden, classes, activation, bias, loss);
  }

  /**
   * The MLP a run config trains on samples of {@code inputShape} (flattened, as the MLP reads them)
   * with {@code classes} outputs. Any other {@code model.kind} is refused.
   */
  public static MlpSpec of(RunConfig.ModelConfig model, int[] inputShape, int classes) {
    if (!"mlp".equals(model.kind)) {
      throw new IllegalArgumentException(
          "The curvature engine differentiates only the built-in MLP (model.kind mlp: Linear"
              + " layers with relu, tanh or sigmoid, biases optional, cross_entropy or mse);"
              + " model.kind '"
              + model.kind
              + "' is not supported");
    }
    int features = 1;
    for (int d : inputShape) {
      features *= d;
    }
    return new MlpSpec(
        features,
        model.hidden,
        classes,
        Activation.of(model.activation),
        model.bias,
        Network.Objective.of(model.loss));
  }

  /**
   * Checks that a network's flat layout ({@link Network#layout()}) is this MLP's: the same names,
   * offsets and shapes in the same order. A network that is not this MLP is an error naming the
   * first difference.
   */
  public void requireSameLayout(List<Network.ParamInfo> layout) {
    if (layout.size() != params.size()) {
      throw new IllegalArgumentException(
          "The network has "
              + layout.size()
              + " parameters ("
              + layout.stream().map(Network.ParamInfo::name).toList()
              + "); the MLP "
              + this
              + " has "
              + params.size());
    }
    for (int i = 0; i < params.size(); i++) {
      Param p = params.get(i);
      Network.ParamInfo q = layout.get(i);
      long[] shape = p.bias() ? new long[] {p.rows()} : new long[] {p.rows(), p.cols()};
      if (!p.name().equals(q.name())
          || p.offset() != q.offset()
          || !java.util.Arrays.equals(shape, q.shape())) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "Parameter %d of the network is %s%s at offset %d; the MLP %s has %s%s at %d",
                i,
                q.name(),
                java.util.Arrays.toString(q.shape()),
                q.offset(),
                this,
                p.name(),
                java.util.Arrays.toString(shape),
                p.offset()));
      }
    }
  }

  public int features() {
    return features;
  }

  public int classes() {
    return widths[widths.length - 1];
  }

  /** Number of Linear layers (hidden layers + 1). */
  public int layers() {
    return widths.length;
  }

  /** Output width of layer {@code l} (0-based). */
  public int width(int l) {
    return widths[l];
  }

  /** Input width of layer {@code l} (0-based). */
  public int inputWidth(int l) {
    return l == 0 ? features : widths[l - 1];
  }

  public Activation activation() {
    return activation;
  }

  public boolean bias() {
    return bias;
  }

  public Network.Objective loss() {
    return loss;
  }

  /** The parameters in flat order. */
  public List<Param> params() {
    return params;
  }

  /** Total parameter count {@code P}. */
  public int size() {
    return size;
  }

  /**
   * The parameters a selection names, in flat order: a parameter name ({@code fc2.weight}) or a
   * layer name ({@code fc2}, its weight and bias). An empty selection means all parameters. An
   * unknown name is an error listing the known ones.
   */
  public List<Param> select(List<String> names) {
    if (names.isEmpty()) {
      return params;
    }
    boolean[] chosen = new boolean[params.size()];
    for (String name : names) {
      boolean found = false;
      for (int i = 0; i < params.size(); i++) {
        Param p = params.get(i);
        if (p.name().equals(name) || p.layerName().equals(name)) {
          chosen[i] = true;
          found = true;
        }
      }
      if (!found) {
        throw new IllegalArgumentException(
            "Unknown layer or parameter '"
                + name
                + "'; the MLP "
                + this
                + " has "
                + params.stream().map(Param::name).toList()
                + " (a layer name such as fc1 selects its weight and bias)");
      }
    }
    List<Param> out = new ArrayList<>();
    for (int i = 0; i < params.size(); i++) {
      if (chosen[i]) {
        out.add(params.get(i));
      }
    }
    return out;
  }

  /** The {@code mlp:784-256-10,tanh,mse} form of {@code TrainRun.modelSpec}. */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("mlp:").append(features);
    for (int w : widths) {
      s.append('-').append(w);
    }
    if (!bias) {
      s.append(",nobias");
    }
    if (activation != Activation.RELU) {
      s.append(',').append(activation.configName());
    }
    if (loss == Network.Objective.MSE) {
      s.append(",mse");
    }
    return s.toString();
  }
}
