package org.sgdlens.record;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongConsumer;
import org.sgdlens.kernel.Augmentation;
import org.sgdlens.kernel.Divergence;
import org.sgdlens.kernel.FitStopRule;
import org.sgdlens.kernel.Permutations;

/**
 * Plain minibatch SGD on DJL's PyTorch engine, written against the engine directly (no DJL Trainer)
 * so that every step is forward, backward and one fused {@code sgdUpdate} per parameter.
 * Minibatches are a fresh permutation per epoch, seeded by (seed, epoch), dropping the last partial
 * batch; any step can therefore be replayed after a resume.
 */
public final class SgdTrainer {
  /** Outcome of a training loop. */
  public record Result(
      long steps,
      float[] finalWeights,
      boolean stoppedByDivergence,
      double wallSeconds,
      double stepsPerSecond,
      double trainingCpuSeconds,
      String stopReason) {}

  private final RunConfig config;
  private final TrainingData data;
  private final Network network;
  private final List<NDArray> velocity = new ArrayList<>();

  /** Augments training minibatches; null when dataset.augment is off (the batch is the data's). */
  private final Augmentation augmentation;

  private final float[] augmented;
  private final int[] batchRows;

  public SgdTrainer(RunConfig config, TrainingData data, Network network) {
    this.config = config;
    this.data = data;
    this.network = network;
    RunConfig.AugmentConfig a = config.dataset.augment;
    if (a.enabled()) {
      if (data.inputShape().length != 3) {
        throw new IllegalArgumentException(
            "dataset.augment crops and flips images, but the samples have shape "
                + java.util.Arrays.toString(data.inputShape())
                + "; set dataset.image_shape to [C, H, W] or turn dataset.augment off");
      }
      this.augmentation =
          new Augmentation(
              data.inputShape(),
              a.cropPadding,
              a.horizontalFlip,
              TrainingData.blackPixel(config.dataset, data.inputShape()));
      int b = config.sgd.batchSize;
      this.augmented = new float[b * data.features()];
      this.batchRows = new int[b];
      for (int i = 0; i < b; i++) {
        batchRows[i] = i;
      }
    } else {
      this.augmentation = null;
      this.augmented = null;
      this.batchRows = null;
    }
    for (Parameter p : network.parameters()) {
      NDArray v = p.getArray().zerosLike();
      v.setRequiresGradient(false);
      velocity.add(v);
    }
  }

  public static Device device(String wanted) {
    int gpus = Engine.getEngine("PyTorch").getGpuCount();
    if (wanted.startsWith("gpu:")) {
      // A given GPU, e.g. the one Spark's GPU-aware scheduling assigned to a sweep task.
      int index;
      try {
        index = Integer.parseInt(wanted.substring(4).trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "Unknown device '" + wanted + "'; use auto, cpu, gpu or gpu:N with N a GPU index");
      }
      if (index < 0 || index >= gpus) {
        throw new IllegalArgumentException(
            "device "
                + wanted
                + " was asked for but DJL sees "
                + gpus
                + " GPU(s); use a GPU index"
                + " below "
                + gpus
                + ", or auto");
      }
      return Device.gpu(index);
    }
    return switch (wanted) {
      case "cpu" -> Device.cpu();
      case "gpu" -> {
        if (gpus == 0) {
          throw new IllegalArgumentException(
              "device gpu was asked for but DJL sees no GPU; use --device auto or cpu, or install"
                  + " a CUDA build of PyTorch for DJL (docs/gpu.md)");
        }
        yield Device.gpu();
      }
      case "auto" -> gpus > 0 ? Device.gpu() : Device.cpu();
      default ->
          throw new IllegalArgumentException(
              "Unknown device '" + wanted + "'; use auto, cpu or gpu");
    };
  }

  public long stepsPerEpoch() {
    return data.trainSize() / config.sgd.batchSize;
  }

  public long totalSteps() {
    if (config.sgd.steps > 0) {
      return config.sgd.steps;
    }
    return Math.max(1, Math.round(config.sgd.epochs * stepsPerEpoch()));
  }

  float[] velocityVector() {
    float[] flat = new float[(int) network.size()];
    for (int i = 0; i < velocity.size(); i++) {
      float[] v = velocity.get(i).toFloatArray();
      System.arraycopy(v, 0, flat, (int) network.layout().get(i).offset(), v.length);
    }
    return flat;
  }

