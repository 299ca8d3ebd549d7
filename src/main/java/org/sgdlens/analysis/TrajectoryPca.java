package org.sgdlens.analysis;

import static org.apache.spark.sql.functions.col;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.mllib.linalg.Matrix;
import org.apache.spark.mllib.linalg.Vector;
import org.apache.spark.mllib.linalg.Vectors;
import org.apache.spark.mllib.linalg.distributed.IndexedRow;
import org.apache.spark.mllib.linalg.distributed.IndexedRowMatrix;
import org.apache.spark.mllib.linalg.distributed.RowMatrix;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.sgdlens.kernel.SnapshotPca;
import org.sgdlens.lake.Tables;
import org.sgdlens.lake.VectorChunks;
import scala.Tuple2;

/**
 * PCA of a window of recorded weight snapshots (science.md section 3.1), by one of two methods that
 * agree on the same input:
 *
 * <ul>
 *   <li>{@code mllib}: Spark MLlib's distributed covariance ({@link RowMatrix}
 *       computePrincipalComponentsAndExplainedVariance); the driver holds a P×P matrix, so only for
 *       small P (at most 65,535, MLlib's own limit for this path);
 *   <li>{@code gram}: the T×T Gram matrix of the centred window, summed over blocks of coordinates
 *       in Spark (a task holds T × block floats, never a whole P-vector), eigen-decomposed on the
 *       driver with LAPACK, then the directions recovered block by block in a second pass over the
 *       same shuffled blocks.
 * </ul>
 *
 * Variances (ddof=1) go to {@code pca_variances}, the leading directions to {@code pca_directions}.
 */
public final class TrajectoryPca {
  /** MLlib's covariance PCA refuses wider matrices (it switches to an uncentred SVD). */
  public static final int MLLIB_MAX_COLUMNS = 65_535;

  private TrajectoryPca() {}

  public enum Method {
    MLLIB,
    GRAM,
    AUTO;

