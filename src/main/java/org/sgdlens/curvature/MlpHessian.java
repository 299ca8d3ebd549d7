package org.sgdlens.curvature;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.List;
import java.util.Locale;
import org.sgdlens.record.Network;

/**
 * Exact gradients and Hessian-vector products of the mean training loss {@code L(w) = (1/N) sum_n
 * l_n(w)} of the built-in MLP ({@link MlpSpec}) over {@link Samples}, on DJL's PyTorch engine in
 * float64 (or float32).
 *
 * <p>How: the MLP's first-order gradient is written out as explicit tensor ops (manual
 * backpropagation) on copies of the parameters; one ordinary backward pass of {@code sum_j <g(θ_j),
 * v_j>}, with {@code θ_j} the {@code j}-th of {@code k} identical copies of the weights stacked
 * along a leading dimension (batched matmul), leaves {@code H v_j} in the gradient of {@code θ_j}.
 * This avoids PyTorch's double-backward ({@code createGraph=true}), which leaks about 4.6 MB per
 * product under DJL (docs/curvature.md). Rows are processed in chunks, each chunk's tensors in a
 * sub-manager closed before the next, and each call's in a sub-manager closed before it returns, so
 * nothing stays attached to the engine's manager between calls.
 *
 * <p>A selection of parameters ({@link MlpSpec#select}: names such as {@code fc2} or {@code
 * fc1.weight}; empty for all) restricts every result to those parameters, concatenated in flat
 * order: the gradient block {@code g_S}, the Hessian block {@code H_SS v}. One instance per thread.
 */
public final class MlpHessian implements AutoCloseable {
  /** Rows per chunk of a mean-loss pass unless set. */
  public static final int CHUNK_ROWS_DEFAULT = 512;

  /**
   * Bound on {@code lanes x selected parameters} per chunk of a per-sample pass (each sample there
   * has its own copy of the selected parameters): 4M values, 32 MB in float64.
   */
  public static final long PER_SAMPLE_VALUES_DEFAULT = 1L << 22;

  private final MlpSpec spec;
  private final DataType precision;
  private final int chunkRows;
  private final long perSampleValues;
  private final NDManager manager;

  private MlpHessian(Builder b) {
    this.spec = b.spec;
    this.precision = b.precision;
    this.chunkRows = b.chunkRows;
    this.perSampleValues = b.perSampleValues;
    this.manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
  }

  public static Builder builder() {
    return new Builder();
  }

  /** DJL-style builder: {@code setSpec} is required, the rest optional. */
  public static final class Builder {
    private MlpSpec spec;
    private DataType precision = DataType.FLOAT64;
    private int chunkRows = CHUNK_ROWS_DEFAULT;
    private long perSampleValues = PER_SAMPLE_VALUES_DEFAULT;

    private Builder() {}

    public Builder setSpec(MlpSpec spec) {
      this.spec = spec;
      return this;
    }

    /** FLOAT64 (default) or FLOAT32: the dtype of every tensor of the computation. */
    public Builder optPrecision(DataType precision) {
      if (precision != DataType.FLOAT64 && precision != DataType.FLOAT32) {
        throw new IllegalArgumentException(
            "Precision " + precision + " is not supported; use FLOAT64 or FLOAT32");
      }
      this.precision = precision;
      return this;
    }

    /** Rows per chunk of a mean-loss pass (memory grows with rows x k x widest layer). */
    public Builder optChunkRows(int rows) {
      if (rows <= 0) {
        throw new IllegalArgumentException("chunk rows is " + rows + "; give a positive count");
      }
      this.chunkRows = rows;
      return this;
    }

    /** Bound on samples x selected parameters held at once by the per-sample passes. */
    public Builder optPerSampleValues(long values) {
      if (values <= 0) {
        throw new IllegalArgumentException(
            "per-sample values is " + values + "; give a positive count");
      }
      this.perSampleValues = values;
      return this;
    }

    public MlpHessian build() {
      if (spec == null) {
        throw new IllegalArgumentException("MlpHessian needs setSpec(MlpSpec)");
      }
      return new MlpHessian(this);
    }
  }

  public MlpSpec spec() {
    return spec;
  }

  /** The engine's manager; every call's tensors live in sub-managers closed before it returns. */
  public NDManager manager() {
    return manager;
  }

  /** Number of parameters a selection covers (the length of its vectors). */
  public int selectionSize(List<String> layers) {
    return spec.select(layers).stream().mapToInt(MlpSpec.Param::size).sum();
  }

