package org.sgdlens.record;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.sgdlens.kernel.Permutations;

/**
 * A DJL network with its parameters flattened in a fixed, recorded order (parameter order of the
 * model), friendly names ({@code fc1.weight}, {@code conv1.bias}, ...) and the operations the
 * trainer and recorder need: forward, per-sample losses, gradients of a scaled subset loss, and
 * copying parameters to and from {@code float[]}. One instance per thread.
 */
public final class Network implements AutoCloseable {
  /** Rows per forward pass when evaluating a whole dataset. */
  public static final int EVAL_BATCH = 1000;

  private final NDManager manager;
  private final Block block;
  private final ParameterStore store;
  private final List<Parameter> params = new ArrayList<>();
  private final List<ParamInfo> layout = new ArrayList<>();
  private final int[] inputShape;
  private final long size;

  /** One parameter in the flattened vector. */
  public record ParamInfo(int position, String name, long[] shape, long offset, long size, int fanIn) {}

  public Network(RunConfig.ModelConfig model, int[] inputShape, int classes, Device device) {
    this.manager = NDManager.newBaseManager(device);
    this.inputShape = inputShape.clone();
    List<String> names = new ArrayList<>();
    this.block = build(model, inputShape, classes, names);
    long[] dims = new long[inputShape.length + 1];
    dims[0] = 1;
    for (int i = 0; i < inputShape.length; i++) {
      dims[i + 1] = inputShape[i];
    }
    block.initialize(manager, DataType.FLOAT32, new Shape(dims));
    this.store = new ParameterStore(manager, false);
    long offset = 0;
    int position = 0;
    int layer = 0;
    for (Pair<String, Parameter> pair : block.getParameters()) {
      Parameter p = pair.getValue();
      long[] shape = p.getArray().getShape().getShape();
      long n = p.getArray().size();
      boolean isWeight = p.getType() == Parameter.Type.WEIGHT;
      if (isWeight) {
        layer++;
      }
      String friendly = names.get(layer - 1) + (isWeight ? ".weight" : ".bias");
      int fanIn = 1;
      if (isWeight) {
        for (int i = 1; i < shape.length; i++) {
          fanIn *= (int) shape[i];
        }
      } else {
        fanIn = layout.get(layout.size() - 1).fanIn();
      }
      params.add(p);
      layout.add(new ParamInfo(position++, friendly, shape, offset, n, fanIn));
      offset += n;
    }
    this.size = offset;
  }

  private static Block build(
      RunConfig.ModelConfig model, int[] inputShape, int classes, List<String> names) {
    Function<NDList, NDList> activation =
        switch (model.activation) {
          case "relu" -> Activation::relu;
          case "tanh" -> Activation::tanh;
          case "sigmoid" -> Activation::sigmoid;
          default -> throw new IllegalArgumentException(
              "Unknown model.activation '" + model.activation + "'; use relu, tanh or sigmoid");
        };
    SequentialBlock net = new SequentialBlock();
    int fc = 0;
    switch (model.kind) {
      case "mlp" -> net.add(Blocks.batchFlattenBlock());
      case "cnn" -> {
        if (inputShape.length != 3) {
          throw new IllegalArgumentException(
              "model.kind cnn needs image input (channels x rows x cols); this dataset has "
                  + inputShape.length + "-d samples, use model.kind mlp");
        }
        int conv = 0;
        for (int channels : model.channels) {
          net.add(
              Conv2d.builder()
                  .setKernelShape(new Shape(3, 3))
                  .optPadding(new Shape(1, 1))
                  .setFilters(channels)
                  .optBias(model.bias)
                  .build());
          names.add("conv" + (++conv));
          net.add(activation);
          net.add(Pool.maxPool2dBlock(new Shape(2, 2)));
        }
        net.add(Blocks.batchFlattenBlock());
      }
      default -> throw new IllegalArgumentException(
          "Unknown model.kind '" + model.kind + "'; use mlp or cnn");
    }
    for (int width : model.hidden) {
      if (width <= 0) {
        throw new IllegalArgumentException(
            "model.hidden has width " + width + "; every hidden width must be positive");
      }
      net.add(Linear.builder().setUnits(width).optBias(model.bias).build());
      names.add("fc" + (++fc));
      net.add(activation);
    }
    net.add(Linear.builder().setUnits(classes).optBias(model.bias).build());
    names.add("fc" + (++fc));
    return net;
  }

  public long size() {
    return size;
  }

  public List<ParamInfo> layout() {
    return layout;
  }

  public NDManager manager() {
    return manager;
  }

  /**
   * PyTorch's default initialisation for Linear and Conv2d, U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
   * drawn in Java from the seed so it is identical on every engine and thread count.
   */
  public float[] initialWeights(long seed) {
    float[] w = new float[(int) size];
    for (ParamInfo p : layout) {
      SplittableRandom random = new SplittableRandom(Permutations.mix(seed, 0x1417 + p.position()));
      double bound = 1 / Math.sqrt(p.fanIn());
      for (long i = 0; i < p.size(); i++) {
        w[(int) (p.offset() + i)] = (float) ((random.nextDouble() * 2 - 1) * bound);
      }
    }
    return w;
  }

  public void setWeights(float[] flat) {
    if (flat.length != size) {
      throw new IllegalArgumentException(
          "Weight vector has " + flat.length + " values, the model has " + size);
    }
    for (int i = 0; i < params.size(); i++) {
      ParamInfo info = layout.get(i);
      params.get(i).getArray().set(FloatBuffer.wrap(flat, (int) info.offset(), (int) info.size()));
    }
  }

