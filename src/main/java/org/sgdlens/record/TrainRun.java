package org.sgdlens.record;

import ai.djl.Device;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.LongConsumer;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.sgdlens.kernel.Divergence;
import org.sgdlens.kernel.FitStopRule;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.LakeErrors;
import org.sgdlens.lake.RunIds;
import org.sgdlens.lake.RunLease;
import org.sgdlens.lake.RunStaging;
import org.sgdlens.lake.RunStatus;
import org.sgdlens.lake.RunsRow;

/**
 * One training run end to end: validate the config, load data, resume or start, train with
 * recording, and commit the run to the lake (or mark it failed). The entry point of the train job
 * and of sweeps.
 */
public final class TrainRun {
  /** What a run did. */
  public record Outcome(
      String runId,
      String status,
      boolean skipped,
      boolean resumed,
      boolean recovered,
      long steps,
      double stepsPerSecond,
      double wallSeconds,
      boolean diverged,
      String divergedReason,
      String stopReason,
      Double finalTrainLoss,
      Double finalTestAccuracy,
      int trainSize,
      int mislabeled,
      long numParams,
      double trainAndRecordSeconds,
      double probeBusySeconds,
      double writerBusySeconds,
      double trainingCpuSeconds,
      double probeCpuSeconds,
      double writerCpuSeconds) {}

  private TrainRun() {}

  /** Characters a derived run id adds to the name: a dash and the config hash. */
  static final int NAME_SUFFIX = 11;

  /** The run id of a config: its own, or name-hash. */
  public static String runId(RunConfig config) {
    if (config.runId != null && !config.runId.isBlank()) {
      return config.runId;
    }
    return config.name + "-" + ConfigLoader.hash(config);
  }

  /** Checks everything that can be checked without data, naming the value and the fix. */
  public static void validate(RunConfig c) {
    if (c.runId != null && !c.runId.isBlank()) {
      RunIds.check("run_id (--run-id)", c.runId);
    } else {
      // A derived id is <name>-<10 hex digits>: the name may use what the suffix leaves.
      RunIds.check("name (--name)", c.name, RunIds.MAX_LENGTH - NAME_SUFFIX);
    }
    if (!(c.sgd.learningRate > 0) || !Double.isFinite(c.sgd.learningRate)) {
      throw new IllegalArgumentException(
          "sgd.learning_rate is "
              + c.sgd.learningRate
              + "; it must be a positive number such as 0.1");
    }
    if (c.sgd.momentum < 0 || c.sgd.momentum >= 1) {
      throw new IllegalArgumentException(
          "sgd.momentum is " + c.sgd.momentum + "; use a value in [0, 1), e.g. 0.9");
    }
    if (c.sgd.weightDecay < 0) {
      throw new IllegalArgumentException(
          "sgd.weight_decay is " + c.sgd.weightDecay + "; use 0 or a positive value");
    }
    if (c.sgd.batchSize < 1) {
      throw new IllegalArgumentException(
          "sgd.batch_size is " + c.sgd.batchSize + "; use a positive batch size such as 64");
    }
    if (c.sgd.steps < 0 || (c.sgd.steps == 0 && !(c.sgd.epochs > 0))) {
      throw new IllegalArgumentException(
          "sgd.steps is "
              + c.sgd.steps
              + " and sgd.epochs is "
              + c.sgd.epochs
              + "; give a positive number of steps or epochs");
    }
    if (c.record.ensembleSize < 2) {
      throw new IllegalArgumentException(
          "record.ensemble_size is " + c.record.ensembleSize + "; use at least 2 minibatches");
    }
    if (c.record.chunk < 1) {
      throw new IllegalArgumentException("record.chunk is " + c.record.chunk + "; use e.g. 65536");
    }
    if (c.record.threadNice < 0 || c.record.threadNice > 19) {
      throw new IllegalArgumentException(
          "record.thread_nice is "
              + c.record.threadNice
              + "; use 0 (same priority as training) to 19 (lowest), default 10");
    }
    if (c.record.probeThreads < 1 || c.record.probeThreads > 64) {
      throw new IllegalArgumentException(
          "record.probe_threads is " + c.record.probeThreads + "; use 1 to 64 (default 2)");
    }
    if (c.record.writerBudgetMb < 1) {
      throw new IllegalArgumentException(
          "record.writer_budget_mb is "
              + c.record.writerBudgetMb
              + "; use 1 or more MiB (default "
              + RunConfig.RecordConfig.WRITER_BUDGET_MB_DEFAULT
              + ")");
    }
    if (c.record.gradientGroupMb < 0) {
      throw new IllegalArgumentException(
          "record.gradient_group_mb is "
              + c.record.gradientGroupMb
              + "; use 0 (write ensembles member by member) or more MiB (default "
              + RunConfig.RecordConfig.GRADIENT_GROUP_MB_DEFAULT
              + ")");
    }
    if (c.threads < 1) {
      throw new IllegalArgumentException("threads is " + c.threads + "; use 1 or more");
    }
    codec(c.record.compression);
    c.record.weights.validate("record.weights");
    c.record.gradients.validate("record.gradients");
    c.record.sampleLosses.validate("record.sample_losses");
    c.record.metrics.validate("record.metrics");
    c.record.curvature.validateAll();
    if (!c.record.curvature.isNever()) {
      TrainingCurvature.check(c);
    }
    if (!(c.divergence.warmupEpochs >= 0)) {
      throw new IllegalArgumentException(
          "divergence.warmup_epochs is " + c.divergence.warmupEpochs + "; use 0 or more, e.g. 1");
    }
    divergenceRules(c, 1);
    c.stop.rule(); // the stop.* keys, checked whether or not the rule is on
  }