  /** The lake's float32 weights widened to the double vector every method takes. */
  public static double[] widen(float[] weights) {
    double[] w = new double[weights.length];
    for (int i = 0; i < w.length; i++) {
      w[i] = weights[i];
    }
    return w;
  }

  /** The mean loss {@code L(w) = (1/N) sum_n l_n(w)} over the samples. */
  public double loss(double[] weights, Samples data) {
    checkWeights(weights);
    data.check(spec.features(), spec.classes());
    boolean mode = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    double sum = 0;
    try (NDManager call = manager.newSubManager()) {
      for (int from = 0; from < data.count(); from += chunkRows) {
        int count = Math.min(chunkRows, data.count() - from);
        try (NDManager scope = call.newSubManager()) {
          Chunk c = chunk(scope, data, from, count, false);
          Tensors t = parameters(scope, weights, new boolean[spec.params().size()], 1);
          NDArray out = forward(c.x, t, null);
          sum += lossSum(out, c.target).toType(DataType.FLOAT64, false).getDouble();
        }
      }
    } finally {
      JniUtils.setGradMode(mode);
    }
    return sum / data.count();
  }

  /** The gradient {@code (∇L)_S} of the mean loss, restricted to the selected parameters. */
  public double[] gradient(double[] weights, Samples data, List<String> layers) {
    checkWeights(weights);
    data.check(spec.features(), spec.classes());
    boolean[] selected = selection(layers);
    int size = selectionSize(layers);
    double[] g = new double[size];
    boolean mode = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try (NDManager call = manager.newSubManager()) {
      for (int from = 0; from < data.count(); from += chunkRows) {
        int count = Math.min(chunkRows, data.count() - from);
        try (NDManager scope = call.newSubManager()) {
          Chunk c = chunk(scope, data, from, count, false);
          Tensors t = parameters(scope, weights, new boolean[selected.length], 1);
          NDArray[] grads = backprop(c, t, selected, 1.0 / data.count());
          addSelected(grads, selected, g);
        }
      }
    } finally {
      JniUtils.setGradMode(mode);
    }
    return g;
  }

  /**
   * Hessian-vector products {@code H_SS v_j} of the mean loss for each {@code v_j} (length {@link
   * #selectionSize}), all {@code k} from one backward pass per chunk of rows.
   */
  public double[][] hvp(double[] weights, Samples data, List<String> layers, double[][] vectors) {
    checkWeights(weights);
    data.check(spec.features(), spec.classes());
    boolean[] selected = selection(layers);
    int size = selectionSize(layers);
    checkVectors(vectors, size, layers);
    int k = vectors.length;
    double[][] out = new double[k][size];
    if (k == 0) {
      return out;
    }
    boolean mode = JniUtils.isGradMode();
    JniUtils.setGradMode(true);
    try (NDManager call = manager.newSubManager()) {
      for (int from = 0; from < data.count(); from += chunkRows) {
        int count = Math.min(chunkRows, data.count() - from);
        try (NDManager scope = call.newSubManager()) {
          Chunk c = chunk(scope, data, from, count, false);
          Tensors t = parameters(scope, weights, selected, k);
          NDArray[] grads = backprop(c, t, selected, 1.0 / data.count());
          NDArray[] directions = directions(scope, selected, vectors);
          backwardOfDot(scope, grads, directions);
          addLeafGradients(t, selected, out);
        }
      }
    } finally {
      JniUtils.setGradMode(mode);
    }
    return out;
  }

  /**
   * Per-sample gradients {@code (∇l_n)_S} (not divided by N; their mean over the rows is {@link
   * #gradient}), one row per sample in the order of {@code data.rows()}: an {@code N x P_S} matrix.
   */
  public double[][] perSampleGradients(double[] weights, Samples data, List<String> layers) {
    checkWeights(weights);
    data.check(spec.features(), spec.classes());
    boolean[] selected = selection(layers);
    int size = selectionSize(layers);
    double[][] out = new double[data.count()][size];
    int lanes = perSampleLanes(size);
    boolean mode = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try (NDManager call = manager.newSubManager()) {
      for (int from = 0; from < data.count(); from += lanes) {
        int count = Math.min(lanes, data.count() - from);
        try (NDManager scope = call.newSubManager()) {
          Chunk c = chunk(scope, data, from, count, true);
          Tensors t = parameters(scope, weights, new boolean[selected.length], 1);
          NDArray[] grads = backprop(c, t, selected, 1.0);
          double[][] rows = new double[count][size];
          int column = 0;
          for (int i = 0; i < grads.length; i++) {
            if (!selected[i]) {
              continue;
            }
            double[] values = doubles(grads[i]);
            int per = spec.params().get(i).size();
            for (int n = 0; n < count; n++) {
              System.arraycopy(values, n * per, rows[n], column, per);
            }
            column += per;
          }
          System.arraycopy(rows, 0, out, from, count);
        }
      }
    } finally {
      JniUtils.setGradMode(mode);
    }
    return out;
  }

