package org.sgdlens.record;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.sgdlens.kernel.CurvatureOracle;
import org.sgdlens.kernel.Permutations;
import org.sgdlens.lake.CrashPoint;
import org.sgdlens.lake.CurvatureDensityRow;
import org.sgdlens.lake.CurvatureRow;
import org.sgdlens.lake.FinalParamsKey;
import org.sgdlens.lake.GradientPart;
import org.sgdlens.lake.GradientsKey;
import org.sgdlens.lake.MetricsRow;
import org.sgdlens.lake.ParamLayoutRow;
import org.sgdlens.lake.RunStaging;
import org.sgdlens.lake.SampleLossesRow;
import org.sgdlens.lake.SamplesRow;
import org.sgdlens.lake.VectorChunks;
import org.sgdlens.lake.VectorKey;
import org.sgdlens.lake.WeightsKey;

/**
 * Captures the learning dynamics of a run into its staging folder. The training thread only hands
 * over weight snapshots; probe lanes, each with its own copy of the network, compute the gradient
 * ensembles, per-sample losses and metrics from them (so recording never touches the training
 * trajectory), and a writer thread encodes and writes Parquet. Both queues are bounded.
 */
final class Recorder implements AutoCloseable {
  /** What to record at a step. */
  enum Kind {
    WEIGHTS,
    GRADIENTS,
    SAMPLE_LOSSES,
    METRICS,
    CURVATURE
  }

  /** The last metrics recorded, for the runs row. */
  record Metrics(long step, double trainLoss, double trainAccuracy, double testAccuracy) {}

  private final RunConfig config;
  private final TrainingData data;
  private final List<Network.ParamInfo> layout;
  private final int[][] recordedSlices;
  private final int recordedLength;
  private final int chunk;
  private final boolean noisy;

  /**
   * Whether each gradient ensemble is written as one group, chunk by chunk (order-params then reads
   * it without a shuffle), rather than member by member as it is computed ({@link
   * #groupsEnsembles}).
   */
  private final boolean groupedGradients;

  private final int[] lossSubset;
  private final SerialWorker probe;
  private final SerialWorker writer;

  /**
   * Network of each probe lane: lane 0 is the probe thread, lane l > 0 runs on helpers[l - 1].
   * Inline recording has one lane, the training network itself.
   */
  private final Network[] laneNetworks;

  private final List<SerialWorker> helpers = new ArrayList<>();

  /** Set when training has ended: from then on the helper lanes join in (see {@link #lanes()}). */
  private volatile boolean trainingEnded;

  /** The Hessian engine of record.curvature, used on the probe thread; null when not scheduled. */
  private final CurvatureOracle curvature;

  private volatile Metrics lastMetrics;
  private volatile boolean nonFiniteGradient;