    public static Method parse(String value) {
      try {
        return valueOf(value.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "--method '" + value + "' is not a PCA method; give mllib, gram or auto");
      }
    }

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * @param runs runs to analyse; empty means every committed run with weights
   * @param fromStep first step of the window (inclusive), null for the first recorded
   * @param toStep last step of the window (inclusive), null for the last recorded
   * @param lastSteps when set, the window is the last N steps: recorded steps s with s > last − N
   * @param mllibMaxParams {@code auto} uses MLlib when P is at most this
   * @param directions leading directions to store (variances are always stored in full)
   * @param blockBytes memory budget of one Gram task's block: T × block × 4 bytes
   * @param minTrainAccuracy when set, the window starts no earlier than the first recorded step
   *     from which {@code metrics.train_accuracy} stays above this (the protocol's "once training
   *     accuracy > 0.99")
   */
  public record Options(
      String lake,
      List<String> runs,
      Long fromStep,
      Long toStep,
      Long lastSteps,
      Method method,
      int mllibMaxParams,
      int directions,
      long blockBytes,
      Double minTrainAccuracy) {
    /** {@link Method#AUTO}: MLlib for narrow trajectories, the Gram method for wide ones. */
    public static final String METHOD_DEFAULT = "auto";

    /** Auto uses MLlib up to this P (its driver holds a P x P matrix), the Gram method above. */
    public static final int MLLIB_MAX_PARAMS_DEFAULT = 5000;

    public static final int DIRECTIONS_DEFAULT = 200;

    /** A Gram task's block, in MB (the option is in MB, the record in bytes). */
    public static final int BLOCK_MB_DEFAULT = 64;

    public Options {
      if (minTrainAccuracy != null && !(minTrainAccuracy >= 0 && minTrainAccuracy < 1)) {
        throw new IllegalArgumentException(
            "--min-train-accuracy " + minTrainAccuracy + " is not in [0, 1); give e.g. 0.99");
      }
      if (lastSteps != null && (fromStep != null || toStep != null)) {
        throw new IllegalArgumentException(
            "--last " + lastSteps + " together with --from-step/--to-step; give one of the two");
      }
      if (lastSteps != null && lastSteps < 1) {
        throw new IllegalArgumentException("--last " + lastSteps + " must be at least 1 step");
      }
      if (fromStep != null && toStep != null && fromStep > toStep) {
        throw new IllegalArgumentException(
            "--from-step " + fromStep + " is after --to-step " + toStep + "; swap them");
      }
      if (directions < 0) {
        throw new IllegalArgumentException(
            "--directions " + directions + " is negative; give 0 or more");
      }
      if (blockBytes < 1024) {
        throw new IllegalArgumentException(
            "--block-mb gives " + blockBytes + " bytes; give at least 1 (MB)");
      }
    }

    public static Options defaults(String lake) {
      return builder().setLake(lake).build();
    }

    public static Builder builder() {
      return new Builder();
    }

    public Options withMethod(Method m) {
      return copy(runs, m, minTrainAccuracy);
    }

    public Options withRuns(List<String> r) {
      return copy(r, method, minTrainAccuracy);
    }

    public Options withMinTrainAccuracy(Double accuracy) {
      return copy(runs, method, accuracy);
    }

    private Options copy(List<String> r, Method m, Double accuracy) {
      return new Options(
          lake,
          r,
          fromStep,
          toStep,
          lastSteps,
          m,
          mllibMaxParams,
          directions,
          blockBytes,
          accuracy);
    }

    /**
     * Options with every unset value at its {@code _DEFAULT} (the window: every recorded snapshot);
     * {@code setLake} is required.
     */
    public static final class Builder {
      private String lake;
      private List<String> runs = List.of();
      private Long fromStep;
      private Long toStep;
      private Long lastSteps;
      private Method method = Method.parse(METHOD_DEFAULT);
      private int mllibMaxParams = MLLIB_MAX_PARAMS_DEFAULT;
      private int directions = DIRECTIONS_DEFAULT;
      private long blockBytes = megabytes(BLOCK_MB_DEFAULT);
      private Double minTrainAccuracy;

      private Builder() {}

      public Builder setLake(String lake) {
        this.lake = lake;
        return this;
      }

      /** Runs to analyse; empty (the default) for every committed run with weights. */
      public Builder optRuns(List<String> runs) {
        this.runs = runs;
        return this;
      }

      /** First step of the window, inclusive; null (the default) for the first recorded. */
      public Builder optFromStep(Long fromStep) {
        this.fromStep = fromStep;
        return this;
      }

      /** Last step of the window, inclusive; null (the default) for the last recorded. */
      public Builder optToStep(Long toStep) {
        this.toStep = toStep;
        return this;
      }

      /** The window is the last N steps; null (the default) for the from/to window. */
      public Builder optLastSteps(Long lastSteps) {
        this.lastSteps = lastSteps;
        return this;
      }

      public Builder optMethod(Method method) {
        this.method = method;
        return this;
      }

      public Builder optMllibMaxParams(int mllibMaxParams) {
        this.mllibMaxParams = mllibMaxParams;
        return this;
      }

      public Builder optDirections(int directions) {
        this.directions = directions;
        return this;
      }

      /** Memory of one Gram task's block in MB. */
      public Builder optBlockMb(long blockMb) {
        this.blockBytes = megabytes(blockMb);
        return this;
      }

      /** Start no earlier than the training accuracy stays above this; null (default): off. */
      public Builder optMinTrainAccuracy(Double minTrainAccuracy) {
        this.minTrainAccuracy = minTrainAccuracy;
        return this;
      }

      public Options build() {
        return new Options(
            Objects.requireNonNull(lake, "call setLake"),
            runs,
            fromStep,
            toStep,
            lastSteps,
            method,
            mllibMaxParams,
            directions,
            blockBytes,
            minTrainAccuracy);
      }

      private static long megabytes(long mb) {
        return mb << 20;
      }
    }
  }

  /** What one run's PCA found. */
  public record RunResult(
      String runId,
      String window,
      long fromStep,
      long toStep,
      int snapshots,
      long params,
      Method method,
      double[] variances,
      double totalVariance,
      int directionsWritten,
      int blocks) {}

  public record Result(List<RunResult> runs, List<String> warnings) {}

  public static Result run(SparkSession spark, Options options) {
    List<String> warnings = new ArrayList<>();
    Dataset<Row> weights = LakeTables.read(spark, options.lake(), Tables.WEIGHTS);
    List<String> runs =
        SelectedRuns.withRowsIn(
                weights, options.lake(), options.runs(), Tables.WEIGHTS, warnings::add)
            .ids();
    List<RunResult> results = new ArrayList<>();
    for (String runId : runs) {
      Dataset<Row> runWeights = weights.where(col("run_id").equalTo(runId));
      Long trainedFrom = null;
      if (options.minTrainAccuracy() != null) {
        trainedFrom = trainedFrom(spark, options, runId, warnings);
        if (trainedFrom == null) {
          continue;
        }
      }
      Window window = Window.plan(runId, runWeights, options, trainedFrom, warnings);
      if (window == null) {
        continue;
      }
      Method method = choose(options, window.params);
      Dataset<Row> data =
          runWeights
              .where(col("step").between(window.fromStep, window.toStep))
              .select("step", "chunk", "values");
      RunResult result =
          method == Method.MLLIB
              ? mllib(spark, options, window, data)
              : gram(spark, options, window, data);
      if (result.directionsWritten() == 0) {
        // Directions of an earlier window would no longer match the new variances.
        dropRunPartition(spark, options.lake(), Tables.PCA_DIRECTIONS, runId);
      }
      writeVariances(spark, options.lake(), result);
      results.add(result);
    }
    return new Result(results, warnings);
  }

  private static void dropRunPartition(
      SparkSession spark, String lake, String table, String runId) {
    org.apache.hadoop.fs.Path partition =
        new org.apache.hadoop.fs.Path(
            LakeTables.tablePath(spark, lake, table), org.sgdlens.lake.Lake.RUN_ID + "=" + runId);
    try {
      partition.getFileSystem(spark.sparkContext().hadoopConfiguration()).delete(partition, true);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("Cannot remove stale " + partition, e);
    }
  }

  /**
   * The first recorded step from which the training accuracy stays above the threshold, or null
   * (with a warning) when the run never gets there or has no metrics.
   */
  private static Long trainedFrom(
      SparkSession spark, Options options, String runId, List<String> warnings) {
    List<Row> metrics =
        LakeTables.read(spark, options.lake(), Tables.METRICS)
            .where(col("run_id").equalTo(runId))
            .select("step", "train_accuracy")
            .orderBy("step")
            .collectAsList();
    if (metrics.isEmpty()) {
      warnings.add(
          "run '" + runId + "' skipped: --min-train-accuracy needs its metrics, and it has none");
      return null;
    }
    double threshold = options.minTrainAccuracy();
    Long from = null;
    for (Row m : metrics) {
      if (m.getDouble(1) > threshold) {
        if (from == null) {
          from = m.getLong(0);
        }
      } else {
        from = null;
      }
    }
    if (from == null) {
      warnings.add(
          "run '"
              + runId
              + "' skipped: its training accuracy does not stay above "
              + threshold
              + " up to the last recorded step (final accuracy "
              + metrics.get(metrics.size() - 1).getDouble(1)
              + ")");
    }
    return from;
  }

  private static Method choose(Options options, long params) {
    Method method = options.method();
    if (method == Method.AUTO) {
      return params <= options.mllibMaxParams() ? Method.MLLIB : Method.GRAM;
    }
    if (method == Method.MLLIB && params > MLLIB_MAX_COLUMNS) {
      throw new IllegalArgumentException(
          "--method mllib with P="
              + params
              + " recorded weights: MLlib's covariance PCA handles at"
              + " most "
              + MLLIB_MAX_COLUMNS
              + "; use --method gram or auto");
    }
    return method;
  }

  /** The validated window: steps with a complete chunk grid, in time order. */
  static final class Window implements Serializable {
    final String runId;
    final long fromStep;
    final long toStep;
    final long[] steps;
    final long params;

    /** chunk id → {offset, length}, by chunk id. */
    final TreeMap<Integer, long[]> chunks;

    private Window(String runId, long[] steps, long params, TreeMap<Integer, long[]> chunks) {
      this.runId = runId;
      this.steps = steps;
      this.fromStep = steps[0];
      this.toStep = steps[steps.length - 1];
      this.params = params;
      this.chunks = chunks;
    }

    String label() {
      return fromStep + "-" + toStep;
    }

    int snapshots() {
      return steps.length;
    }

    Map<Long, Integer> stepIndex() {
      Map<Long, Integer> index = new HashMap<>();
      for (int i = 0; i < steps.length; i++) {
        index.put(steps[i], i);
      }
      return index;
    }

    static Window plan(
        String runId,
        Dataset<Row> weights,
        Options options,
        Long trainedFrom,
        List<String> warnings) {
      List<Row> layout = weights.select("step", "chunk", "offset", "length").collectAsList();
      TreeMap<Long, Map<Integer, long[]>> byStep = new TreeMap<>();
      for (Row r : layout) {
        Map<Integer, long[]> chunks = byStep.computeIfAbsent(r.getLong(0), s -> new HashMap<>());
        long[] previous = chunks.put(r.getInt(1), new long[] {r.getLong(2), r.getInt(3)});
        if (previous != null) {
          chunks.put(r.getInt(1), new long[] {-1, -1}); // duplicate: poisons the step
        }
      }
      if (byStep.isEmpty()) {
        warnings.add("run '" + runId + "' skipped: no weight snapshots");
        return null;
      }
      long last = byStep.lastKey();
      long from = options.fromStep() != null ? options.fromStep() : byStep.firstKey();
      long to = options.toStep() != null ? options.toStep() : last;
      if (options.lastSteps() != null) {
        from = last - options.lastSteps() + 1;
        to = last;
      }
      if (trainedFrom != null && trainedFrom > from) {
        from = trainedFrom;
      }
      var inWindow = byStep.subMap(from, true, to, true);
      if (inWindow.isEmpty()) {
        warnings.add(
            "run '"
                + runId
                + "' skipped: no snapshot in steps "
                + from
                + ".."
                + to
                + " (recorded steps "
                + byStep.firstKey()
                + ".."
                + last
                + ")");
        return null;
      }
      // The reference grid is the last snapshot's; a step whose chunks differ is incomplete.
      TreeMap<Integer, long[]> grid = new TreeMap<>(inWindow.lastEntry().getValue());
      long params = 0;
      for (long[] chunk : grid.values()) {
        if (chunk[0] != params) {
          warnings.add(
              "run '"
                  + runId
                  + "' skipped: the chunks of step "
                  + inWindow.lastKey()
                  + " do not tile the recorded vector (gap or overlap at offset "
                  + params
                  + ")");
          return null;
        }
        params += chunk[1];
      }
      List<Long> steps = new ArrayList<>();
      List<Long> skipped = new ArrayList<>();
      for (var entry : inWindow.entrySet()) {
        if (sameGrid(entry.getValue(), grid)) {
          steps.add(entry.getKey());
        } else {
          skipped.add(entry.getKey());
        }
      }
      if (!skipped.isEmpty()) {
        warnings.add(
            "run '"
                + runId
                + "': "
                + skipped.size()
                + " snapshot(s) skipped for missing, duplicate"
                + " or mismatched chunks, steps "
                + preview(skipped));
      }
      if (steps.size() < 3) {
        warnings.add(
            "run '"
                + runId
                + "' skipped: "
                + steps.size()
                + " complete snapshot(s) in steps "
                + from
                + ".."
                + to
                + "; a PCA window needs at least 3");
        return null;
      }
      return new Window(runId, steps.stream().mapToLong(Long::longValue).toArray(), params, grid);
    }

    private static boolean sameGrid(Map<Integer, long[]> chunks, Map<Integer, long[]> grid) {
      if (chunks.size() != grid.size()) {
        return false;
      }
      for (var e : grid.entrySet()) {
        long[] c = chunks.get(e.getKey());
        if (c == null || c[0] != e.getValue()[0] || c[1] != e.getValue()[1]) {
          return false;
        }
      }
      return true;
    }

    private static String preview(List<Long> steps) {
      return steps.size() <= 10 ? steps.toString() : steps.subList(0, 10) + "...";
    }
  }

  // ---------------------------------------------------------------- Gram (snapshot) method

  /** A block of coordinates: part of one chunk, at most blockBytes / (4T) floats. */
  record Block(int id, int chunk, int startInChunk, int length, long offset)
      implements Serializable {}

  /** One snapshot's values on one block. */
  record Piece(int snapshot, byte[] values) implements Serializable {}

  /** Sends block b to partition b: every task holds exactly one block of T snapshots. */
  static final class BlockPartitioner extends Partitioner {
    private final int blocks;

    BlockPartitioner(int blocks) {
      this.blocks = blocks;
    }

    @Override
    public int numPartitions() {
      return blocks;
    }

    @Override
    public int getPartition(Object key) {
      return (Integer) key;
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof BlockPartitioner b && b.blocks == blocks;
    }

    @Override
    public int hashCode() {
      return blocks;
    }
  }

  static List<Block> blocks(Window window, long blockBytes) {
    int t = window.snapshots();
    List<Block> blocks = new ArrayList<>();
    for (var e : window.chunks.entrySet()) {
      int length = (int) e.getValue()[1];
      int blockLength = (int) Math.max(1, Math.min(length, blockBytes / (4L * t)));
      for (int start = 0; start < length; start += blockLength) {
        int len = Math.min(blockLength, length - start);
        blocks.add(new Block(blocks.size(), e.getKey(), start, len, e.getValue()[0] + start));
      }
    }
    return blocks;
  }

  private static RunResult gram(
      SparkSession spark, Options options, Window window, Dataset<Row> data) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int t = window.snapshots();
    List<Block> blockList = blocks(window, options.blockBytes());
    Map<Integer, List<Block>> byChunk = new HashMap<>();
    for (Block b : blockList) {
      byChunk.computeIfAbsent(b.chunk(), c -> new ArrayList<>()).add(b);
    }
    Broadcast<Map<Long, Integer>> stepIndex = jsc.broadcast(window.stepIndex());
    Broadcast<Map<Integer, List<Block>>> plan = jsc.broadcast(byChunk);

    JavaPairRDD<Integer, Piece> pieces =
        data.javaRDD()
            .flatMapToPair(
                row -> {
                  Integer snapshot = stepIndex.value().get(row.getLong(0));
                  List<Block> chunkBlocks = plan.value().get(row.getInt(1));
                  if (snapshot == null || chunkBlocks == null) {
                    return java.util.Collections.emptyIterator();
                  }
                  byte[] values = (byte[]) row.get(2);
                  List<Tuple2<Integer, Piece>> out = new ArrayList<>(chunkBlocks.size());
                  for (Block b : chunkBlocks) {
                    byte[] part =
                        chunkBlocks.size() == 1
                            ? values
                            : Arrays.copyOfRange(
                                values,
                                b.startInChunk() * Float.BYTES,
                                (b.startInChunk() + b.length()) * Float.BYTES);
                    out.add(new Tuple2<>(b.id(), new Piece(snapshot, part)));
                  }
                  return out.iterator();
                });
    // One shuffle; both passes below reuse its output (the same RDD), so the weights are read
    // from the lake once.
    JavaPairRDD<Integer, Piece> byBlock =
        pieces.partitionBy(new BlockPartitioner(blockList.size()));

    double[] gram =
        byBlock
            .mapPartitions(
                it -> {
                  float[][] block = assemble(it, t);
                  if (block == null) {
                    return java.util.Collections.emptyIterator();
                  }
                  double[] partial = new double[t * t];
                  SnapshotPca.addCenteredGram(block, partial);
                  return List.of(partial).iterator();
                })
            .treeReduce(
                (a, b) -> {
                  for (int i = 0; i < a.length; i++) {
                    a[i] += b[i];
                  }
                  return a;
                },
                2);
    int rank = (int) Math.min(t - 1, window.params);
    SnapshotPca.Spectrum spectrum = SnapshotPca.spectrum(gram, t, rank);
    int k = Math.min(options.directions(), spectrum.rank());
    int written = 0;
    if (k > 0) {
      Broadcast<double[]> coefficients =
          jsc.broadcast(SnapshotPca.directionCoefficients(spectrum, k));
      Broadcast<List<Block>> blockInfo = jsc.broadcast(blockList);
      String runId = window.runId;
      String label = window.label();
      JavaRDD<Row> rows =
          byBlock.mapPartitionsWithIndex(
              (index, it) -> {
                float[][] block = assemble(it, t);
                if (block == null) {
                  return java.util.Collections.emptyIterator();
                }
                Block b = blockInfo.value().get(index);
                float[][] directions =
                    SnapshotPca.recoverDirections(block, coefficients.value(), k);
                List<Row> out = new ArrayList<>(k);
                for (int i = 0; i < k; i++) {
                  out.add(
                      RowFactory.create(
                          runId,
                          label,
                          i + 1,
                          b.id(),
                          b.offset(),
                          b.length(),
                          VectorChunks.pack(directions[i], 0, b.length())));
                }
                return out.iterator();
              },
              true);
      LakeTables.write(
          spark.createDataFrame(rows, LakeTables.sparkSchema(Tables.PCA_DIRECTIONS)),
          options.lake(),
          Tables.PCA_DIRECTIONS);
      written = k;
    }
    return new RunResult(
        window.runId,
        window.label(),
        window.fromStep,
        window.toStep,
        t,
        window.params,
        Method.GRAM,
        spectrum.variances(),
        spectrum.totalVariance(),
        written,
        blockList.size());
  }