  /**
   * Per-sample Hessian-vector products {@code (∇²l_n)_SS v}, one row per sample in the order of
   * {@code data.rows()} (their mean over the rows is {@link #hvp} of {@code v}). Each sample of a
   * chunk has its own copy of the selected parameters, so one backward pass gives them all.
   */
  public double[][] perSampleHvp(double[] weights, Samples data, List<String> layers, double[] v) {
    checkWeights(weights);
    data.check(spec.features(), spec.classes());
    boolean[] selected = selection(layers);
    int size = selectionSize(layers);
    checkVectors(new double[][] {v}, size, layers);
    double[][] out = new double[data.count()][size];
    int lanes = perSampleLanes(size);
    boolean mode = JniUtils.isGradMode();
    JniUtils.setGradMode(true);
    try (NDManager call = manager.newSubManager()) {
      for (int from = 0; from < data.count(); from += lanes) {
        int count = Math.min(lanes, data.count() - from);
        try (NDManager scope = call.newSubManager()) {
          Chunk c = chunk(scope, data, from, count, true);
          Tensors t = parameters(scope, weights, selected, count);
          NDArray[] grads = backprop(c, t, selected, 1.0);
          NDArray[] directions = directions(scope, selected, new double[][] {v});
          backwardOfDot(scope, grads, directions);
          double[][] rows = new double[count][size];
          addLeafGradients(t, selected, rows);
          System.arraycopy(rows, 0, out, from, count);
        }
      }
    } finally {
      JniUtils.setGradMode(mode);
    }
    return out;
  }

  /**
   * The Hessian block of the selected parameters at {@code weights} over {@code data}, as an
   * operator for {@link Lanczos}, {@link Hutchinson}, {@link SpectralDensity} and {@link
   * DenseHessian}; {@code batch} vectors per backward pass.
   */
  public HessianOperator operator(double[] weights, Samples data, List<String> layers, int batch) {
    checkWeights(weights);
    data.check(spec.features(), spec.classes());
    int size = selectionSize(layers);
    if (batch <= 0) {
      throw new IllegalArgumentException("batch is " + batch + "; give a positive count");
    }
    double[] w = weights.clone();
    List<String> names = List.copyOf(layers);
    return new HessianOperator() {
      @Override
      public int dimension() {
        return size;
      }

      @Override
      public double[][] apply(double[][] vectors) {
        return hvp(w, data, names, vectors);
      }

      @Override
      public int preferredBatch() {
        return batch;
      }
    };
  }

  @Override
  public void close() {
    manager.close();
  }

  // ---- the computation ----

  /** One chunk of rows: inputs {@code (A, R, F)} and one-hot targets {@code (A, R, K)}. */
  private record Chunk(NDArray x, NDArray target) {}

  /** Per layer: weight {@code (lanes, out, in)}, bias {@code (lanes, 1, out)} or null. */
  private record Tensors(NDArray[] weight, NDArray[] bias, NDArray[] leaves) {}

  /**
   * Rows {@code [from, from + count)} of the samples; {@code perSample} puts each row in its own
   * lane ({@code (count, 1, F)}), otherwise all in one ({@code (1, count, F)}).
   */
  private Chunk chunk(NDManager scope, Samples data, int from, int count, boolean perSample) {
    int f = spec.features();
    int classes = spec.classes();
    double[] x = new double[count * f];
    double[] target = new double[count * classes];
    for (int i = 0; i < count; i++) {
      int row = data.rows()[from + i];
      for (int j = 0; j < f; j++) {
        x[i * f + j] = data.x()[row * f + j];
      }
      target[i * classes + data.labels()[row]] = 1;
    }
    Shape xs = perSample ? new Shape(count, 1, f) : new Shape(1, count, f);
    Shape ts = perSample ? new Shape(count, 1, classes) : new Shape(1, count, classes);
    return new Chunk(create(scope, x, xs), create(scope, target, ts));
  }

