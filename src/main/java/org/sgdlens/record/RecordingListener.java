package org.sgdlens.record;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.listener.TrainingListenerAdapter;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.sgdlens.kernel.Divergence;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.RunLease;
import org.sgdlens.lake.RunStaging;
import org.sgdlens.lake.RunStatus;
import org.sgdlens.lake.RunsRow;

/**
 * Records a user's own DJL training loop into the lake, as the train job records its own: add it to
 * the {@code TrainingConfig} of a {@code Trainer} (EasyTrain.fit or a hand-written loop) and close
 * it after training.
 *
 * <pre>{@code
 * try (RecordingListener recorder =
 *     RecordingListener.builder()
 *         .setLake(Lake.open("lake"))
 *         .setName("my-net")
 *         .setData(data)                               // TrainingData: arrays and true labels
 *         .setNetworkFactory(MyNet::build)              // a fresh, uninitialised copy of the block
 *         .optInputShape(784)                           // one sample as the block reads it
 *         .setSteps(epochs * batchesPerEpoch, batchesPerEpoch)
 *         .optGradients(Schedule.every(100), 16)
 *         .optSampleLosses(Schedule.every(200))
 *         .build()) {
 *   TrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
 *       .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build())
 *       .addTrainingListeners(recorder);
 *   try (Trainer trainer = model.newTrainer(config)) {
 *     trainer.initialize(new Shape(1, 784));
 *     EasyTrain.fit(trainer, epochs, dataset, null);
 *   }   // the trainer's close ends training: the run is committed here
 * }
 * }</pre>
 *
 * <p>At every training batch (after its backward pass, before the optimizer step, so the step's
 * weights are the ones the batch saw) it hands a snapshot of the parameters to the same recorder
 * the train job uses: gradient ensembles at frozen weights (clean and mislabeled parts when the
 * data carries true labels), per-sample losses, metrics and weight snapshots are computed on copies
 * of the network built by the factory, on their own threads, and never touch the training
 * trajectory. The run is staged and committed with the same protocol, lease and checksums. A run
 * that fails (the loop throws, the JVM dies) is never visible; a user loop is not resumed: the same
 * run id starts afresh, or finishes a commit a crash interrupted (docs/recording-api.md).
 */
public final class RecordingListener extends TrainingListenerAdapter implements AutoCloseable {
  private final Lake lake;
  private final RunConfig config;
  private final TrainingData data;
  private final Supplier<Block> factory;
  private final int[] inputShape;
  private final long totalSteps;
  private final long stepsPerEpoch;
  private final String runId;
  private final RunLease lease;
  private final RecordSchedule schedule;
  private final Divergence.Monitor monitor;
  private final Instant started = Instant.now();
  private final long startNanos = System.nanoTime();
  private RunStaging staging;
  private Network training;
  private Recorder recorder;
  private long step;
  private double lossSum;
  private long lossCount;
  private boolean committed;
  private boolean closed;
  private TrainRun.Outcome outcome;