  public float[] weights() {
    float[] flat = new float[(int) size];
    for (int i = 0; i < params.size(); i++) {
      float[] values = params.get(i).getArray().toFloatArray();
      System.arraycopy(values, 0, flat, (int) layout.get(i).offset(), values.length);
    }
    return flat;
  }

  public List<Parameter> parameters() {
    return params;
  }

  /** A batch of rows of a row-major feature matrix as an NDArray on this network's device. */
  public NDArray batch(NDManager scope, float[] x, int features, int[] rows, int from, int count) {
    float[] buffer = new float[count * features];
    for (int i = 0; i < count; i++) {
      System.arraycopy(x, rows[from + i] * features, buffer, i * features, features);
    }
    long[] dims = new long[inputShape.length + 1];
    dims[0] = count;
    for (int i = 0; i < inputShape.length; i++) {
      dims[i + 1] = inputShape[i];
    }
    return scope.create(FloatBuffer.wrap(buffer), new Shape(dims));
  }

  public NDArray labels(NDManager scope, int[] labels, int[] rows, int from, int count) {
    int[] buffer = new int[count];
    for (int i = 0; i < count; i++) {
      buffer[i] = labels[rows[from + i]];
    }
    return scope.create(buffer).toType(DataType.INT64, false);
  }

  public NDArray logits(NDArray x, boolean training) {
    return block.forward(store, new NDList(x), training).singletonOrThrow();
  }

  /** Per-sample cross-entropy l_n on the given labels (equals softmaxCrossEntropyLoss's mean). */
  public static NDArray perSampleLoss(NDArray logits, NDArray labels) {
    return logits.logSoftmax(1).get(new NDIndex().addAllDim().addPickDim(labels)).neg();
  }

  /**
   * Accumulates into {@code out} the gradient of {@code scale * sum_{i in rows} l_i(w)} at the
   * current weights; leaves the parameters' gradients zeroed. Rows may be empty (zero gradient).
   */
  public void addGradient(
      float[] x, int features, int[] labels, int[] rows, int from, int count, double scale,
      float[] out) {
    if (count == 0) {
      return;
    }
    enableGrad();
    try (NDManager scope = manager.newSubManager()) {
      NDArray input = batch(scope, x, features, rows, from, count);
      NDArray y = labels(scope, labels, rows, from, count);
      NDArray loss = perSampleLoss(logits(input, true), y).sum().mul((float) scale);
      backward(loss);
      for (int i = 0; i < params.size(); i++) {
        NDArray w = params.get(i).getArray();
        try (NDArray g = w.getGradient()) {
          float[] values = g.toFloatArray();
          int off = (int) layout.get(i).offset();
          for (int j = 0; j < values.length; j++) {
            out[off + j] += values[j];
          }
        }
        JniUtils.zeroGrad((PtNDArray) w);
      }
    }
  }

  /**
   * The forward and backward pass of {@link #addGradient} without copying the gradient out: the
   * compute a gradient record cannot avoid (the benchmark's Tc).
   */
  public void gradientPassOnly(float[] x, int features, int[] labels, int[] rows, int from, int count) {
    enableGrad();
    try (NDManager scope = manager.newSubManager()) {
      NDArray input = batch(scope, x, features, rows, from, count);
      NDArray y = labels(scope, labels, rows, from, count);
      backward(perSampleLoss(logits(input, true), y).sum().mul(1f / count));
      for (Parameter p : params) {
        JniUtils.zeroGrad((PtNDArray) p.getArray());
      }
    }
  }

  /** Per-sample losses and predictions of all rows of a dataset at the current weights. */
  public void evaluate(float[] x, int features, int[] labels, double[] lossOut, int[] predictedOut) {
    int n = labels.length;
    int[] rows = new int[n];
    for (int i = 0; i < n; i++) {
      rows[i] = i;
    }
    JniUtils.setGradMode(false);
    for (int from = 0; from < n; from += EVAL_BATCH) {
      int count = Math.min(EVAL_BATCH, n - from);
      try (NDManager scope = manager.newSubManager()) {
        NDArray logits = logits(batch(scope, x, features, rows, from, count), false);
        NDArray y = labels(scope, labels, rows, from, count);
        float[] losses = perSampleLoss(logits, y).toFloatArray();
        long[] predicted = logits.argMax(1).toLongArray();
        for (int i = 0; i < count; i++) {
          lossOut[from + i] = losses[i];
          predictedOut[from + i] = (int) predicted[i];
        }
      }
    }
  }

  /**
   * Enables autograd on the calling thread; call before a forward pass whose loss goes to {@link
   * #backward}. DJL's GradientCollector does the same but allows only one collector per process
   * (a static flag), which would serialise the training and probe threads; PyTorch's grad mode
   * itself is thread-local, so each thread manages its own.
   */
  static void enableGrad() {
    JniUtils.setGradMode(true);
  }

  /** Backpropagates a scalar loss into the parameters' gradients (accumulating). */
  static void backward(NDArray loss) {
    try (NDArray seed = loss.onesLike()) {
      JniUtils.backward((PtNDArray) loss, (PtNDArray) seed, false, false);
    }
  }

  ParameterStore store() {
    return store;
  }

  @Override
  public void close() {
    manager.close();
  }
}