  /**
   * The parameter tensors: a selected parameter ({@code leaf[i]}) as {@code lanes} stacked copies
   * that require gradients, any other as one copy broadcast over the lanes.
   */
  private Tensors parameters(NDManager scope, double[] weights, boolean[] leaf, int lanes) {
    int layers = spec.layers();
    NDArray[] weight = new NDArray[layers];
    NDArray[] bias = new NDArray[layers];
    NDArray[] leaves = new NDArray[leaf.length];
    List<MlpSpec.Param> params = spec.params();
    for (int i = 0; i < params.size(); i++) {
      MlpSpec.Param p = params.get(i);
      int copies = leaf[i] ? lanes : 1;
      double[] values = new double[copies * p.size()];
      for (int c = 0; c < copies; c++) {
        System.arraycopy(weights, p.offset(), values, c * p.size(), p.size());
      }
      Shape shape =
          p.bias() ? new Shape(copies, 1, p.rows()) : new Shape(copies, p.rows(), p.cols());
      NDArray array = create(scope, values, shape);
      if (leaf[i]) {
        array.setRequiresGradient(true);
        leaves[i] = array;
      }
      if (p.bias()) {
        bias[p.layer()] = array;
      } else {
        weight[p.layer()] = array;
      }
    }
    return new Tensors(weight, bias, leaves);
  }

  /** The vectors' slices per selected parameter, shaped as the stacked copies. */
  private NDArray[] directions(NDManager scope, boolean[] selected, double[][] vectors) {
    int k = vectors.length;
    NDArray[] out = new NDArray[selected.length];
    int column = 0;
    for (int i = 0; i < selected.length; i++) {
      if (!selected[i]) {
        continue;
      }
      MlpSpec.Param p = spec.params().get(i);
      double[] values = new double[k * p.size()];
      for (int j = 0; j < k; j++) {
        System.arraycopy(vectors[j], column, values, j * p.size(), p.size());
      }
      column += p.size();
      Shape shape = p.bias() ? new Shape(k, 1, p.rows()) : new Shape(k, p.rows(), p.cols());
      out[i] = create(scope, values, shape);
    }
    return out;
  }

  /**
   * Forward pass {@code a_0 = x, z_l = a_{l-1} W_l^T + b_l, a_l = σ(z_l)} (no σ on the last layer);
   * returns the logits and, when {@code activations} is given, stores {@code a_0 .. a_{L-1}}.
   */
  private NDArray forward(NDArray x, Tensors t, NDArray[] activations) {
    NDArray a = x;
    int layers = spec.layers();
    for (int l = 0; l < layers; l++) {
      if (activations != null) {
        activations[l] = a;
      }
      NDArray z = a.matMul(t.weight()[l].transpose(0, 2, 1));
      if (t.bias()[l] != null) {
        z = z.add(t.bias()[l]);
      }
      a = l == layers - 1 ? z : activate(z);
    }
    return a;
  }

  private NDArray activate(NDArray z) {
    return switch (spec.activation()) {
      case RELU -> z.getNDArrayInternal().relu();
      case TANH -> z.tanh();
      case SIGMOID -> z.getNDArrayInternal().sigmoid();
    };
  }

  /** σ'(z) written through a = σ(z): relu [a > 0], tanh 1 - a², sigmoid a (1 - a). */
  private NDArray activationSlope(NDArray a) {
    return switch (spec.activation()) {
      case RELU -> a.gt(0).toType(precision, false);
      case TANH -> a.mul(a).neg().add(1);
      case SIGMOID -> a.mul(a.neg().add(1));
    };
  }

  /**
   * Sum over the chunk of l_n: cross-entropy or (1/K)-averaged squared error on one-hot targets.
   */
  private NDArray lossSum(NDArray logits, NDArray target) {
    if (spec.loss() == Network.Objective.CROSS_ENTROPY) {
      return logits.logSoftmax(2).mul(target).sum().neg();
    }
    return logits.sub(target).square().sum().div(spec.classes());
  }

  /** dl_n/dz_n: softmax(z) - e_y, or (2/K)(z - e_y). */
  private NDArray outputSlope(NDArray logits, NDArray target) {
    if (spec.loss() == Network.Objective.CROSS_ENTROPY) {
      return logits.softmax(2).sub(target);
    }
    return logits.sub(target).mul(2.0 / spec.classes());
  }