  Recorder(
      RunConfig config,
      TrainingData data,
      Network trainNetwork,
      Supplier<Network> shadowFactory,
      RunStaging staging) {
    this.config = config;
    this.data = data;
    this.layout = trainNetwork.layout();
    this.chunk = config.record.chunk;
    this.noisy = data.mislabeledCount() > 0;
    this.recordedSlices = slices(layout, config.record.layers);
    int length = 0;
    for (int[] s : recordedSlices) {
      length += s[1];
    }
    this.recordedLength = length;
    this.lossSubset = lossSubset(config, data);
    this.groupedGradients =
        groupsEnsembles(config, trainNetwork.size(), noisy, Runtime.getRuntime().maxMemory());
    if (!groupedGradients && !config.record.gradients.isNever()) {
      System.err.println(
          config.record.gradientGroupMb == 0
              ? "sgdlens: record.gradient_group_mb is 0: gradient ensembles are written member by"
                  + " member, and order-params will shuffle them"
              : String.format(
                  java.util.Locale.ROOT,
                  "sgdlens: a gradient ensemble holds %.1f MiB, above record.gradient_group_mb"
                      + " (%d) or a third of the heap (%.0f MiB); ensembles are written member by"
                      + " member, and order-params will shuffle them (raise both to avoid it)",
                  ensembleBytes(config, trainNetwork.size(), noisy) / (double) (1 << 20),
                  config.record.gradientGroupMb,
                  Runtime.getRuntime().maxMemory() / 3.0 / (1 << 20)));
    }
    // Opened before the threads start: a model or layer the engine refuses fails the run here.
    this.curvature =
        config.record.curvature.isNever() ? null : TrainingCurvature.engine().open(config, data);
    int capacity = Math.max(1, config.record.queueCapacity);
    // Snapshots waiting for the probe: as many as fit in the snapshot budget, at least two.
    long snapshotBytes = trainNetwork.size() * (long) Float.BYTES;
    int probeCapacity =
        (int) Math.max(2, Math.min(256, (config.record.snapshotBudgetMb << 20) / snapshotBytes));
    int nice = config.record.threadNice;
    // The writer runs at the probe's nice value: nice 5, 10 and 15 for the writer gave the same
    // T1 within the benchmark's noise (three runs each, docs/benchmarks.md).
    // Tasks waiting for the writer: a count for the small ones (metrics, losses) and a byte budget
    // for those holding a vector: 32 ResNet-18 gradients are 1.4 GB.
    this.writer =
        new SerialWorker(
            "sgdlens-writer",
            capacity * 4,
            Math.max(1, config.record.writerBudgetMb) << 20,
            () -> ThreadNice.set(nice),
            staging::closeOpenFiles);
    this.writerStaging = staging;
    if (config.parallelRecording) {
      this.laneNetworks = new Network[Math.max(1, config.record.probeThreads)];
      this.probe =
          new SerialWorker(
              "sgdlens-probe", probeCapacity, lane(0, nice, shadowFactory), closeLane(0));
      for (int l = 1; l < laneNetworks.length; l++) {
        helpers.add(
            new SerialWorker("sgdlens-probe-" + l, 1, lane(l, nice, shadowFactory), closeLane(l)));
      }
    } else {
      this.laneNetworks = new Network[] {trainNetwork};
      this.probe = null;
    }
  }

  private final RunStaging writerStaging;

  /** Starts a probe lane's thread: lower priority, then its own copy of the network. */
  private Runnable lane(int lane, int nice, Supplier<Network> shadowFactory) {
    return () -> {
      ThreadNice.set(nice);
      laneNetworks[lane] = shadowFactory.get();
    };
  }

  private Runnable closeLane(int lane) {
    return () -> {
      if (laneNetworks[lane] != null) {
        laneNetworks[lane].close();
      }
    };
  }