  /** The T snapshots of a partition's single block; null for an empty partition. */
  private static float[][] assemble(Iterator<Tuple2<Integer, Piece>> it, int t) {
    float[][] block = new float[t][];
    Integer id = null;
    int filled = 0;
    while (it.hasNext()) {
      Tuple2<Integer, Piece> next = it.next();
      if (id != null && !id.equals(next._1())) {
        throw new IllegalStateException("Blocks " + id + " and " + next._1() + " share a task");
      }
      id = next._1();
      Piece piece = next._2();
      if (block[piece.snapshot()] == null) {
        filled++;
      }
      block[piece.snapshot()] = VectorChunks.unpack(piece.values());
    }
    if (id == null) {
      return null;
    }
    if (filled != t) {
      throw new IllegalStateException(
          "Block "
              + id
              + " has "
              + filled
              + " of "
              + t
              + " snapshots; the weights table changed"
              + " while the job ran");
    }
    return block;
  }

  // ---------------------------------------------------------------- MLlib covariance method

  private static RunResult mllib(
      SparkSession spark, Options options, Window window, Dataset<Row> data) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int t = window.snapshots();
    int p = (int) window.params;
    Broadcast<Map<Long, Integer>> stepIndex = jsc.broadcast(window.stepIndex());
    Map<Integer, Long> offsets = new HashMap<>();
    window.chunks.forEach((chunk, ol) -> offsets.put(chunk, ol[0]));
    Broadcast<Map<Integer, Long>> chunkOffsets = jsc.broadcast(offsets);