  private RecordingListener(Builder b) {
    this.lake = b.lake;
    this.config = b.config;
    this.data = b.data;
    this.factory = b.factory;
    this.inputShape = b.inputShape != null ? b.inputShape : data.inputShape();
    this.totalSteps = b.totalSteps;
    this.stepsPerEpoch = b.stepsPerEpoch;
    // Every record is computed on the probe lanes' copies: the user's block is being trained.
    config.parallelRecording = true;
    TrainRun.validate(config);
    TrainRun.validate(config, data);
    if (config.stop.whenFit) {
      throw new IllegalArgumentException(
          "stop.when_fit is applied by jobs/train's own loop, not by a listener on your loop; set"
              + " it to false and stop your loop yourself (org.sgdlens.kernel.FitStopRule.Monitor"
              + " gives the same rule)");
    }
    this.runId = TrainRun.runId(config);
    this.schedule = RecordSchedule.of(config.record, totalSteps, stepsPerEpoch);
    this.monitor = new Divergence.Monitor(TrainRun.divergenceRules(config, stepsPerEpoch));
    this.lease = RunLease.acquire(lake, runId);
    try {
      RunStaging s = staging();
      Optional<RunStaging.Intent> pending = s.pendingCommit();
      if (pending.isPresent()) {
        s.rollForward(pending.get(), lease);
      }
      boolean isCommitted =
          lake.runStatus(runId).filter(RunStatus.COMMITTED.name()::equals).isPresent();
      if (isCommitted && !b.overwrite) {
        throw new IllegalStateException(
            "Run "
                + runId
                + " is already committed in "
                + lake
                + (pending.isPresent() ? " (this call finished its interrupted commit)" : "")
                + "; give another run id or name, or optOverwrite(true) to record it again");
      }
      try (Network shadow = shadow()) {
        if (shadow.size() <= 0) {
          throw new IllegalStateException("The network factory built a block with no parameters");
        }
      }
    } catch (RuntimeException e) {
      lease.close();
      throw e;
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The run id the recording goes to (the given one, or name-hash of the settings). */
  public String runId() {
    return runId;
  }

  /** What the run recorded, once the trainer's close has committed it; empty before. */
  public Optional<TrainRun.Outcome> outcome() {
    return Optional.ofNullable(outcome);
  }

  private RunStaging staging() {
    if (staging == null) {
      staging = new RunStaging(lake, runId, TrainRun.codec(config.record.compression), 128L << 20);
    }
    return staging;
  }

  private Network shadow() {
    Network n =
        Network.of(factory.get(), inputShape, data.classes(), config.model.loss, Device.cpu());
    if (training != null && !sameLayout(n, training)) {
      n.close();
      throw new IllegalStateException(
          "The network factory builds a block whose parameters differ from the trained block's ("
              + names(n)
              + " vs "
              + names(training)
              + "); it must build the same architecture, and optInputShape must give the shape"
              + " of one sample as the block reads it (now "
              + java.util.Arrays.toString(inputShape)
              + ")");
    }
    return n;
  }

  private static boolean sameLayout(Network a, Network b) {
    if (a.layout().size() != b.layout().size()) {
      return false;
    }
    for (int i = 0; i < a.layout().size(); i++) {
      if (!java.util.Arrays.equals(a.layout().get(i).shape(), b.layout().get(i).shape())) {
        return false;
      }
    }
    return true;
  }

  private static List<String> names(Network n) {
    return n.layout().stream().map(p -> p.name() + java.util.Arrays.toString(p.shape())).toList();
  }

  private void start(Trainer trainer) {
    training =
        Network.of(
            trainer.getModel().getBlock(),
            inputShape,
            data.classes(),
            config.model.loss,
            trainer.getDevices()[0]);
    try (Network check = shadow()) {
      // shadow() compared the layouts
    }
    staging().clear();
    recorder = new Recorder(config, data, training, this::shadow, staging);
    recorder.writeRunTables();
  }

  @Override
  public void onTrainingBatch(Trainer trainer, TrainingListener.BatchData batchData) {
    if (closed) {
      return;
    }
    if (recorder == null) {
      start(trainer);
    }
    double loss = batchLoss(trainer, batchData);
    record(step, false);
    if (Double.isFinite(loss)) {
      lossSum += loss;
      lossCount++;
    }
    monitor.minibatchLoss(step, loss);
    step++;
  }

  private void record(long at, boolean last) {
    boolean due = last || schedule.due(at, false);
    if (due) {
      Set<Recorder.Kind> kinds = schedule.kinds(last ? totalSteps : at, false);
      if (last) {
        kinds.add(Recorder.Kind.METRICS);
      }
      Double batchLoss = lossCount > 0 ? lossSum / lossCount : null;
      if (kinds.contains(Recorder.Kind.METRICS)) {
        lossSum = 0;
        lossCount = 0;
      }
      recorder.record(
          at,
          (double) at / Math.max(1, stepsPerEpoch),
          training.weights(),
          kinds,
          batchLoss,
          (System.nanoTime() - startNanos) / 1e9);
    }
    recorder.check();
  }

  private static double batchLoss(Trainer trainer, TrainingListener.BatchData batchData) {
    double sum = 0;
    int parts = 0;
    for (var e : batchData.getLabels().entrySet()) {
      NDList predictions = batchData.getPredictions().get(e.getKey());
      try (NDArray l = trainer.getLoss().evaluate(e.getValue(), predictions)) {
        sum += l.getFloat();
        parts++;
      }
    }
    return parts == 0 ? Double.NaN : sum / parts;
  }

  /** The trainer's close: records the last step, writes the final parameters and commits. */
  @Override
  public void onTrainingEnd(Trainer trainer) {
    if (closed || recorder == null) {
      return;
    }
    try {
      record(step, true);
      recorder.writeFinalParams(training.weights());
      recorder.close();
      Recorder.Metrics last = recorder.lastMetrics();
      Optional<String> reason =
          monitor.diverged()
              ? monitor.reason()
              : recorder.sawNonFiniteGradient()
                  ? Optional.of("a recorded gradient has NaN or infinite values")
                  : last == null
                      ? Optional.empty()
                      : Divergence.atChance(
                          TrainRun.divergenceRules(config, stepsPerEpoch),
                          last.step(),
                          last.trainAccuracy(),
                          TrainRun.chance(data));
      config.sgd.steps = step;
      RunsRow row =
          TrainRun.runsRow(
              config,
              runId,
              RunStatus.COMMITTED,
              started,
              data,
              training.size(),
              recorder.recordedLength(),
              step,
              (double) step / Math.max(1, stepsPerEpoch),
              trainer.getDevices()[0],
              last,
              reason,
              null,
              null);
      staging.commit(row, lease);
      committed = true;
      double wall = (System.nanoTime() - startNanos) / 1e9;
      outcome =
          new TrainRun.Outcome(
              runId,
              RunStatus.COMMITTED.name(),
              false,
              false,
              false,
              step,
              step / wall,
              wall,
              reason.isPresent(),
              reason.orElse(null),
              null,
              last == null ? null : last.trainLoss(),
              last == null ? null : last.testAccuracy(),
              data.trainSize(),
              data.mislabeledCount(),
              training.size(),
              wall,
              recorder.probeBusySeconds(),
              recorder.writerBusySeconds(),
              0,
              recorder.probeCpuSeconds(),
              recorder.writerCpuSeconds());
    } catch (RuntimeException e) {
      fail(e);
      throw e;
    } finally {
      finish();
    }
  }

  private void fail(RuntimeException e) {
    try {
      if (recorder != null) {
        recorder.close();
      }
    } catch (RuntimeException suppressed) {
      e.addSuppressed(suppressed);
    }
    try {
      staging()
          .markFailed(
              TrainRun.runsRow(
                  config,
                  runId,
                  RunStatus.FAILED,
                  started,
                  data,
                  0,
                  0,
                  step,
                  (double) step / Math.max(1, stepsPerEpoch),
                  Device.cpu(),
                  null,
                  Optional.empty(),
                  String.valueOf(e.getMessage()),
                  null));
    } catch (RuntimeException suppressed) {
      e.addSuppressed(suppressed);
    }
  }

  private void finish() {
    closed = true;
    if (training != null) {
      training.close();
    }
    lease.close();
  }

  /**
   * Ends the recording: after a committed run, nothing more; otherwise (the loop threw before the
   * trainer's close) the run is marked FAILED and stays invisible.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    if (!committed) {
      fail(new IllegalStateException("training ended before the trainer was closed"));
    }
    finish();
  }

  /** Settings of a recording; {@code set*} are required, {@code opt*} optional. */
  public static final class Builder {
    private Lake lake;
    private TrainingData data;
    private Supplier<Block> factory;
    private int[] inputShape;
    private long totalSteps = -1;
    private long stepsPerEpoch = -1;
    private boolean overwrite;
    private final RunConfig config = new RunConfig();

    private Builder() {
      config.model.kind = "djl";
      config.dataset.name = "user";
      config.dataset.path = "";
      config.record.metrics = Schedule.every(100);
    }

    public Builder setLake(Lake lake) {
      this.lake = lake;
      return this;
    }

    /** The run's name: its id is name-hash of the settings unless {@link #optRunId} gives one. */
    public Builder setName(String name) {
      config.name = name;
      return this;
    }

    public Builder optRunId(String runId) {
      config.runId = runId;
      return this;
    }

    /** The training and test data with given and true labels, as the probes read them. */
    public Builder setData(TrainingData data) {
      this.data = data;
      return this;
    }

    /**
     * Builds a fresh, uninitialised copy of the trained block (the same architecture): each probe
     * lane gets one and loads the step's weights into it.
     */
    public Builder setNetworkFactory(Supplier<Block> factory) {
      this.factory = factory;
      return this;
    }

    /** The shape of one input sample as the block takes it; default: the data's sample shape. */
    public Builder optInputShape(int... shape) {
      this.inputShape = shape.clone();
      return this;
    }

    /** Steps the loop will take and steps per epoch: the schedules are resolved against them. */
    public Builder setSteps(long total, long perEpoch) {
      this.totalSteps = total;
      this.stepsPerEpoch = perEpoch;
      return this;
    }

    public Builder optWeights(Schedule schedule) {
      config.record.weights = schedule;
      return this;
    }

    /** Parameters recorded in weight snapshots (param_layout names); default: every trainable. */
    public Builder optLayers(List<String> names) {
      config.record.layers = new java.util.ArrayList<>(names);
      return this;
    }

    /** Gradient ensembles of {@code members} minibatches at frozen weights. */
    public Builder optGradients(Schedule schedule, int members) {
      config.record.gradients = schedule;
      config.record.ensembleSize = members;
      return this;
    }

    public Builder optEnsembleBatch(int batch) {
      config.record.ensembleBatch = batch;
      return this;
    }

    public Builder optSampleLosses(Schedule schedule) {
      config.record.sampleLosses = schedule;
      return this;
    }

    public Builder optMetrics(Schedule schedule) {
      config.record.metrics = schedule;
      return this;
    }

    /** The per-sample loss the recorder computes: cross_entropy (default) or mse. */
    public Builder optLoss(String loss) {
      config.model.loss = loss;
      return this;
    }

    /** Describes the loop for the runs table (learning rate, momentum, weight decay, batch). */
    public Builder optSgd(double learningRate, double momentum, double weightDecay, int batch) {
      config.sgd.learningRate = learningRate;
      config.sgd.momentum = momentum;
      config.sgd.weightDecay = weightDecay;
      config.sgd.batchSize = batch;
      return this;
    }

    /** Seeds the recorder's own draws (ensemble minibatches, the loss subset); default 1. */
    public Builder optSeed(long seed) {
      config.sgd.seed = seed;
      return this;
    }

    /** A label for the runs table's model column (e.g. resnet18-mine). */
    public Builder optModelDescription(String description) {
      config.model.path = description;
      return this;
    }

    public Builder optProbeThreads(int threads) {
      config.record.probeThreads = threads;
      return this;
    }

    public Builder optOverwrite(boolean overwrite) {
      this.overwrite = overwrite;
      return this;
    }

    /**
     * Takes the run's lease (a second writer of the id is refused here) and checks the settings.
     */
    public RecordingListener build() {
      if (lake == null || data == null || factory == null) {
        throw new IllegalArgumentException(
            "RecordingListener needs setLake, setData and setNetworkFactory");
      }
      if (totalSteps < 1 || stepsPerEpoch < 1) {
        throw new IllegalArgumentException(
            "RecordingListener needs setSteps(total, perEpoch) with positive values (the"
                + " schedules are resolved against them); got "
                + totalSteps
                + ", "
                + stepsPerEpoch);
      }
      config.sgd.steps = totalSteps;
      return new RecordingListener(this);
    }
  }
}