  /**
   * Manual backpropagation of {@code scale * sum_rows l_n} per lane: {@code δ_L = scale dl/dz_L},
   * {@code ∂W_l = δ_l^T a_{l-1}}, {@code ∂b_l = sum_rows δ_l}, {@code δ_{l-1} = (δ_l W_l) ⊙
   * σ'(z_{l-1})}, down to the lowest wanted layer. Returns the wanted parameters' gradients (lanes
   * first, null for the others), as differentiable tensor ops.
   */
  private NDArray[] backprop(Chunk c, Tensors t, boolean[] wanted, double scale) {
    int layers = spec.layers();
    NDArray[] activations = new NDArray[layers];
    NDArray logits = forward(c.x(), t, activations);
    List<MlpSpec.Param> params = spec.params();
    int lowest = layers;
    boolean[] wantWeight = new boolean[layers];
    boolean[] wantBias = new boolean[layers];
    int[] weightIndex = new int[layers];
    int[] biasIndex = new int[layers];
    for (int i = 0; i < params.size(); i++) {
      MlpSpec.Param p = params.get(i);
      if (p.bias()) {
        biasIndex[p.layer()] = i;
        wantBias[p.layer()] = wanted[i];
      } else {
        weightIndex[p.layer()] = i;
        wantWeight[p.layer()] = wanted[i];
      }
      if (wanted[i]) {
        lowest = Math.min(lowest, p.layer());
      }
    }
    NDArray[] grads = new NDArray[params.size()];
    NDArray delta = outputSlope(logits, c.target()).mul(scale);
    for (int l = layers - 1; l >= lowest; l--) {
      if (wantWeight[l]) {
        grads[weightIndex[l]] = delta.transpose(0, 2, 1).matMul(activations[l]);
      }
      if (wantBias[l]) {
        grads[biasIndex[l]] = delta.sum(new int[] {1}, true);
      }
      if (l > lowest) {
        delta = delta.matMul(t.weight()[l]).mul(activationSlope(activations[l]));
      }
    }
    return grads;
  }

  /** One ordinary backward pass of {@code sum_i <g_i, v_i>} (summed over lanes too). */
  private void backwardOfDot(NDManager scope, NDArray[] grads, NDArray[] directions) {
    NDArray dot = null;
    for (int i = 0; i < grads.length; i++) {
      if (directions[i] == null) {
        continue;
      }
      NDArray term = grads[i].mul(directions[i]).sum();
      dot = dot == null ? term : dot.add(term);
    }
    NDArray seed = scope.ones(new Shape(), precision);
    JniUtils.backward((PtNDArray) dot, (PtNDArray) seed, false, false);
  }

  /** Adds the leaves' gradients, lane j into {@code out[j]}, selected parameters concatenated. */
  private void addLeafGradients(Tensors t, boolean[] selected, double[][] out) {
    int column = 0;
    for (int i = 0; i < selected.length; i++) {
      if (!selected[i]) {
        continue;
      }
      int per = spec.params().get(i).size();
      NDArray leaf = t.leaves()[i];
      double[] values = doubles(leaf.getGradient());
      for (int j = 0; j < out.length; j++) {
        double[] row = out[j];
        for (int q = 0; q < per; q++) {
          row[column + q] += values[j * per + q];
        }
      }
      column += per;
    }
  }

  private void addSelected(NDArray[] grads, boolean[] selected, double[] out) {
    int column = 0;
    for (int i = 0; i < selected.length; i++) {
      if (!selected[i]) {
        continue;
      }
      int per = spec.params().get(i).size();
      double[] values = doubles(grads[i]);
      for (int q = 0; q < per; q++) {
        out[column + q] += values[q];
      }
      column += per;
    }
  }

  private int perSampleLanes(int size) {
    return (int) Math.max(1, Math.min(chunkRows, perSampleValues / Math.max(1, size)));
  }

  private NDArray create(NDManager scope, double[] values, Shape shape) {
    if (precision == DataType.FLOAT64) {
      return scope.create(values, shape);
    }
    float[] f = new float[values.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) values[i];
    }
    return scope.create(f, shape);
  }

  private static double[] doubles(NDArray array) {
    if (array.getDataType() == DataType.FLOAT64) {
      return array.toDoubleArray();
    }
    float[] f = array.toFloatArray();
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  private boolean[] selection(List<String> layers) {
    List<MlpSpec.Param> chosen = spec.select(layers);
    boolean[] selected = new boolean[spec.params().size()];
    for (MlpSpec.Param p : chosen) {
      selected[spec.params().indexOf(p)] = true;
    }
    return selected;
  }

  private void checkWeights(double[] weights) {
    if (weights.length != spec.size()) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "Weight vector has %d values; the MLP %s has %d parameters",
              weights.length,
              spec,
              spec.size()));
    }
  }

  private static void checkVectors(double[][] vectors, int size, List<String> layers) {
    for (int j = 0; j < vectors.length; j++) {
      if (vectors[j].length != size) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "Vector %d has %d values; the selection %s has %d parameters",
                j,
                vectors[j].length,
                layers.isEmpty() ? "of all parameters" : layers.toString(),
                size));
      }
    }
  }
}