  void setVelocity(float[] flat) {
    for (int i = 0; i < velocity.size(); i++) {
      Network.ParamInfo info = network.layout().get(i);
      velocity.get(i).set(FloatBuffer.wrap(flat, (int) info.offset(), (int) info.size()));
    }
  }

  /**
   * Trains from {@code startStep} (0, or a checkpoint's step) to the configured end, recording on
   * schedule. {@code recorder} may be null (plain training).
   */
  Result train(
      Recorder recorder,
      long startStep,
      double lossSum0,
      long lossCount0,
      double wall0,
      Divergence.Monitor monitor,
      FitStopRule.Monitor fit,
      CheckpointSink checkpoints,
      LongConsumer progress) {
    long total = totalSteps();
    long perEpoch = stepsPerEpoch();
    int b = config.sgd.batchSize;
    float lr = (float) config.sgd.learningRate;
    float wd = (float) config.sgd.weightDecay;
    float momentum = (float) config.sgd.momentum;
    RunConfig.RecordConfig rc = config.record;
    RecordSchedule schedule = RecordSchedule.of(rc, total, perEpoch);
    long start = System.nanoTime();
    java.lang.management.ThreadMXBean threads =
        java.lang.management.ManagementFactory.getThreadMXBean();
    long cpuStart = threads.getCurrentThreadCpuTime();
    double lossSum = lossSum0;
    long lossCount = lossCount0;
    boolean diverged = false;
    String stopReason = null;
    int[] order = null;
    long orderEpoch = -1;
    long step = startStep;
    long lastCheckpoint = startStep;
    try (NDManager scope = network.manager().newSubManager()) {
      for (; ; step++) {
        StopRequest.check(step, lastCheckpoint);
        // A resumed run recorded its start step before the checkpoint was taken.
        boolean recordedBeforeResume = startStep > 0 && step == startStep;
        if (fit != null && !recordedBeforeResume && step > 0 && step % perEpoch == 0) {
          stopReason = fitStop(fit, step, step / perEpoch).orElse(null);
        }
        boolean last = diverged || stopReason != null;
        if (recorder != null && !recordedBeforeResume) {
          if (schedule.due(step, last)) {
            Double batchLoss = lossCount > 0 ? lossSum / lossCount : null;
            Set<Recorder.Kind> kinds = schedule.kinds(step, last);
            if (kinds.contains(Recorder.Kind.METRICS)) {
              lossSum = 0;
              lossCount = 0;
            }
            recorder.record(
                step,
                (double) step / perEpoch,
                network.weights(),
                kinds,
                batchLoss,
                wall0 + (System.nanoTime() - start) / 1e9);
          }
          recorder.check();
        }
        if (step >= total || last) {
          break;
        }
        if (checkpoints != null
            && config.checkpointEvery > 0
            && step > startStep
            && step % config.checkpointEvery == 0) {
          checkpoints.save(
              step,
              network.weights(),
              velocityVector(),
              lossSum,
              lossCount,
              wall0 + (System.nanoTime() - start) / 1e9,
              monitorState(monitor, fit));
          lastCheckpoint = step;
        }
        long epoch = step / perEpoch;
        if (epoch != orderEpoch) {
          order = Permutations.permutation(data.trainSize(), config.sgd.seed, epoch);
          orderEpoch = epoch;
        }
        float loss = step(scope, step, order, (int) (step % perEpoch) * b, b, lr, wd, momentum);
        if (Float.isFinite(loss)) {
          lossSum += loss;
          lossCount++;
        }
        // A NaN or infinite loss always ends training; the loss-ratio rule when asked to.
        if (monitor.minibatchLoss(step, loss)
            && (!Float.isFinite(loss) || config.divergence.stop)) {
          diverged = true;
        }
        if (progress != null) {
          progress.accept(step + 1);
        }
      }
    }
    double wall = (System.nanoTime() - start) / 1e9;
    long done = step - startStep;
    double cpu = (threads.getCurrentThreadCpuTime() - cpuStart) / 1e9;
    if (fit != null && stopReason == null && !diverged) {
      stopReason =
          "the step cap (sgd.steps or sgd.epochs) of "
              + total
              + " steps was reached before the stop rule held; last check: "
              + fit.last();
    }
    return new Result(
        step,
        network.weights(),
        diverged,
        wall0 + wall,
        done / Math.max(wall, 1e-9),
        cpu,
        stopReason);
  }