  /** Checks that need the data (sizes). */
  static void validate(RunConfig c, TrainingData data) {
    int n = data.trainSize();
    if (c.sgd.batchSize > n) {
      throw new IllegalArgumentException(
          "sgd.batch_size "
              + c.sgd.batchSize
              + " is larger than the "
              + n
              + " training samples; use a batch size of at most "
              + n);
    }
    if (!c.record.gradients.isNever()) {
      long need = (long) c.record.ensembleSize * Recorder.ensembleBatch(c);
      if (need > n) {
        throw new IllegalArgumentException(
            "The gradient ensemble needs record.ensemble_size x batch = "
                + c.record.ensembleSize
                + " x "
                + Recorder.ensembleBatch(c)
                + " = "
                + need
                + " samples, more than the "
                + n
                + " training samples; lower record.ensemble_size or record.ensemble_batch");
      }
    }
  }

  static CompressionCodecName codec(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "uncompressed", "none" -> CompressionCodecName.UNCOMPRESSED;
      case "snappy" -> CompressionCodecName.SNAPPY;
      case "zstd" -> CompressionCodecName.ZSTD;
      case "gzip" -> CompressionCodecName.GZIP;
      default ->
          throw new IllegalArgumentException(
              "record.compression '"
                  + name
                  + "' is not known; use uncompressed, snappy, zstd or gzip");
    };
  }

  /**
   * Runs (or resumes, or skips) a run. A committed run with the same id is skipped unless {@code
   * overwrite}; then its partitions are replaced on commit, so rows are never duplicated.
   *
   * <p>The run's lease is taken first, so a second writer of the same id stops before it writes
   * anything. A commit that a crash interrupted is finished before anything else (the run is then
   * reported as committed, {@link Outcome#recovered}), and a run that stopped during training
   * resumes from its newest checkpoint.
   */
  public static Outcome execute(
      Lake lake, RunConfig config, boolean overwrite, LongConsumer progress) {
    validate(config);
    String runId = runId(config);
    try (RunLease lease = RunLease.acquire(lake, runId)) {
      RunStaging staging =
          new RunStaging(lake, runId, codec(config.record.compression), 128L << 20);
      Optional<RunStaging.Intent> pending = staging.pendingCommit();
      if (pending.isPresent()) {
        staging.rollForward(pending.get(), lease);
        return committedOutcome(runId, lake.runRow(runId).orElseThrow(), true);
      }
      Optional<RunStatus> status = lake.runStatus(runId).flatMap(RunStatus::of);
      if (status.equals(Optional.of(RunStatus.COMMITTED)) && !overwrite) {
        return committedOutcome(runId, lake.runRow(runId).orElseThrow(), false);
      }
      StopRequest.enter();
      try {
        return train(lake, config, runId, staging, lease, progress);
      } finally {
        StopRequest.leave();
      }
    }
  }

  private static Outcome train(
      Lake lake,
      RunConfig config,
      String runId,
      RunStaging staging,
      RunLease lease,
      LongConsumer progress) {
    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(config.threads));
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    TrainingData data = TrainingData.load(config);
    validate(config, data);
    Device device = SgdTrainer.device(config.device);
    String hash = ConfigLoader.hash(config);
    Instant started = Instant.now();
    Network network = newNetwork(config, data, device);
    SgdTrainer trainer;
    long estimate;
    try {
      long recorded = 0;
      for (int[] slice : Recorder.slices(network.layout(), config.record.layers)) {
        recorded += slice[1];
      }
      trainer = new SgdTrainer(config, data, network);
      if (!config.record.curvature.isNever()) {
        // An unknown record.curvature.layer or a model the engine cannot differentiate twice
        // fails here, before anything is written.
        TrainingCurvature.engine().open(config, data).close();
      }
      // Before anything is written: a run that cannot fit leaves the lake as it was.
      estimate = estimatedBytes(config, data, network.size(), recorded, trainer);
      checkSpace(lake, runId, estimate);
    } catch (RuntimeException e) {
      network.close();
      throw e;
    }
    long startStep = 0;
    try (network) {
      Divergence.Rules rules = divergenceRules(config, trainer.stepsPerEpoch());
      Divergence.Monitor monitor = new Divergence.Monitor(rules);
      FitStopRule.Monitor fit =
          config.stop.whenFit ? new FitStopRule.Monitor(config.stop.rule()) : null;
      Optional<Checkpoint> checkpoint =
          Checkpoint.read(lake, runId).filter(c -> c.configHash().equals(hash));
      if (checkpoint.isPresent() && !staging.keepOnly(checkpoint.get().stagedFiles())) {
        System.err.println(
            "sgdlens: run "
                + runId
                + ": a file named by the checkpoint at step "
                + checkpoint.get().step()
                + " is missing or changed; starting the run afresh");
        checkpoint = Optional.empty();
      }
      double lossSum = 0;
      long lossCount = 0;
      double wall0 = 0;
      if (checkpoint.isPresent()) {
        Checkpoint c = checkpoint.get();
        network.setWeights(c.weights());
        trainer.setVelocity(c.velocity());
        SgdTrainer.restoreMonitors(c.monitorState(), monitor, fit);
        startStep = c.step();
        lossSum = c.lossSum();
        lossCount = c.lossCount();
        wall0 = c.wallSeconds();
      } else {
        staging.clear();
        network.setWeights(network.initialWeights(config.sgd.seed));
      }
      Recorder recorder =
          new Recorder(config, data, network, () -> newNetwork(config, data, device), staging);
      SgdTrainer.Result result;
      long loopStart = System.nanoTime();
      try {
        if (startStep == 0) {
          recorder.writeRunTables();
        }
        result =
            trainer.train(
                recorder,
                startStep,
                lossSum,
                lossCount,
                wall0,
                monitor,
                fit,
                (step, w, v, ls, lc, wall, state) ->
                    recorder.checkpoint(
                        new Checkpoint(hash, step, w, v, ls, lc, wall, state, List.of()), lake),
                progress);
        recorder.writeFinalParams(result.finalWeights());
      } catch (RuntimeException | Error e) {
        // Whatever is queued up to the last checkpoint is written (it is what a resume needs);
        // a failed writer skips the rest.
        try {
          recorder.close();
        } catch (RuntimeException | Error suppressed) {
          if (suppressed != e) {
            e.addSuppressed(suppressed);
          }
        }
        throw e;
      }
      long trained = result.steps();
      long lastCheckpoint = lastCheckpointStep(config, trained);
      recorder.close(() -> StopRequest.check(trained, lastCheckpoint));
      double trainAndRecord = (System.nanoTime() - loopStart) / 1e9;
      Recorder.Metrics last = recorder.lastMetrics();
      Optional<String> reason = divergence(monitor, recorder, last, rules, data);
      RunsRow row =
          runsRow(
              config,
              runId,
              RunStatus.COMMITTED,
              started,
              data,
              network.size(),
              recorder.recordedLength(),
              result.steps(),
              (double) result.steps() / trainer.stepsPerEpoch(),
              device,
              last,
              reason,
              null,
              result.stopReason());
      staging.commit(row, lease);
      return new Outcome(
          runId,
          RunStatus.COMMITTED.name(),
          false,
          startStep > 0,
          false,
          result.steps(),
          result.stepsPerSecond(),
          result.wallSeconds(),
          reason.isPresent(),
          reason.orElse(null),
          result.stopReason(),
          last == null ? null : last.trainLoss(),
          last == null ? null : last.testAccuracy(),
          data.trainSize(),
          data.mislabeledCount(),
          network.size(),
          trainAndRecord,
          recorder.probeBusySeconds(),
          recorder.writerBusySeconds(),
          result.trainingCpuSeconds(),
          recorder.probeCpuSeconds(),
          recorder.writerCpuSeconds());
    } catch (RuntimeException e) {
      RuntimeException shown = explain(e, lake, runId, estimate, staging.bytesWritten(), startStep);
      try {
        staging.markFailed(
            runsRow(
                config,
                runId,
                RunStatus.FAILED,
                started,
                data,
                0,
                0,
                0,
                0,
                device,
                null,
                Optional.empty(),
                String.valueOf(shown.getMessage()),
                null));
      } catch (RuntimeException suppressed) {
        shown.addSuppressed(suppressed);
      }
      throw shown;
    }
  }

  /** The step of the last checkpoint a run of {@code steps} steps took (0 for none). */
  private static long lastCheckpointStep(RunConfig c, long steps) {
    if (c.checkpointEvery <= 0 || steps <= c.checkpointEvery) {
      return 0;
    }
    long last = (steps - 1) / c.checkpointEvery * c.checkpointEvery;
    return last;
  }

  /** The divergence rules of a run, the warm-up in steps. */
  static Divergence.Rules divergenceRules(RunConfig c, long stepsPerEpoch) {
    return new Divergence.Rules(
        c.divergence.lossRatio,
        c.divergence.lossWindow,
        c.divergence.chanceMargin,
        (long) Math.ceil(c.divergence.warmupEpochs * stepsPerEpoch));
  }

  /** Why a run that finished counts as diverged, if it does (the first rule that fired). */
  private static Optional<String> divergence(
      Divergence.Monitor monitor,
      Recorder recorder,
      Recorder.Metrics last,
      Divergence.Rules rules,
      TrainingData data) {
    if (monitor.diverged()) {
      return monitor.reason();
    }
    if (recorder.sawNonFiniteGradient()) {
      return Optional.of("a recorded gradient has NaN or infinite values");
    }
    if (last != null) {
      return Divergence.atChance(rules, last.step(), last.trainAccuracy(), chance(data));
    }
    return Optional.empty();
  }

  /** The training accuracy of always guessing the most common given label. */
  static double chance(TrainingData data) {
    int[] counts = new int[Math.max(1, data.classes())];
    for (int label : data.givenLabels()) {
      counts[label]++;
    }
    int most = 0;
    for (int c : counts) {
      most = Math.max(most, c);
    }
    return data.trainSize() == 0 ? 0 : (double) most / data.trainSize();
  }

  /**
   * The error the user sees for a failed run: a full disk names the lake, the free space and what
   * the run still needed; a signal says how to resume.
   */
  private static RuntimeException explain(
      RuntimeException e, Lake lake, String runId, long estimate, long written, long startStep) {
    if (e instanceof StopRequest.Stopped stopped) {
      return new StopRequest.Stopped(
          stopped.signal(),
          stopped.step(),
          stopped.checkpoint(),
          "Run "
              + runId
              + " stopped by "
              + stopped.signal()
              + " at step "
              + stopped.step()
              + " and is marked FAILED; run the same command again to resume it from "
              + (stopped.checkpoint() > 0
                  ? "its checkpoint at step " + stopped.checkpoint()
                  : "the start (no checkpoint yet)"));
    }
    if (LakeErrors.isDiskFull(e)) {
      OptionalLong free = LakeErrors.freeBytes(lake);
      return new LakeErrors.DiskFull(
          "Run "
              + runId
              + " stopped: the disk holding the lake "
              + lake.root()
              + " is full ("
              + e.getMessage()
              + "). The run needs about "
              + LakeErrors.bytes(estimate)
              + " in all and had written "
              + LakeErrors.bytes(written)
              + (free.isPresent() ? "; " + LakeErrors.bytes(free.getAsLong()) + " are free" : "")
              + ". Free at least "
              + LakeErrors.bytes(Math.max(0, estimate - written))
              + " or use --lake on a larger disk, then run the same command again to resume"
              + (startStep > 0 ? " (from step " + startStep + " or later)" : ""),
          free.orElse(-1),
          e);
    }
    return e;
  }

  /** Refuses to start a run whose records cannot fit in the free space of the lake's disk. */
  private static void checkSpace(Lake lake, String runId, long estimate) {
    OptionalLong free = LakeErrors.freeBytes(lake);
    if (free.isPresent() && free.getAsLong() < estimate) {
      throw new LakeErrors.DiskFull(
          "Run "
              + runId
              + " needs about "
              + LakeErrors.bytes(estimate)
              + " in the lake "
              + lake.root()
              + " but its disk has "
              + LakeErrors.bytes(free.getAsLong())
              + " free; nothing was written (what the run recorded earlier is kept). Free space, record less (record.gradients, record.weights, record.sample_losses"
              + " schedules) or use --lake on a larger disk",
          free.getAsLong(),
          null);
    }
  }

  /**
   * Bytes a run writes into the lake, from its schedules: vector tables at 4 bytes a float, row
   * tables at their uncompressed row size (an upper bound: compression only shrinks them).
   */
  static long estimatedBytes(
      RunConfig c, TrainingData data, long params, long recorded, SgdTrainer trainer) {
    long total = trainer.totalSteps();
    long perEpoch = trainer.stepsPerEpoch();
    long weights = c.record.weights.resolve(total, perEpoch).size() * recorded * Float.BYTES;
    int parts = data.mislabeledCount() > 0 ? 2 : 1;
    long gradients =
        (long) c.record.gradients.resolve(total, perEpoch).size()
            * c.record.ensembleSize
            * parts
            * params
            * Float.BYTES;
    int lossRows =
        c.record.sampleLossSubset > 0
            ? Math.min(c.record.sampleLossSubset, data.trainSize())
            : data.trainSize();
    long losses = (long) c.record.sampleLosses.resolve(total, perEpoch).size() * lossRows * 40L;
    long metrics = c.record.metrics.resolve(total, perEpoch).size() * 100L;
    return weights
        + gradients
        + losses
        + metrics
        + params * Float.BYTES
        + data.trainSize() * 30L
        + (64L << 10);
  }

  static Network newNetwork(RunConfig config, TrainingData data, Device device) {
    return new Network(config.model, data.inputShape(), data.classes(), device);
  }

  /**
   * The outcome of a run committed earlier, from its row in {@code runs}: what it trained and its
   * final metrics (a caller that skips training still reports them); times are not stored, so 0.
   */
  static Outcome committedOutcome(
      String runId, java.util.Map<String, Object> row, boolean recovered) {
    return new Outcome(
        runId,
        RunStatus.COMMITTED.name(),
        !recovered,
        false,
        recovered,
        (Long) row.get("steps"),
        0,
        0,
        (Boolean) row.get("diverged"),
        (String) row.get("diverged_reason"),
        (String) row.get("stop_reason"),
        (Double) row.get("final_train_loss"),
        (Double) row.get("final_test_accuracy"),
        (Integer) row.get("train_size"),
        (Integer) row.get("num_mislabeled"),
        (Long) row.get("num_params"),
        0,
        0,
        0,
        0,
        0,
        0);
  }

  static RunsRow runsRow(
      RunConfig c,
      String runId,
      RunStatus status,
      Instant started,
      TrainingData data,
      long params,
      long recorded,
      long steps,
      double epochs,
      Device device,
      Recorder.Metrics last,
      Optional<String> divergedReason,
      String message,
      String stopReason) {
    return new RunsRow(
        status,
        started,
        Instant.now(),
        c.dataset.name,
        modelSpec(c, data),
        params,
        recorded,
        data.trainSize(),
        data.testSize(),
        c.noise.fraction,
        c.noise.fraction > 0 ? c.noise.kind : "none",
        data.mislabeledCount(),
        c.sgd.seed,
        c.sgd.learningRate,
        c.sgd.momentum,
        c.sgd.weightDecay,
        c.sgd.batchSize,
        steps,
        epochs,
        device.toString(),
        last == null ? null : last.trainLoss(),
        last == null ? null : last.testAccuracy(),
        divergedReason.isPresent(),
        message,
        ConfigLoader.toJson(c),
        divergedReason.orElse(null),
        stopReason);
  }

  /** A compact model description such as {@code mlp:784-256-10} or {@code cnn:16-32/128-10}. */
  public static String modelSpec(RunConfig c, TrainingData data) {
    String loss = c.model.loss.equals(RunConfig.ModelConfig.LOSS_DEFAULT) ? "" : "," + c.model.loss;
    if (c.model.kind.equals("resnet")) {
      return "resnet"
          + c.model.depth
          + (c.model.widths.isEmpty() ? "" : ":" + c.model.widths)
          + "/"
          + data.classes()
          + loss;
    }
    if (c.model.kind.equals("djl")) {
      return "djl:" + (c.model.path.isBlank() ? "user block" : c.model.path) + loss;
    }
    if (c.model.kind.equals("torchscript")) {
      return "torchscript:" + java.nio.file.Path.of(c.model.path).getFileName() + loss;
    }
    StringBuilder s = new StringBuilder(c.model.kind).append(':');
    if (c.model.kind.equals("cnn")) {
      c.model.channels.forEach(ch -> s.append(ch).append('-'));
      s.setLength(s.length() - 1);
      s.append('/');
    } else {
      s.append(data.features()).append('-');
    }
    c.model.hidden.forEach(h -> s.append(h).append('-'));
    s.append(data.classes());
    if (!c.model.bias) {
      s.append(",nobias");
    }
    if (!c.model.activation.equals("relu")) {
      s.append(',').append(c.model.activation);
    }
    return s.append(loss).toString();
  }
}