  /**
   * Runs {@code work} on every lane at once (lane 0 on the calling probe thread) and waits for all:
   * a probe task's passes are split over the lanes, tasks still run one after another, so the
   * writer sees whole tasks in step order. Inline recording has one lane, the training network.
   */
  private void onLanes(float[] snapshot, Consumer<Network> work) {
    int lanes = lanes(); // once per task: training may end meanwhile
    if (lanes == 1) {
      if (probe != null) {
        laneNetworks[0].setWeights(snapshot);
      }
      work.accept(laneNetworks[0]);
      return;
    }
    CountDownLatch done = new CountDownLatch(lanes - 1);
    AtomicReference<Throwable> failed = new AtomicReference<>();
    for (int l = 1; l < lanes; l++) {
      int lane = l;
      helpers
          .get(l - 1)
          .submit(
              () -> {
                try {
                  laneNetworks[lane].setWeights(snapshot);
                  work.accept(laneNetworks[lane]);
                } catch (Throwable t) {
                  failed.compareAndSet(null, t);
                } finally {
                  done.countDown();
                }
              });
    }
    Throwable own = null;
    try {
      laneNetworks[0].setWeights(snapshot);
      work.accept(laneNetworks[0]);
    } catch (Throwable t) {
      own = t;
    } finally {
      try {
        // A helper whose thread failed to start never runs its task: its failure ends the wait.
        while (!done.await(100, TimeUnit.MILLISECONDS)) {
          helpers.forEach(SerialWorker::rethrow);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while waiting for the probe lanes", e);
      }
    }
    // The lane that failed first says why; the others only stopped because of it.
    Throwable t = own;
    Throwable helper = failed.get();
    if ((t == null || t instanceof LaneAborted)
        && helper != null
        && !(helper instanceof LaneAborted)) {
      t = helper;
    } else if (t == null) {
      t = helper;
    }
    if (t instanceof LaneAborted a && a.getCause() != null) {
      t = a.getCause();
    }
    if (t instanceof RuntimeException e) {
      throw e;
    } else if (t instanceof Error e) {
      throw e;
    } else if (t != null) {
      throw new IllegalStateException(t);
    }
  }

  /** Thrown on a lane that stops because another lane failed; its cause is that failure. */
  private static final class LaneAborted extends IllegalStateException {
    LaneAborted(Throwable cause) {
      super("Stopped because another probe lane failed: " + cause, cause);
    }
  }

  /**
   * Lanes a probe task uses. While training runs, one: the training thread holds a core and the
   * probe the one it leaves, and two lanes taking turns on one core only evict each other's weights
   * from the cache. Once training has ended, every lane, on the cores training freed.
   */
  private int lanes() {
    return probe == null || !trainingEnded ? 1 : laneNetworks.length;
  }

  /** Gradient vectors the writer has finished with, for the probe to fill again. */
  private final ConcurrentLinkedQueue<byte[]> freeGradients = new ConcurrentLinkedQueue<>();

  int recordedLength() {
    return recordedLength;
  }

  Metrics lastMetrics() {
    return lastMetrics;
  }

  boolean sawNonFiniteGradient() {
    return nonFiniteGradient;
  }

  /** (offset, length, weightsOffset) of each recorded parameter, in layout order. */
  static int[][] slices(List<Network.ParamInfo> layout, List<String> layers) {
    List<String> names = layout.stream().map(Network.ParamInfo::name).toList();
    for (String wanted : layers) {
      if (!names.contains(wanted)) {
        throw new IllegalArgumentException(
            "record.layers names '"
                + wanted
                + "', which the model does not have; its parameters"
                + " are "
                + names);
      }
    }
    List<int[]> out = new ArrayList<>();
    int at = 0;
    for (Network.ParamInfo p : layout) {
      if (layers.isEmpty() ? p.trainable() : layers.contains(p.name())) {
        out.add(new int[] {(int) p.offset(), (int) p.size(), at});
        at += (int) p.size();
      }
    }
    return out.toArray(int[][]::new);
  }

  private static int[] lossSubset(RunConfig config, TrainingData data) {
    int n = data.trainSize();
    int k = config.record.sampleLossSubset;
    if (k <= 0 || k >= n) {
      int[] all = new int[n];
      for (int i = 0; i < n; i++) {
        all[i] = i;
      }
      return all;
    }
    int[] perm = Permutations.permutation(n, config.sgd.seed, 0x105E);
    int[] subset = Arrays.copyOf(perm, k);
    Arrays.sort(subset);
    return subset;
  }

  /** Writes the once-per-run tables: parameter layout and samples with their labels. */
  void writeRunTables() {
    writer.submit(
        () -> {
          for (Network.ParamInfo p : layout) {
            long weightsOffset = -1;
            for (int[] s : recordedSlices) {
              if (s[0] == p.offset()) {
                weightsOffset = s[2];
              }
            }
            writerStaging.write(
                new ParamLayoutRow(
                    p.position(),
                    p.name(),
                    Arrays.toString(p.shape()),
                    p.offset(),
                    p.size(),
                    weightsOffset,
                    p.trainable()));
          }
          for (int i = 0; i < data.trainSize(); i++) {
            writerStaging.write(
                new SamplesRow(
                    data.sampleIndex()[i],
                    data.sourceIndex()[i],
                    data.givenLabels()[i],
                    data.trueLabels()[i],
                    data.mislabeled(i)));
          }
        });
  }

  /**
   * Records what {@code kinds} asks for at a step from a snapshot of all parameters. The snapshot
   * must not be modified afterwards.
   */
  void record(
      long step,
      double epoch,
      float[] snapshot,
      Set<Kind> kinds,
      Double minibatchLoss,
      double wallSeconds) {
    if (kinds.isEmpty()) {
      return;
    }
    // Everything goes through the probe queue, even plain weight snapshots, so the writer sees
    // records in step order and a checkpoint names exactly the files written before it.
    Runnable work =
        () -> {
          if (kinds.contains(Kind.WEIGHTS)) {
            float[] recorded = recordedVector(snapshot);
            writer.submit(
                () -> writeVector(new WeightsKey(step), recorded),
                (long) recorded.length * Float.BYTES);
          }
          if (kinds.contains(Kind.GRADIENTS)
              || kinds.contains(Kind.SAMPLE_LOSSES)
              || kinds.contains(Kind.METRICS)) {
            probe(step, epoch, snapshot, kinds, minibatchLoss, wallSeconds);
          }
          if (kinds.contains(Kind.CURVATURE)) {
            curvature(step, snapshot);
          }
        };
    if (probe != null) {
      probe.submit(work);
    } else {
      work.run();
      if (laneNetworks[0].hasRunningStatistics()) {
        // The probes' forward passes in training mode moved the running statistics of the
        // training network itself: put back the snapshot's, so recording leaves training alone.
        laneNetworks[0].setWeights(snapshot);
      }
    }
  }

  /** Passes a checkpoint through both queues, so it names exactly the files written before it. */
  void checkpoint(Checkpoint partial, org.sgdlens.lake.Lake lake) {
    Runnable toWriter =
        () ->
            writer.submit(
                () -> {
                  writerStaging.closeOpenFiles();
                  lake.at(CrashPoint.CHECKPOINT_FILES_CLOSED);
                  partial
                      .withFiles(writerStaging.stagedFilesWithSizes())
                      .write(lake, writerStaging.runId());
                });
    if (probe != null) {
      probe.submit(toWriter);
    } else {
      toWriter.run();
    }
  }

  /**
   * Writes all P final parameters. Through the probe queue like every record, so that a checkpoint
   * still queued there never names the final parameters' file (a resume would write them twice).
   */
  void writeFinalParams(float[] weights) {
    Runnable toWriter =
        () ->
            writer.submit(
                () -> writeVector(new FinalParamsKey(), weights),
                (long) weights.length * Float.BYTES);
    if (probe != null) {
      probe.submit(toWriter);
    } else {
      toWriter.run();
    }
  }

  /**
   * The Hessian estimates at a snapshot (record.curvature), on the probe thread with the engine's
   * own float64 copy of the weights: the training network is not touched.
   */
  private void curvature(long step, float[] snapshot) {
    CurvatureSchedule settings = config.record.curvature;
    for (float v : snapshot) {
      if (!Float.isFinite(v)) {
        // A diverged run: there is no curvature to measure, and the run says why it ended.
        System.err.println(
            "sgdlens: record.curvature skipped at step "
                + step
                + ": the weights are not finite (the run diverged)");
        return;
      }
    }
    CurvatureOracle.Estimates e = curvature.at(snapshot);
    boolean subset = e.rows() < data.trainSize();
    CurvatureRow row =
        new CurvatureRow(
            step,
            settings.scope(),
            e.loss(),
            e.params(),
            subset ? "subset" : "train",
            e.rows(),
            subset ? settings.seed : null,
            e.eigenvalues().length,
            e.eigenvalues()[0],
            e.eigenvalues(),
            e.residuals(),
            e.lanczosSteps(),
            e.trace(),
            e.traceStandardError(),
            e.probes(),
            settings.seed,
            CurvatureRow.SOURCE_RECORD);
    writer.submit(
        () -> {
          writerStaging.write(row);
          for (int i = 0; i < e.grid().length; i++) {
            writerStaging.write(
                new CurvatureDensityRow(
                    step,
                    settings.scope(),
                    i,
                    e.grid()[i],
                    e.density()[i],
                    CurvatureRow.SOURCE_RECORD));
          }
        });
  }

  private float[] recordedVector(float[] snapshot) {
    if (recordedSlices.length == layout.size()) {
      return snapshot;
    }
    float[] out = new float[recordedLength];
    for (int[] s : recordedSlices) {
      System.arraycopy(snapshot, s[0], out, s[2], s[1]);
    }
    return out;
  }

  /** Rows {prefix..., chunk, offset, length, values} of a vector in fixed-size chunks. */
  private void writeVector(VectorKey key, float[] vector) {
    writerStaging.writeVector(key, vector, chunk);
  }

  private void probe(
      long step,
      double epoch,
      float[] snapshot,
      Set<Kind> kinds,
      Double minibatchLoss,
      double wallSeconds) {
    // Inline recording runs on the training network, which holds exactly these weights.
    if (kinds.contains(Kind.GRADIENTS)) {
      int[] perm =
          Permutations.permutation(
              data.trainSize(), Permutations.mix(config.sgd.seed, 0xE45E), step);
      Members members =
          new Members(
              config.record.ensembleSize,
              2 * laneNetworks.length,
              groupedGradients ? new EnsembleGroup() : null);
      onLanes(snapshot, net -> ensemble(net, step, perm, members));
      submitGroup(members.group);
    }
    if (kinds.contains(Kind.SAMPLE_LOSSES) || kinds.contains(Kind.METRICS)) {
      evaluate(snapshot, step, epoch, kinds, minibatchLoss, wallSeconds);
    }
  }

  /**
   * The members of one gradient ensemble, shared by the lanes: each lane takes the next member when
   * it is free, and the writer receives them in member order whichever lane computed them (so the
   * files do not depend on the number of lanes). A lane may run ahead of the oldest member still
   * computing by at most {@code window} members, which bounds the gradients held.
   */
  private static final class Members {
    private final int count;
    private final int window;
    private final EnsembleGroup group;
    private final TreeMap<Integer, Runnable> done = new TreeMap<>();
    private int taken;
    private int next;
    private boolean failed;
    private Throwable cause;

    Members(int count, int window, EnsembleGroup group) {
      this.count = count;
      this.window = window;
      this.group = group;
    }

    /** The next member to compute, or -1 when every member is taken. */
    synchronized int take() {
      while (!failed && taken < count && taken >= next + window) {
        try {
          wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("Interrupted while waiting for a gradient member", e);
        }
      }
      if (failed) {
        throw new LaneAborted(cause);
      }
      return taken < count ? taken++ : -1;
    }

    /** Hands over a computed member; runs every member's hand-over that is now in order. */
    synchronized void complete(int member, Runnable handOver) {
      done.put(member, handOver);
      while (!done.isEmpty() && done.firstKey() == next) {
        done.pollFirstEntry().getValue().run();
        next++;
      }
      notifyAll();
    }

    synchronized void fail(Throwable why) {
      if (!failed) {
        cause = why;
      }
      failed = true;
      notifyAll();
    }
  }

  /** The vectors of one ensemble, in member order, while it is computed. */
  private static final class EnsembleGroup {
    final List<GradientsKey> keys = new ArrayList<>();
    final List<byte[]> packed = new ArrayList<>();
    long bytes;
  }

  /** Hands a whole ensemble to the writer, written chunk by chunk; its buffers come back after. */
  private void submitGroup(EnsembleGroup group) {
    if (group == null || group.keys.isEmpty()) {
      return;
    }
    writer.submit(
        () ->
            writerStaging.writeVectorGroup(
                group.keys, group.packed, chunk, () -> group.packed.forEach(freeGradients::offer)),
        group.bytes);
  }

  /** Computes members of the gradient ensemble at {@code step} until none is left. */
  private void ensemble(Network net, long step, int[] perm, Members members) {
    try {
      for (int member = members.take(); member >= 0; member = members.take()) {
        member(net, step, perm, member, members);
      }
    } catch (RuntimeException | Error e) {
      members.fail(e);
      throw e;
    }
  }

  private void member(Network net, long step, int[] perm, int member, Members members) {
    int m = config.record.ensembleSize;
    int b = ensembleBatch(config);
    int p = (int) net.size();
    int from = member * b;
    if (noisy && net.couplesSamples()) {
      boolean[] wrong = new boolean[b];
      int nw = 0;
      for (int i = 0; i < b; i++) {
        wrong[i] = data.mislabeled(perm[from + i]);
        nw += wrong[i] ? 1 : 0;
      }
      byte[] gc = gradientBuffer(p, b - nw);
      byte[] gw = gradientBuffer(p, nw);
      noteFinite(
          net.gradientParts(
              data.trainX(),
              data.features(),
              data.givenLabels(),
              perm,
              from,
              b,
              wrong,
              1.0 / b,
              gc,
              gw));
      int cleanCount = b - nw;
      int wrongCount = nw;
      members.complete(
          member,
          () -> {
            submitGradient(members, step, member, GradientPart.CLEAN, m, b, cleanCount, gc);
            submitGradient(members, step, member, GradientPart.WRONG, m, b, wrongCount, gw);
          });
    } else if (noisy) {
      int[] clean = new int[b];
      int[] wrong = new int[b];
      int nc = 0;
      int nw = 0;
      for (int i = from; i < from + b; i++) {
        if (data.mislabeled(perm[i])) {
          wrong[nw++] = perm[i];
        } else {
          clean[nc++] = perm[i];
        }
      }
      byte[] gc = gradientBuffer(p, nc);
      byte[] gw = gradientBuffer(p, nw);
      boolean finite =
          net.gradient(
                  data.trainX(), data.features(), data.givenLabels(), clean, 0, nc, 1.0 / b, gc)
              & net.gradient(
                  data.trainX(), data.features(), data.givenLabels(), wrong, 0, nw, 1.0 / b, gw);
      noteFinite(finite);
      int cleanCount = nc;
      int wrongCount = nw;
      members.complete(
          member,
          () -> {
            submitGradient(members, step, member, GradientPart.CLEAN, m, b, cleanCount, gc);
            submitGradient(members, step, member, GradientPart.WRONG, m, b, wrongCount, gw);
          });
    } else {
      byte[] g = gradientBuffer(p, b);
      noteFinite(
          net.gradient(
              data.trainX(), data.features(), data.givenLabels(), perm, from, b, 1.0 / b, g));
      members.complete(
          member, () -> submitGradient(members, step, member, GradientPart.ALL, m, b, b, g));
    }
  }

  /**
   * A gradient of {@code rows} samples packed as the lake stores it (little-endian float32): reused
   * from the writer when one is free (gradients are the bulk of what a run records, and fresh
   * arrays cost zeroing and collection). Zeroed only for an empty part, the one case {@link
   * Network#gradient} leaves it untouched.
   */
  private byte[] gradientBuffer(int p, int rows) {
    byte[] g = freeGradients.poll();
    if (g == null || g.length != p * Float.BYTES) {
      return new byte[p * Float.BYTES];
    }
    if (rows == 0) {
      Arrays.fill(g, (byte) 0);
    }
    return g;
  }

  /** Bytes of one gradient ensemble: M members, two parts each with label noise, P floats. */
  static long ensembleBytes(RunConfig config, long params, boolean noisy) {
    return (long) config.record.ensembleSize * (noisy ? 2 : 1) * params * Float.BYTES;
  }

  /**
   * Grouped when an ensemble fits in {@code record.gradient_group_mb} and in a third of the heap:
   * the writer then holds all its vectors until the last member is computed.
   */
  static boolean groupsEnsembles(RunConfig config, long params, boolean noisy, long maxHeap) {
    long bytes = ensembleBytes(config, params, noisy);
    return bytes <= (config.record.gradientGroupMb << 20) && bytes <= maxHeap / 3;
  }

  static int ensembleBatch(RunConfig config) {
    return config.record.ensembleBatch > 0 ? config.record.ensembleBatch : config.sgd.batchSize;
  }

  private void noteFinite(boolean finite) {
    if (!finite) {
      nonFiniteGradient = true;
    }
  }

  /**
   * The writer holds {@code g} until its row group is written, then hands it back for reuse; in a
   * grouped ensemble it waits in the group for the other members first.
   */
  private void submitGradient(
      Members members,
      long step,
      int member,
      GradientPart part,
      int m,
      int b,
      int count,
      byte[] g) {
    GradientsKey key = new GradientsKey(step, member, part, m, b, count);
    if (members.group != null) {
      members.group.keys.add(key);
      members.group.packed.add(g);
      members.group.bytes += g.length;
      return;
    }
    writer.submit(
        () -> writerStaging.writeVector(key, g, chunk, () -> freeGradients.offer(g)), g.length);
  }

  /**
   * Per-sample losses and predictions of a dataset in forward passes of {@link Network#EVAL_BATCH}
   * rows, each lane taking the next pass when free (a lane sharing its core with the writer does
   * fewer); the passes are the same for any lane count, hence the values.
   */
  private void evaluateOnLanes(
      float[] snapshot, float[] x, int[] labels, double[] loss, int[] predicted) {
    int blocks = VectorChunks.chunkCount(labels.length, Network.EVAL_BATCH);
    AtomicInteger next = new AtomicInteger();
    onLanes(
        snapshot,
        net -> {
          for (int block = next.getAndIncrement(); block < blocks; block = next.getAndIncrement()) {
            int begin = block * Network.EVAL_BATCH;
            int end = Math.min(labels.length, begin + Network.EVAL_BATCH);
            net.evaluate(x, data.features(), labels, begin, end, loss, predicted);
          }
        });
  }

  private void evaluate(
      float[] snapshot,
      long step,
      double epoch,
      Set<Kind> kinds,
      Double minibatchLoss,
      double wallSeconds) {
    int n = data.trainSize();
    double[] loss = new double[n];
    int[] predicted = new int[n];
    evaluateOnLanes(snapshot, data.trainX(), data.givenLabels(), loss, predicted);
    if (kinds.contains(Kind.SAMPLE_LOSSES)) {
      int[] subset = lossSubset;
      writer.submit(
          () -> {
            for (int i : subset) {
              writerStaging.write(
                  new SampleLossesRow(
                      step,
                      data.sampleIndex()[i],
                      data.givenLabels()[i],
                      data.trueLabels()[i],
                      data.mislabeled(i),
                      loss[i],
                      predicted[i],
                      predicted[i] == data.givenLabels()[i]));
            }
          });
    }
    if (kinds.contains(Kind.METRICS)) {
      double lossSum = 0;
      int correct = 0;
      int clean = 0;
      int cleanCorrect = 0;
      int wrong = 0;
      int wrongFit = 0;
      int wrongTrue = 0;
      for (int i = 0; i < n; i++) {
        lossSum += loss[i];
        boolean fit = predicted[i] == data.givenLabels()[i];
        if (fit) {
          correct++;
        }
        if (data.mislabeled(i)) {
          wrong++;
          if (fit) {
            wrongFit++;
          }
          if (predicted[i] == data.trueLabels()[i]) {
            wrongTrue++;
          }
        } else {
          clean++;
          if (fit) {
            cleanCorrect++;
          }
        }
      }
      int t = data.testSize();
      double[] testLoss = new double[t];
      int[] testPredicted = new int[t];
      evaluateOnLanes(snapshot, data.testX(), data.testLabels(), testLoss, testPredicted);
      double testSum = 0;
      int testCorrect = 0;
      for (int i = 0; i < t; i++) {
        testSum += testLoss[i];
        if (testPredicted[i] == data.testLabels()[i]) {
          testCorrect++;
        }
      }
      MetricsRow row =
          new MetricsRow(
              step,
              epoch,
              lossSum / n,
              (double) correct / n,
              clean > 0 ? (double) cleanCorrect / clean : null,
              wrong > 0 ? (double) wrongFit / wrong : null,
              wrong > 0 ? (double) wrongTrue / wrong : null,
              t > 0 ? testSum / t : Double.NaN,
              t > 0 ? (double) testCorrect / t : Double.NaN,
              minibatchLoss,
              wallSeconds);
      lastMetrics =
          new Metrics(
              step, lossSum / n, (double) correct / n, (double) testCorrect / Math.max(1, t));
      writer.submit(() -> writerStaging.write(row));
    }
  }

  /** Waits for every queued record to be written. */
  @Override
  public void close() {
    close(() -> {});
  }

  /**
   * Waits for every queued record to be written, running {@code watch} while it waits: when it
   * throws (a stop request after training ended), the records still queued are dropped (a resume
   * recomputes them from the last checkpoint) and the exception propagates.
   */
  void close(Runnable watch) {
    trainingEnded = true;
    RuntimeException failure = null;
    if (probe != null) {
      try {
        probe.close(watch);
      } catch (StopRequest.Stopped stopped) {
        helpers.forEach(SerialWorker::abort);
        writer.abort();
        throw stopped;
      } catch (RuntimeException e) {
        failure = e;
      }
    }
    for (SerialWorker helper : helpers) {
      try {
        helper.close();
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        }
      }
    }
    if (curvature != null) {
      // The probe lanes are done: nothing uses the engine any more.
      curvature.close();
    }
    try {
      writer.close(watch);
    } catch (StopRequest.Stopped stopped) {
      throw stopped;
    } catch (RuntimeException e) {
      if (failure == null) {
        failure = e;
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** Rethrows a failure of the probe or writer thread on the training thread. */
  void check() {
    if (probe != null) {
      probe.rethrow();
    }
    writer.rethrow();
  }

  double probeBusySeconds() {
    return probe == null ? 0 : probe.busySeconds();
  }

  double writerBusySeconds() {
    return writer.busySeconds();
  }

  /** CPU seconds of every probe lane. */
  double probeCpuSeconds() {
    double cpu = probe == null ? 0 : probe.cpuSeconds();
    for (SerialWorker helper : helpers) {
      cpu += helper.cpuSeconds();
    }
    return cpu;
  }

  double writerCpuSeconds() {
    return writer.cpuSeconds();
  }
}
