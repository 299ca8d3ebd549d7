package org.sgdlens.record;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
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
  private final ai.djl.Model owner;
  private final Objective objective;
  private final int classes;
  private final ParameterStore store;
  private final List<Parameter> params = new ArrayList<>();
  private final List<ParamInfo> layout = new ArrayList<>();
  private final int[] inputShape;
  private final long size;
  private final NDArray plusOne;
  private final NDArray minusOne;
  private final java.util.Map<Float, NDArray> scaledSeeds = new java.util.HashMap<>();
  private ByteBuffer inputBuffer;
  private PtNDArray[] gradientHandles;
  private ByteBuffer labelBuffer;

  /**
   * One parameter in the flattened vector. Non-trainable parameters (batch norm's running mean and
   * variance) travel with the weights, so a snapshot restores the whole model, and have gradient 0.
   */
  public record ParamInfo(
      int position,
      String name,
      long[] shape,
      long offset,
      long size,
      int fanIn,
      Parameter.Type type,
      boolean trainable) {}

  /** The training loss of a network, on logits and integer labels. */
  public enum Objective {
    /** Softmax cross-entropy: l = -log p_y. */
    CROSS_ENTROPY,
    /**
     * Squared error against one-hot targets averaged over the K outputs: l = (1/K) sum (z - e_y)^2.
     */
    MSE;

    public static Objective of(String name) {
      return switch (name) {
        case "cross_entropy", "ce" -> CROSS_ENTROPY;
        case "mse" -> MSE;
        default ->
            throw new IllegalArgumentException(
                "Unknown model.loss '" + name + "'; use cross_entropy or mse");
      };
    }
  }

  public Network(RunConfig.ModelConfig model, int[] inputShape, int classes, Device device) {
    this(
        Models.build(model, inputShape, classes, device),
        classes,
        Objective.of(model.loss),
        device);
  }

  /**
   * A network over a user's DJL block (initialised, e.g. by {@code Trainer.initialize}, or not),
   * whose per-sample loss is {@code loss} (cross_entropy or mse); parameters keep DJL's names.
   */
  public static Network of(Block block, int[] inputShape, int classes, String loss, Device device) {
    return new Network(
        new Models.Built(block, inputShape.clone(), null, null),
        classes,
        Objective.of(loss),
        device);
  }

  /** A network over any DJL block (or a loaded TorchScript module) with its loss. */
  Network(Models.Built built, int classes, Objective objective, Device device) {
    this.manager = NDManager.newBaseManager(device);
    this.owner = built.owner();
    this.objective = objective;
    this.classes = classes;
    this.inputShape = built.inputShape().clone();
    this.block = built.block();
    long[] dims = new long[this.inputShape.length + 1];
    dims[0] = 1;
    for (int i = 0; i < this.inputShape.length; i++) {
      dims[i + 1] = this.inputShape[i];
    }
    boolean torchScript = block instanceof ai.djl.pytorch.engine.PtSymbolBlock;
    if (!torchScript && !block.isInitialized()) {
      block.initialize(manager, DataType.FLOAT32, new Shape(dims));
    }
    this.store = new ParameterStore(manager, false);
    this.plusOne = manager.create(1f);
    this.minusOne = manager.create(-1f);
    List<String> names = built.layerNames();
    long offset = 0;
    int position = 0;
    int layer = 0;
    ai.djl.util.PairList<String, Parameter> all =
        torchScript ? block.getDirectParameters() : block.getParameters();
    for (Pair<String, Parameter> pair : all) {
      Parameter p = pair.getValue();
      long[] shape = p.getArray().getShape().getShape();
      long n = p.getArray().size();
      Parameter.Type type = p.getType();
      boolean isWeight = type == Parameter.Type.WEIGHT;
      if (isWeight) {
        layer++;
      }
      String friendly =
          names != null ? names.get(layer - 1) + (isWeight ? ".weight" : ".bias") : pair.getKey();
      int fanIn = 1;
      if (isWeight) {
        for (int i = 1; i < shape.length; i++) {
          fanIn *= (int) shape[i];
        }
      } else if (!layout.isEmpty()) {
        fanIn = layout.get(layout.size() - 1).fanIn();
      }
      boolean trainable = p.requiresGradient();
      if (trainable && torchScript) {
        p.getArray().setRequiresGradient(true);
      }
      params.add(p);
      layout.add(new ParamInfo(position++, friendly, shape, offset, n, fanIn, type, trainable));
      offset += n;
    }
    if (layout.isEmpty()) {
      throw new IllegalArgumentException("The model has no parameters to train");
    }
    this.size = offset;
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
   * PyTorch's default initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the weights and biases
   * of Linear and Conv2d, drawn in Java from the seed so it is identical on every engine and thread
   * count; batch norm's scale 1, shift 0, running mean 0 and variance 1. A TorchScript module keeps
   * the weights it was exported with.
   */
  public float[] initialWeights(long seed) {
    if (owner != null) {
      return weights();
    }
    float[] w = new float[(int) size];
    for (ParamInfo p : layout) {
      int from = (int) p.offset();
      int to = (int) (p.offset() + p.size());
      switch (p.type()) {
        case GAMMA, RUNNING_VAR -> java.util.Arrays.fill(w, from, to, 1f);
        case BETA, RUNNING_MEAN -> java.util.Arrays.fill(w, from, to, 0f);
        default -> {
          SplittableRandom random =
              new SplittableRandom(Permutations.mix(seed, 0x1417 + p.position()));
          double bound = 1 / Math.sqrt(p.fanIn());
          for (int i = from; i < to; i++) {
            w[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
          }
        }
      }
    }
    return w;
  }

  /** Whether some parameter is not trained by gradients (batch norm's running statistics). */
  public boolean hasRunningStatistics() {
    return layout.stream().anyMatch(p -> !p.trainable());
  }

  public Objective objective() {
    return objective;
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
      copyOut(params.get(i).getArray(), flat, (int) layout.get(i).offset());
    }
    return flat;
  }

  /**
   * Copies a float tensor's values into {@code out} at {@code offset}, reading the tensor's memory
   * through a direct view (no intermediate buffer or array; this runs for every recorded vector).
   */
  static void copyOut(NDArray array, float[] out, int offset) {
    ByteBuffer view = array.toByteBuffer(true).order(ByteOrder.nativeOrder());
    view.asFloatBuffer().get(out, offset, (int) array.size());
  }

  /**
   * Copies a float32 tensor into {@code out} as little-endian bytes from float index {@code
   * offset}.
   */
  static void copyOutPacked(NDArray array, byte[] out, int offset) {
    ByteBuffer view = array.toByteBuffer(true).order(ByteOrder.nativeOrder());
    int n = (int) array.size();
    ByteBuffer.wrap(out, offset * Float.BYTES, n * Float.BYTES)
        .order(ByteOrder.LITTLE_ENDIAN)
        .asFloatBuffer()
        .put(view.asFloatBuffer());
  }

  public List<Parameter> parameters() {
    return params;
  }

  /**
   * A batch of rows of a row-major feature matrix as an NDArray on this network's device. The
   * tensor is built over a direct buffer this network reuses (DJL's from_blob path, no copy and no
   * allocation per step), so it must be closed before the next call: every caller builds batches in
   * a sub-manager closed at the end of the step.
   */
  public NDArray batch(NDManager scope, float[] x, int features, int[] rows, int from, int count) {
    ByteBuffer bytes = inputBuffer(count * features);
    FloatBuffer floats = bytes.asFloatBuffer();
    for (int i = 0; i < count; i++) {
      floats.put(x, rows[from + i] * features, features);
    }
    long[] dims = new long[inputShape.length + 1];
    dims[0] = count;
    for (int i = 0; i < inputShape.length; i++) {
      dims[i + 1] = inputShape[i];
    }
    return scope.create(bytes, new Shape(dims), DataType.FLOAT32);
  }

  /**
   * The labels of a batch as an int64 column (count x 1), the index shape of {@link
   * #perSampleLoss}.
   */
  public NDArray labels(NDManager scope, int[] labels, int[] rows, int from, int count) {
    if (labelBuffer == null || labelBuffer.capacity() < count * Long.BYTES) {
      labelBuffer = ByteBuffer.allocateDirect(count * Long.BYTES).order(ByteOrder.nativeOrder());
    }
    ByteBuffer bytes = labelBuffer.duplicate().order(ByteOrder.nativeOrder());
    bytes.limit(count * Long.BYTES);
    var longs = bytes.asLongBuffer();
    for (int i = 0; i < count; i++) {
      longs.put(labels[rows[from + i]]);
    }
    return scope.create(bytes, new Shape(count, 1), DataType.INT64);
  }

  private ByteBuffer inputBuffer(int floats) {
    if (inputBuffer == null || inputBuffer.capacity() < floats * Float.BYTES) {
      inputBuffer = ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder());
    }
    ByteBuffer bytes = inputBuffer.duplicate().order(ByteOrder.nativeOrder());
    bytes.limit(floats * Float.BYTES);
    return bytes;
  }

  public NDArray logits(NDArray x, boolean training) {
    return block.forward(store, new NDList(x), training).singletonOrThrow();
  }

  /**
   * The logits of an evaluation pass (no autograd) of {@code x}, a tensor of {@code scope}, whose
   * intermediate tensors are freed as the pass goes: DJL frees an op's result only when its manager
   * closes, so a plain forward of a whole block holds every activation of the network until the
   * batch is done (6.3 GB for one ResNet-18 pass over 1,000 Fashion-MNIST rows, on each probe lane;
   * docs/models.md). A {@link SequentialBlock} is run one child at a time, each child's input and
   * intermediates in a manager closed once its output exists; nested sequential blocks likewise.
   * The same forward calls in the same order as {@code SequentialBlock.forward}, hence bit for bit
   * the same logits. Any other block runs as {@link #logits}.
   */
  NDArray evaluationLogits(NDManager scope, NDArray x) {
    NDManager held = scope.newSubManager();
    try {
      x.attach(held);
      NDList out = forwardReleasing(block, new NDList(x), held, scope);
      return out.singletonOrThrow();
    } finally {
      held.close();
    }
  }

  /**
   * Runs {@code b} on {@code input}, whose tensors belong to {@code held}; returns the output with
   * its tensors moved to {@code keep}. {@code held} is closed by the caller.
   */
  private NDList forwardReleasing(Block b, NDList input, NDManager held, NDManager keep) {
    if (!(b instanceof SequentialBlock sequential) || sequential.isReturnIntermediate()) {
      return moved(b.forward(store, input, false), held, keep);
    }
    NDList current = input;
    NDManager currentHeld = held;
    for (Block child : sequential.getChildren().values()) {
      NDManager next = keep.newSubManager();
      NDList out = forwardReleasing(child, current, currentHeld, next);
      if (currentHeld != held) {
        currentHeld.close();
      }
      currentHeld = next;
      current = out;
    }
    NDList result = moved(current, currentHeld, keep);
    if (currentHeld != held) {
      currentHeld.close();
    }
    return result;
  }

  /**
   * Moves the tensors of {@code list} that belong to {@code from} (the results of the ops that ran
   * on tensors of it) to {@code to}; a tensor of another manager (a parameter a block returns) is
   * left where it is.
   */
  private static NDList moved(NDList list, NDManager from, NDManager to) {
    for (NDArray array : list) {
      if (array.getManager() == from) {
        array.attach(to);
      }
    }
    return list;
  }

  /**
   * Mean log-likelihood of the labels, the negated mean cross-entropy: train on it with {@code
   * backward(meanLogLikelihood, -1)}.
   */
  public static NDArray meanLogLikelihood(NDArray logits, NDArray labelColumn) {
    return logits.logSoftmax(1).gather(labelColumn, 1).mean();
  }

  /** The negated mean training loss of a batch: train on it with {@code backward(x, -lr)}. */
  NDArray negatedMeanLoss(NDArray logits, NDArray labelColumn) {
    return objective == Objective.CROSS_ENTROPY
        ? meanLogLikelihood(logits, labelColumn)
        : mseLoss(logits, labelColumn).mean().neg();
  }

  /** Per-sample losses of the network's objective, shape (count x 1). */
  NDArray losses(NDArray logits, NDArray labelColumn) {
    return objective == Objective.CROSS_ENTROPY
        ? perSampleLoss(logits, labelColumn)
        : mseLoss(logits, labelColumn);
  }

  /** Per-sample (1/K) sum_k (z_k - [k = y])^2, shape (count x 1). */
  static NDArray mseLoss(NDArray outputs, NDArray labelColumn) {
    long k = outputs.getShape().get(1);
    NDArray target = labelColumn.squeeze(1).oneHot((int) k, outputs.getDataType());
    return outputs.sub(target).square().mean(new int[] {1}, true);
  }

  /**
   * Per-sample cross-entropy l_n on the given labels, shape (count x 1): one gather from the log
   * softmax (equals softmaxCrossEntropyLoss's per-sample values; a gather is fewer engine calls
   * than DJL's pick indexing, which matters at a thousand steps per second).
   */
  public static NDArray perSampleLoss(NDArray logits, NDArray labelColumn) {
    return logits.logSoftmax(1).gather(labelColumn, 1).neg();
  }

  /**
   * Writes into {@code out} the gradient of {@code scale * sum_{i in rows} l_i(w)} at the current
   * weights; leaves the parameters' gradients zeroed. Rows may be empty: {@code out} is then left
   * as it is (callers pass a zeroed array). Returns false when the gradient holds a NaN or an
   * infinity, told by the engine's sum of each parameter's gradient (one vectorised pass; a sum
   * also turns infinite when finite entries reach ~1e33, a diverged run all the same).
   */
  public boolean gradient(
      float[] x,
      int features,
      int[] labels,
      int[] rows,
      int from,
      int count,
      double scale,
      float[] out) {
    return gradient(
        x, features, labels, rows, from, count, scale, (g, offset) -> copyOut(g, out, offset));
  }

  /**
   * As {@link #gradient(float[], int, int[], int[], int, int, double, float[])}, into {@code out}
   * packed as little-endian float32 (4 bytes per parameter): the layout of a vector chunk in the
   * lake, so the writer stores it without another copy.
   */
  public boolean gradient(
      float[] x,
      int features,
      int[] labels,
      int[] rows,
      int from,
      int count,
      double scale,
      byte[] out) {
    return gradient(
        x,
        features,
        labels,
        rows,
        from,
        count,
        scale,
        (g, offset) -> copyOutPacked(g, out, offset));
  }

  /** Receives a parameter's gradient tensor and its offset in the flat vector. */
  private interface GradientSink {
    void accept(NDArray gradient, int offset);
  }

  private boolean gradient(
      float[] x,
      int features,
      int[] labels,
      int[] rows,
      int from,
      int count,
      double scale,
      GradientSink sink) {
    if (count == 0) {
      return true;
    }
    boolean finite = true;
    enableGrad();
    try (NDManager scope = manager.newSubManager()) {
      backwardScaledLoss(scope, x, features, labels, rows, from, count, (float) scale);
      finite = drainGradients(sink);
    }
    return finite;
  }

  /**
   * Hands each trained parameter's accumulated gradient to {@code sink} at its flat offset, then
   * zeroes it; returns false when one holds a NaN or an infinity (told by the engine's sum).
   */
  private boolean drainGradients(GradientSink sink) {
    boolean finite = true;
    PtNDArray[] gradients = gradients();
    for (int i = 0; i < params.size(); i++) {
      if (gradients[i] == null) {
        continue; // not trained: its gradient is 0, as the caller's zeroed output holds
      }
      try (NDArray sum = gradients[i].sum()) {
        sink.accept(gradients[i], (int) layout.get(i).offset());
        finite &= Float.isFinite(sum.getFloat());
      }
      JniUtils.zeroGrad((PtNDArray) params.get(i).getArray());
    }
    return finite;
  }

  /**
   * Whether the samples of a batch see each other in the forward pass (batch norm's batch
   * statistics; a TorchScript module may hold batch norm too). Then the clean and mislabeled parts
   * of an ensemble gradient must come from one forward pass of the whole minibatch, so that they
   * add up to its gradient ({@link #gradientParts}).
   */
  boolean couplesSamples() {
    return hasRunningStatistics() || owner != null;
  }

  /**
   * The gradients of {@code scale * sum_{i in part} l_i} for the two parts of one minibatch {@code
   * rows[from, from + count)} ({@code wrong[i]} puts row i in the second), from one forward pass of
   * the whole minibatch in training mode: with batch norm both parts use the minibatch's statistics
   * and their sum is the minibatch gradient. Packed as {@link #gradient(float[], int, int[], int[],
   * int, int, double, byte[])} packs; returns false on a non-finite value.
   */
  boolean gradientParts(
      float[] x,
      int features,
      int[] labels,
      int[] rows,
      int from,
      int count,
      boolean[] wrong,
      double scale,
      byte[] outFirst,
      byte[] outSecond) {
    enableGrad();
    boolean finite = true;
    try (NDManager scope = manager.newSubManager()) {
      NDArray input = batch(scope, x, features, rows, from, count);
      NDArray y = labels(scope, labels, rows, from, count);
      NDArray l = losses(logits(input, true), y);
      float[] mask = new float[count];
      for (int i = 0; i < count; i++) {
        mask[i] = wrong[i] ? 0f : 1f;
      }
      NDArray first = scope.create(mask, new Shape(count, 1));
      NDArray second = first.neg().add(1f);
      byte[][] outs = {outFirst, outSecond};
      NDArray[] parts = {l.mul(first).sum(), l.mul(second).sum()};
      for (int k = 0; k < 2; k++) {
        NDArray seed = seed((float) scale);
        JniUtils.backward((PtNDArray) parts[k], (PtNDArray) seed, k == 0, false);
        byte[] out = outs[k];
        finite &= drainGradients((g, offset) -> copyOutPacked(g, out, offset));
      }
    }
    return finite;
  }

  /**
   * Backpropagates {@code scale * sum_i l_i} of a batch: {@code l_i = -log p_i}, so the seed of
   * {@code sum_i log p_i} is {@code -scale} (two engine ops fewer than negating and scaling the
   * loss, bit for bit the same gradient).
   */
  private void backwardScaledLoss(
      NDManager scope,
      float[] x,
      int features,
      int[] labels,
      int[] rows,
      int from,
      int count,
      float scale) {
    NDArray input = batch(scope, x, features, rows, from, count);
    NDArray y = labels(scope, labels, rows, from, count);
    NDArray logits = logits(input, true);
    if (objective == Objective.CROSS_ENTROPY) {
      backward(logits.logSoftmax(1).gather(y, 1).sum(), -scale);
    } else {
      backward(mseLoss(logits, y).sum(), scale);
    }
  }

  /**
   * The parameters' gradient tensors, fetched once: backward accumulates into them in place and
   * zeroGrad clears them in place, so the handles stay valid for the network's life.
   */
  PtNDArray[] gradients() {
    if (gradientHandles == null) {
      gradientHandles = new PtNDArray[params.size()];
      for (int i = 0; i < params.size(); i++) {
        if (layout.get(i).trainable()) {
          gradientHandles[i] = (PtNDArray) params.get(i).getArray().getGradient();
        }
      }
    }
    return gradientHandles;
  }

  /**
   * The forward and backward pass of {@link #gradient} without copying the gradient out: the
   * compute a gradient record cannot avoid (the benchmark's Tc).
   */
  public void gradientPassOnly(
      float[] x, int features, int[] labels, int[] rows, int from, int count) {
    enableGrad();
    try (NDManager scope = manager.newSubManager()) {
      backwardScaledLoss(scope, x, features, labels, rows, from, count, 1f / count);
      for (int i = 0; i < params.size(); i++) {
        if (layout.get(i).trainable()) {
          JniUtils.zeroGrad((PtNDArray) params.get(i).getArray());
        }
      }
    }
  }

  /** Per-sample losses and predictions of all rows of a dataset at the current weights. */
  public void evaluate(
      float[] x, int features, int[] labels, double[] lossOut, int[] predictedOut) {
    evaluate(x, features, labels, 0, labels.length, lossOut, predictedOut);
  }

  /**
   * Per-sample losses and predictions of rows [begin, end) at the current weights, in forward
   * passes of {@link #EVAL_BATCH} rows counted from {@code begin}: ranges that start at multiples
   * of EVAL_BATCH see exactly the batches of a whole-dataset pass, hence the same values.
   */
  public void evaluate(
      float[] x,
      int features,
      int[] labels,
      int begin,
      int end,
      double[] lossOut,
      int[] predictedOut) {
    int[] rows = new int[end - begin];
    for (int i = begin; i < end; i++) {
      rows[i - begin] = i;
    }
    JniUtils.setGradMode(false);
    for (int from = begin; from < end; from += EVAL_BATCH) {
      int count = Math.min(EVAL_BATCH, end - from);
      try (NDManager scope = manager.newSubManager()) {
        NDArray logits =
            evaluationLogits(scope, batch(scope, x, features, rows, from - begin, count));
        NDArray y = labels(scope, labels, rows, from - begin, count);
        float[] losses = losses(logits, y).toFloatArray();
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
   * #backward}. DJL's GradientCollector does the same but allows only one collector per process (a
   * static flag), which would serialise the training and probe threads; PyTorch's grad mode itself
   * is thread-local, so each thread manages its own.
   */
  static void enableGrad() {
    JniUtils.setGradMode(true);
  }

  /** Backpropagates a scalar loss into the parameters' gradients (accumulating). */
  void backward(NDArray loss) {
    backward(loss, 1f);
  }

  /**
   * Backpropagates {@code sign * loss} for a scalar loss: with sign -1 a mean log-likelihood trains
   * as its negation without a negation op. The scalar seeds are cached per network.
   */
  void backward(NDArray loss, float sign) {
    // sign may be any factor: the trainer seeds with -learning_rate so gradients arrive scaled.
    NDArray seed = sign == 1f ? plusOne : sign == -1f ? minusOne : seed(sign);
    JniUtils.backward((PtNDArray) loss, (PtNDArray) seed, false, false);
  }

  private NDArray seed(float value) {
    return scaledSeeds.computeIfAbsent(value, v -> manager.create(v.floatValue()));
  }

  ParameterStore store() {
    return store;
  }

  @Override
  public void close() {
    manager.close();
    if (owner != null) {
      owner.close();
    }
  }
}
