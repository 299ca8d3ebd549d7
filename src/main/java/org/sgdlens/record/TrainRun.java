package org.sgdlens.record;

import ai.djl.Device;
import java.time.Instant;
import java.util.HashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.function.LongConsumer;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.RunStaging;

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
      long steps,
      double stepsPerSecond,
      double wallSeconds,
      boolean diverged,
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

  /** The run id of a config: its own, or name-hash. */
  public static String runId(RunConfig config) {
    if (config.runId != null && !config.runId.isBlank()) {
      return config.runId;
    }
    return config.name + "-" + ConfigLoader.hash(config);
  }

  /** Checks everything that can be checked without data, naming the value and the fix. */
  public static void validate(RunConfig c) {
    if (!c.runId.isBlank() && !c.runId.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException(
          "run_id '" + c.runId + "' has characters outside A-Z a-z 0-9 . _ -; choose another");
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
    if (c.sgd.steps < 0 || c.sgd.steps == 0 && !(c.sgd.epochs > 0)) {
      throw new IllegalArgumentException(
          "sgd.steps is "
              + c.sgd.steps
              + " and sgd.epochs is "
              + c.sgd.epochs
              + "; give a positive number of steps or epochs");
    }
    if (c.record.ensembleSize < 1) {
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
    if (c.threads < 1) {
      throw new IllegalArgumentException("threads is " + c.threads + "; use 1 or more");
    }
    codec(c.record.compression);
    c.record.weights.validate("record.weights");
    c.record.gradients.validate("record.gradients");
    c.record.sampleLosses.validate("record.sample_losses");
    c.record.metrics.validate("record.metrics");
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
   */
  public static Outcome execute(
      Lake lake, RunConfig config, boolean overwrite, LongConsumer progress) {
    validate(config);
    String runId = runId(config);
    Optional<String> status = lake.runStatus(runId);
    if (status.isPresent() && status.get().equals("COMMITTED") && !overwrite) {
      return committedOutcome(runId, lake.runRow(runId).orElseThrow());
    }
    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(config.threads));
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    TrainingData data = TrainingData.load(config);
    validate(config, data);
    Device device = SgdTrainer.device(config.device);
    String hash = ConfigLoader.hash(config);
    RunStaging staging = new RunStaging(lake, runId, codec(config.record.compression), 128L << 20);
    Instant started = Instant.now();
    Network network = newNetwork(config, data, device);
    try {
      Recorder.slices(network.layout(), config.record.layers);
    } catch (RuntimeException e) {
      network.close();
      throw e;
    }
    try (network) {
      SgdTrainer trainer = new SgdTrainer(config, data, network);
      Optional<Checkpoint> checkpoint =
          Checkpoint.read(lake, runId).filter(c -> c.configHash().equals(hash));
      long startStep = 0;
      double lossSum = 0;
      long lossCount = 0;
      double wall0 = 0;
      if (checkpoint.isPresent()) {
        Checkpoint c = checkpoint.get();
        staging.discardFilesNotIn(new HashSet<>(c.stagedFiles()));
        network.setWeights(c.weights());
        trainer.setVelocity(c.velocity());
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
                (step, w, v, ls, lc, wall) ->
                    recorder.checkpoint(
                        new Checkpoint(hash, step, w, v, ls, lc, wall, java.util.List.of()), lake),
                progress);
        recorder.writeFinalParams(result.finalWeights());
      } catch (RuntimeException e) {
        try {
          recorder.close();
        } catch (RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      }
      recorder.close();
      double trainAndRecord = (System.nanoTime() - loopStart) / 1e9;
      Recorder.Metrics last = recorder.lastMetrics();
      boolean diverged = result.diverged() || recorder.sawNonFiniteGradient();
      Object[] row =
          runsRow(
              config,
              runId,
              "COMMITTED",
              started,
              data,
              network.size(),
              recorder.recordedLength(),
              result.steps(),
              (double) result.steps() / trainer.stepsPerEpoch(),
              device,
              last,
              diverged,
              null);
      staging.commit(row);
      return new Outcome(
          runId,
          "COMMITTED",
          false,
          startStep > 0,
          result.steps(),
          result.stepsPerSecond(),
          result.wallSeconds(),
          diverged,
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
      try {
        staging.markFailed(
            runsRow(
                config,
                runId,
                "FAILED",
                started,
                data,
                0,
                0,
                0,
                0,
                device,
                null,
                false,
                String.valueOf(e.getMessage())));
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  static Network newNetwork(RunConfig config, TrainingData data, Device device) {
    return new Network(config.model, data.inputShape(), data.classes(), device);
  }

  /**
   * The outcome of a run committed earlier, from its row in {@code runs}: what it trained and its
   * final metrics (a caller that skips training still reports them); times are not stored, so 0.
   */
  static Outcome committedOutcome(String runId, java.util.Map<String, Object> row) {
    return new Outcome(
        runId,
        "COMMITTED",
        true,
        false,
        (Long) row.get("steps"),
        0,
        0,
        (Boolean) row.get("diverged"),
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

  private static Object[] runsRow(
      RunConfig c,
      String runId,
      String status,
      Instant started,
      TrainingData data,
      long params,
      long recorded,
      long steps,
      double epochs,
      Device device,
      Recorder.Metrics last,
      boolean diverged,
      String message) {
    return new Object[] {
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
      diverged,
      message,
      ConfigLoader.toJson(c)
    };
  }

  /** A compact model description such as {@code mlp:784-256-10} or {@code cnn:16-32/128-10}. */
  public static String modelSpec(RunConfig c, TrainingData data) {
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
    return s.toString();
  }
}