    JavaRDD<IndexedRow> rows =
        data.javaRDD()
            .flatMapToPair(
                row -> {
                  Integer snapshot = stepIndex.value().get(row.getLong(0));
                  Long offset = chunkOffsets.value().get(row.getInt(1));
                  if (snapshot == null || offset == null) {
                    return java.util.Collections
                        .<Tuple2<Integer, Tuple2<Long, byte[]>>>emptyIterator();
                  }
                  return List.of(new Tuple2<>(snapshot, new Tuple2<>(offset, (byte[]) row.get(2))))
                      .iterator();
                })
            .groupByKey()
            .map(
                group -> {
                  double[] w = new double[p];
                  for (Tuple2<Long, byte[]> chunk : group._2()) {
                    float[] values = VectorChunks.unpack(chunk._2());
                    int offset = (int) (long) chunk._1();
                    for (int i = 0; i < values.length; i++) {
                      w[offset + i] = values[i];
                    }
                  }
                  return new IndexedRow(group._1(), Vectors.dense(w));
                });
    rows.persist(StorageLevel.MEMORY_AND_DISK());
    try {
      IndexedRowMatrix indexed = new IndexedRowMatrix(rows.rdd(), t, p);
      RowMatrix matrix = indexed.toRowMatrix();
      double total =
          Arrays.stream(matrix.computeColumnSummaryStatistics().variance().toArray()).sum();
      int rank = Math.min(t - 1, p);
      Tuple2<Matrix, Vector> pca = matrix.computePrincipalComponentsAndExplainedVariance(rank);
      double[] ratios = pca._2().toArray();
      double[] variances = new double[rank];
      for (int i = 0; i < rank; i++) {
        variances[i] = ratios[i] * total;
      }
      int k = Math.min(options.directions(), rank);
      int written = 0;
      if (k > 0) {
        double[] components = pca._1().toArray(); // column-major P × rank
        double[] lead = Arrays.copyOf(components, p * k);
        double[] signs = timeSigns(indexed, lead, p, k, t);
        writeDirections(spark, options.lake(), window, lead, signs, p, k);
        written = k;
      }
      return new RunResult(
          window.runId,
          window.label(),
          window.fromStep,
          window.toStep,
          t,
          p,
          Method.MLLIB,
          variances,
          total,
          written,
          1);
    } finally {
      rows.unpersist(false);
    }
  }