  /**
   * The stop rule at an epoch end, on the training thread (so that the run stops at the first step
   * where it holds, the same step in every repetition): full training-set accuracy and mean loss at
   * the current weights, in evaluation mode.
   */
  private Optional<String> fitStop(FitStopRule.Monitor fit, long step, long epoch) {
    int n = data.trainSize();
    double[] loss = new double[n];
    int[] predicted = new int[n];
    network.evaluate(data.trainX(), data.features(), data.givenLabels(), loss, predicted);
    double sum = 0;
    int correct = 0;
    for (int i = 0; i < n; i++) {
      sum += loss[i];
      if (predicted[i] == data.givenLabels()[i]) {
        correct++;
      }
    }
    return fit.epochEnd(step, epoch, (double) correct / n, sum / n);
  }

  /**
   * One SGD step on the minibatch {@code order[from, from + b)}; returns its loss. The loop's body
   * lives in its own small method so that the JIT compiles it from its call count within the first
   * run, instead of waiting for an on-stack replacement of the whole loop.
   */
  private float step(
      NDManager scope,
      long step,
      int[] order,
      int from,
      int b,
      float lr,
      float wd,
      float momentum) {
    try (NDManager batchScope = scope.newSubManager()) {
      NDArray x;
      if (augmentation == null) {
        x = network.batch(batchScope, data.trainX(), data.features(), order, from, b);
      } else {
        int f = data.features();
        for (int i = 0; i < b; i++) {
          System.arraycopy(data.trainX(), order[from + i] * f, augmented, i * f, f);
        }
        augmentation.apply(augmented, b, config.sgd.seed, step);
        x = network.batch(batchScope, augmented, f, batchRows, 0, b);
      }
      NDArray y = network.labels(batchScope, data.givenLabels(), order, from, b);
      Network.enableGrad();
      NDArray logLikelihood = network.negatedMeanLoss(network.logits(x, true), y);
      // Seeding backward with -lr leaves lr * g in the gradient buffers, so plain SGD is one
      // in-place subtraction per parameter (PyTorch's add_(g, alpha=-lr)); DJL's sgdUpdate
      // clones the gradient and makes three more passes over it.
      network.backward(logLikelihood, -lr);
      float loss = -logLikelihood.getFloat();
      List<Parameter> params = network.parameters();
      PtNDArray[] gradients = network.gradients();
      boolean plain = momentum == 0f && wd == 0f;
      for (int i = 0; i < params.size(); i++) {
        if (gradients[i] == null) {
          continue; // running statistics: the forward pass in training mode updated them
        }
        PtNDArray w = (PtNDArray) params.get(i).getArray();
        if (plain) {
          JniUtils.setGradMode(false);
          w.subi(gradients[i]);
        } else {
          // Gradients are already scaled by lr: v = mu v + lr (g + wd w); w -= v.
          JniUtils.sgdUpdate(
              w, gradients[i], (PtNDArray) velocity.get(i), 1f, wd * lr, 1f, -1f, momentum);
        }
        JniUtils.zeroGrad(w);
      }
      return loss;
    }
  }

  /**
   * The monitors' state a checkpoint keeps: the divergence monitor's, then (with the stop rule on)
   * the stop rule's accuracies and their count. A checkpoint is read back only by a run of the same
   * config, so both sides agree on whether the stop rule's part is there.
   */
  static double[] monitorState(Divergence.Monitor divergence, FitStopRule.Monitor fit) {
    double[] d = divergence.state();
    if (fit == null) {
      return d;
    }
    double[] f = fit.state();
    double[] out = java.util.Arrays.copyOf(d, d.length + f.length + 1);
    System.arraycopy(f, 0, out, d.length, f.length);
    out[out.length - 1] = f.length;
    return out;
  }

  /** Restores {@link #monitorState}. */
  static void restoreMonitors(
      double[] state, Divergence.Monitor divergence, FitStopRule.Monitor fit) {
    if (fit == null || state.length == 0) {
      divergence.restore(state);
      return;
    }
    int f = (int) state[state.length - 1];
    int d = state.length - 1 - f;
    divergence.restore(java.util.Arrays.copyOf(state, d));
    fit.restore(java.util.Arrays.copyOfRange(state, d, d + f));
  }

  /** Where the loop hands its resumable state. */
  interface CheckpointSink {
    void save(
        long step,
        float[] weights,
        float[] velocity,
        double lossSum,
        long lossCount,
        double wallSeconds,
        double[] monitorState);
  }
}