  /** +1 or −1 per component so that the projections of the window increase with time. */
  private static double[] timeSigns(IndexedRowMatrix matrix, double[] lead, int p, int k, int t) {
    Matrix local = new org.apache.spark.mllib.linalg.DenseMatrix(p, k, lead);
    List<IndexedRow> scores = matrix.multiply(local).rows().toJavaRDD().collect();
    double centre = (t - 1) / 2.0;
    double[] trend = new double[k];
    for (IndexedRow row : scores) {
      double[] s = row.vector().toArray();
      for (int i = 0; i < k; i++) {
        trend[i] += (row.index() - centre) * s[i];
      }
    }
    double[] signs = new double[k];
    for (int i = 0; i < k; i++) {
      signs[i] = trend[i] < 0 ? -1 : 1;
    }
    return signs;
  }

  private static void writeDirections(
      SparkSession spark, String lake, Window window, double[] lead, double[] signs, int p, int k) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < k; i++) {
      for (var e : window.chunks.entrySet()) {
        int offset = (int) e.getValue()[0];
        int length = (int) e.getValue()[1];
        float[] values = new float[length];
        for (int j = 0; j < length; j++) {
          values[j] = (float) (signs[i] * lead[i * p + offset + j]);
        }
        rows.add(
            RowFactory.create(
                window.runId,
                window.label(),
                i + 1,
                e.getKey(),
                (long) offset,
                length,
                VectorChunks.pack(values, 0, length)));
      }
    }
    LakeTables.write(
        spark.createDataFrame(rows, LakeTables.sparkSchema(Tables.PCA_DIRECTIONS)),
        lake,
        Tables.PCA_DIRECTIONS);
  }

  private static void writeVariances(SparkSession spark, String lake, RunResult r) {
    double[] v = r.variances();
    double firstExcluded = 0;
    for (int i = 1; i < v.length; i++) {
      firstExcluded += v[i];
    }
    List<Row> rows = new ArrayList<>();
    double cumulative = 0;
    double cumulativeRest = 0;
    for (int i = 0; i < v.length; i++) {
      cumulative += v[i];
      Double rest = null;
      if (i > 0) {
        cumulativeRest += v[i];
        rest = firstExcluded > 0 ? cumulativeRest / firstExcluded : null;
      }
      double total = r.totalVariance();
      rows.add(
          RowFactory.create(
              r.runId(),
              r.window(),
              r.fromStep(),
              r.toStep(),
              r.snapshots(),
              r.params(),
              i + 1,
              v[i],
              total > 0 ? v[i] / total : 0.0,
              total > 0 ? cumulative / total : 0.0,
              rest,
              r.method().label()));
    }
    LakeTables.write(
        spark.createDataFrame(rows, LakeTables.sparkSchema(Tables.PCA_VARIANCES)),
        lake,
        Tables.PCA_VARIANCES);
  }
}
