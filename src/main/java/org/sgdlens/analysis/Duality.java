package org.sgdlens.analysis;

import static org.apache.spark.sql.functions.col;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.kernel.DualWeights;
import org.sgdlens.kernel.DualityModel;
import org.sgdlens.kernel.DualityModel.Space;
import org.sgdlens.kernel.DualityModel.Split;
import org.sgdlens.kernel.DualityModelFactory;
import org.sgdlens.kernel.DualityStats;
import org.sgdlens.kernel.NearestNeighbours;
import org.sgdlens.kernel.SymmetricEigen;
import org.sgdlens.lake.DualityRow;
import org.sgdlens.lake.DualitySummaryRow;
import org.sgdlens.lake.ResultRow;
import org.sgdlens.lake.Tables;
import scala.Tuple2;

/**
 * The activity–weight duality of one dense layer of a recorded run (Feng &amp; Tu 2022;
 * docs/generalization.md, "Duality"), at its final weights. Four Spark passes, each task opening
 * ONE {@link DualityModel} from a serializable {@link DualityModelFactory}:
 *
 * <ol>
 *   <li>nearest neighbours: the (test block, training block) pairs are spread over tasks; each task
 *       finds, for its test rows, the nearest training row of the same class inside its training
 *       block ({@link NearestNeighbours}), and {@code reduceByKey} keeps the best candidate per
 *       test row, so no task and not the driver ever holds N_test x N_train distances;
 *   <li>the set losses (every training and test row), summed over tasks;
 *   <li>the Hessian block of the layer: its columns {@code H e_j} spread over tasks and decomposed
 *       on the driver ({@code P ≤ --dense-max}), or the top k eigenpairs by Lanczos on the driver;
 *   <li>the pairs spread over tasks: activities, dual weights, the identity's error, per-sample
 *       gradients and the projections on the eigenbasis (broadcast), summed with {@link
 *       DualityStats} and added on the driver ({@code treeReduce}).
 * </ol>
 *
 * Writes {@code duality} (per direction) and {@code duality_summary}.
 */
public final class Duality {
  private Duality() {}

  /** Chooses the model of a run; called on the driver, its factory is shipped to tasks. */
  @FunctionalInterface
  public interface ModelSource extends Serializable {
    DualityModelFactory forRun(String lakeRoot, String runId, String layer);
  }

  /**
   * @param pairing where test and training samples are paired: input or activity space
   * @param directions Hessian eigen-directions k; 0 for every direction of the dense Hessian
   * @param denseMax largest layer (P weights) whose P x P Hessian block is built and decomposed in
   *     full; above it the top {@code directions} eigenpairs come from Lanczos
   * @param tasks Spark tasks per pass; 0 for Spark's default parallelism
   * @param seed seed of Lanczos' start vector
   */
  public record Options(
      String lake,
      List<String> runs,
      String layer,
      Space pairing,
      int directions,
      int denseMax,
      int tasks,
      long seed) {
    /** The 30x30 (or 50x50) hidden-to-hidden layer of the authors' MLP, as AWD.py's layer 1. */
    public static final String LAYER_DEFAULT = "fc2.weight";

    /** The authors' pairing: nearest neighbour in input (pixel) space. */
    public static final String PAIRING_DEFAULT = "input";

    /** Every direction of the dense Hessian, as the authors. */
    public static final int DIRECTIONS_DEFAULT = 0;

    /** 2500: the 50x50 hidden-to-hidden layer of the authors' 784-50-50-10 is still dense. */
    public static final int DENSE_MAX_DEFAULT = 2500;

    public static final int TASKS_DEFAULT = 0;

    public static final long SEED_DEFAULT = 0;

    public Options {
      if (layer == null || layer.isBlank()) {
        throw new IllegalArgumentException(
            "--layer is empty; give a dense layer's weight such as fc2.weight");
      }
      Objects.requireNonNull(pairing, "pairing");
      if (directions < 0) {
        throw new IllegalArgumentException(
            "--directions " + directions + " is negative; give 0 (every direction) or more");
      }
      if (denseMax < 0) {
        throw new IllegalArgumentException(
            "--dense-max " + denseMax + " is negative; give 0 (always Lanczos) or more");
      }
      if (tasks < 0) {
        throw new IllegalArgumentException(
            "--tasks " + tasks + " is negative; give 0 (auto) or more");
      }
    }

    public static Builder builder() {
      return new Builder();
    }

    /** Options with every unset value at its {@code _DEFAULT}; {@code setLake} is required. */
    public static final class Builder {
      private String lake;
      private List<String> runs = List.of();
      private String layer = LAYER_DEFAULT;
      private Space pairing = Space.of(PAIRING_DEFAULT);
      private int directions = DIRECTIONS_DEFAULT;
      private int denseMax = DENSE_MAX_DEFAULT;
      private int tasks = TASKS_DEFAULT;
      private long seed = SEED_DEFAULT;

      private Builder() {}

      public Builder setLake(String lake) {
        this.lake = lake;
        return this;
      }

      public Builder optRuns(List<String> runs) {
        this.runs = runs;
        return this;
      }

      public Builder optLayer(String layer) {
        this.layer = layer;
        return this;
      }

      public Builder optPairing(Space pairing) {
        this.pairing = pairing;
        return this;
      }

      public Builder optDirections(int directions) {
        this.directions = directions;
        return this;
      }

      public Builder optDenseMax(int denseMax) {
        this.denseMax = denseMax;
        return this;
      }

      public Builder optTasks(int tasks) {
        this.tasks = tasks;
        return this;
      }

      public Builder optSeed(long seed) {
        this.seed = seed;
        return this;
      }

      public Options build() {
        return new Options(
            Objects.requireNonNull(lake, "call setLake"),
            runs,
            layer,
            pairing,
            directions,
            denseMax,
            tasks,
            seed);
      }
    }
  }

  /** Dense: every eigenpair of the built block; Lanczos: the top k. */
  public static final String HESSIAN_DENSE = "dense";

  public static final String HESSIAN_LANCZOS = "lanczos";

  /** One run's outcome: the decomposition and the rows written. */
  public record RunResult(
      String runId,
      DualitySummaryRow summary,
      List<DualityRow> directions,
      DualityStats.Result stats) {}

  public record Result(List<RunResult> runs, List<String> warnings) {}

  public static Result run(SparkSession spark, Options options, ModelSource source) {
    Warnings warnings = new Warnings();
    List<String> runs =
        SelectedRuns.committed(spark, options.lake(), options.runs(), warnings::add).ids();
    List<RunResult> results = new ArrayList<>();
    for (String runId : runs) {
      try {
        results.add(runOne(spark, options, source, runId));
      } catch (IllegalArgumentException e) {
        if (!options.runs().isEmpty()) {
          throw e;
        }
        warnings.add("run '" + runId + "' skipped: " + e.getMessage());
      }
    }
    if (results.isEmpty() && !runs.isEmpty()) {
      throw new IllegalArgumentException(
          "No committed run could be analysed: "
              + String.join("; ", warnings.list())
              + "; name a built-in MLP run with --run");
    }
    return new Result(results, warnings.list());
  }

  /** What the driver learns from one model opened before the passes (bad input fails here). */
  private record Shape(
      int trainSize, int testSize, int rows, int cols, int[] trainLabels, int[] testLabels) {}

  private static RunResult runOne(
      SparkSession spark, Options options, ModelSource source, String runId) {
    long step =
        LakeTables.read(spark, options.lake(), Tables.RUNS)
            .where(col("run_id").equalTo(runId))
            .select("steps")
            .first()
            .getLong(0);
    DualityModelFactory factory = source.forRun(options.lake(), runId, options.layer());
    if (!(factory instanceof Serializable)) {
      throw new IllegalStateException(
          "The model factory "
              + factory.getClass().getName()
              + " of run '"
              + runId
              + "' is not Serializable, so Spark cannot ship it to tasks; implement"
              + " java.io.Serializable");
    }
    Shape shape;
    try (DualityModel model = factory.open()) {
      shape =
          new Shape(
              model.size(Split.TRAIN),
              model.size(Split.TEST),
              model.outputs(),
              model.inputs(),
              model.labels(Split.TRAIN),
              model.labels(Split.TEST));
    }
    int p = shape.rows() * shape.cols();
    boolean dense = p <= options.denseMax();
    if (!dense && options.directions() == 0) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "--layer %s of run '%s' has P = %d weights, above --dense-max %d, so its Hessian"
                  + " block is not built in full; give --directions K for the top K eigenpairs"
                  + " by Lanczos, or raise --dense-max",
              options.layer(),
              runId,
              p,
              options.denseMax()));
    }
    int k = options.directions() == 0 ? p : Math.min(options.directions(), p);
    int tasks = options.tasks() > 0 ? options.tasks() : spark.sparkContext().defaultParallelism();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());

    NearestNeighbours.Match[] matches = nearest(jsc, factory, shape, options.pairing(), tasks);
    double[] losses = setLosses(jsc, factory, shape, tasks);
    DualityModel.Eigenpairs eigen =
        dense ? denseEigenpairs(jsc, factory, p, k, tasks) : lanczos(factory, k, options.seed());
    double[] sums = pairSums(jsc, factory, matches, eigen.vectors(), options.pairing(), tasks);
    for (NearestNeighbours.Match m : matches) {
      if (m.reference() == NearestNeighbours.NONE) {
        DualityStats.addSkipped(sums);
      }
    }
    DualityStats.Result stats = DualityStats.combine(sums, eigen.values());
    String pairing = options.pairing().optionName();
    String layer = options.layer();
    List<DualityRow> rows = new ArrayList<>();
    for (DualityStats.Direction d : stats.directions()) {
      rows.add(
          new DualityRow(
              runId,
              step,
              layer,
              pairing,
              d.index(),
              d.h(),
              d.muG(),
              d.muW(),
              d.sigmaG(),
              d.sigmaW(),
              d.c(),
              d.contribution(),
              d.firstOrder(),
              d.curvatureTerm(),
              d.sharpnessSpread(),
              d.contributionSecant()));
    }
    double trainLoss = losses[0] / shape.trainSize();
    double testLoss = losses[1] / shape.testSize();
    DualitySummaryRow summary =
        new DualitySummaryRow(
            runId,
            step,
            layer,
            pairing,
            p,
            k,
            dense ? HESSIAN_DENSE : HESSIAN_LANCZOS,
            eigen.values()[0],
            shape.trainSize(),
            shape.testSize(),
            stats.pairs(),
            stats.skipped(),
            stats.predictedGap(),
            stats.predictedGapSecant(),
            stats.firstOrderGap(),
            stats.curvatureGap(),
            stats.firstOrderFull(),
            stats.capturedFraction(),
            stats.measuredGap(),
            testLoss - trainLoss,
            trainLoss,
            testLoss,
            stats.identityErrorMax(),
            stats.lossIdentityErrorMax(),
            stats.meanDistance(),
            stats.meanDualNorm());
    write(spark, options.lake(), Tables.DUALITY, rows);
    write(spark, options.lake(), Tables.DUALITY_SUMMARY, List.of(summary));
    return new RunResult(runId, summary, rows, stats);
  }

  /** Contiguous ranges {@code [from, to)} splitting {@code n} rows into at most {@code parts}. */
  static List<int[]> blocks(int n, int parts) {
    int count = Math.max(1, Math.min(parts, n));
    List<int[]> out = new ArrayList<>(count);
    for (int b = 0; b < count; b++) {
      int from = (int) ((long) n * b / count);
      int to = (int) ((long) n * (b + 1) / count);
      if (to > from) {
        out.add(new int[] {from, to});
      }
    }
    return out;
  }

  private static int[] range(int from, int to) {
    return IntStream.range(from, to).toArray();
  }

  private static <T> List<T> drain(Iterator<T> it) {
    List<T> list = new ArrayList<>();
    it.forEachRemaining(list::add);
    return list;
  }

  /** Pass 1: the nearest training row of the same class of every test row. */
  private static NearestNeighbours.Match[] nearest(
      JavaSparkContext jsc, DualityModelFactory factory, Shape shape, Space space, int tasks) {
    // About sqrt(tasks) blocks on each side, so test x train block pairs ≈ tasks (at least 1).
    int side = Math.max(1, (int) Math.ceil(Math.sqrt(tasks)));
    List<int[]> testBlocks = blocks(shape.testSize(), side);
    List<int[]> trainBlocks = blocks(shape.trainSize(), side);
    List<int[]> pairs = new ArrayList<>();
    for (int[] t : testBlocks) {
      for (int[] r : trainBlocks) {
        pairs.add(new int[] {t[0], t[1], r[0], r[1]});
      }
    }
    int[] trainLabels = shape.trainLabels();
    int[] testLabels = shape.testLabels();
    List<NearestNeighbours.Match> best =
        jsc.parallelize(pairs, pairs.size())
            .mapPartitions(
                (Iterator<int[]> it) -> {
                  List<int[]> mine = drain(it);
                  if (mine.isEmpty()) {
                    return Collections.<NearestNeighbours.Match>emptyIterator();
                  }
                  List<NearestNeighbours.Match> out = new ArrayList<>();
                  try (DualityModel model = factory.open()) {
                    for (int[] b : mine) {
                      int[] test = range(b[0], b[1]);
                      int[] train = range(b[2], b[3]);
                      out.addAll(
                          Arrays.asList(
                              NearestNeighbours.nearest(
                                  model.features(Split.TEST, test, space),
                                  test,
                                  Arrays.copyOfRange(testLabels, b[0], b[1]),
                                  model.features(Split.TRAIN, train, space),
                                  train,
                                  Arrays.copyOfRange(trainLabels, b[2], b[3]))));
                    }
                  }
                  return out.iterator();
                })
            .mapToPair(m -> new Tuple2<>(m.query(), m))
            .reduceByKey(NearestNeighbours::better, Math.max(1, Math.min(tasks, testBlocks.size())))
            .values()
            .collect();
    NearestNeighbours.Match[] out = new NearestNeighbours.Match[shape.testSize()];
    for (NearestNeighbours.Match m : best) {
      out[m.query()] = m;
    }
    return out;
  }

  /** Pass 2: {Σ train losses, Σ test losses} over every row at the final weights. */
  private static double[] setLosses(
      JavaSparkContext jsc, DualityModelFactory factory, Shape shape, int tasks) {
    int n = shape.trainSize() + shape.testSize();
    int trainSize = shape.trainSize();
    JavaRDD<Integer> rows =
        jsc.parallelize(IntStream.range(0, n).boxed().toList(), Math.max(1, Math.min(tasks, n)));
    return rows.mapPartitions(
            (Iterator<Integer> it) -> {
              List<Integer> mine = drain(it);
              if (mine.isEmpty()) {
                return Collections.<double[]>emptyIterator();
              }
              double[] sums = new double[2];
              try (DualityModel model = factory.open()) {
                double[] w = model.layerWeights();
                for (Split split : Split.values()) {
                  boolean train = split == Split.TRAIN;
                  int[] idx =
                      mine.stream()
                          .mapToInt(Integer::intValue)
                          .filter(i -> train == i < trainSize)
                          .map(i -> train ? i : i - trainSize)
                          .toArray();
                  int[] labels = model.labels(split);
                  double[][] a = model.features(split, idx, Space.ACTIVITY);
                  for (int j = 0; j < idx.length; j++) {
                    sums[train ? 0 : 1] += model.lossFromLayer(a[j], w, labels[idx[j]]);
                  }
                }
              }
              return List.of(sums).iterator();
            })
        .treeReduce(Duality::plus);
  }

  private static double[] plus(double[] a, double[] b) {
    for (int i = 0; i < a.length; i++) {
      a[i] += b[i];
    }
    return a;
  }

  /** HVPs per call when the dense block's columns are built. */
  static final int COLUMN_BATCH = 16;

  /** Pass 3 (dense): the columns H e_j over tasks, symmetrised and decomposed on the driver. */
  private static DualityModel.Eigenpairs denseEigenpairs(
      JavaSparkContext jsc, DualityModelFactory factory, int p, int k, int tasks) {
    List<Tuple2<Integer, double[]>> columns =
        jsc.parallelize(IntStream.range(0, p).boxed().toList(), Math.max(1, Math.min(tasks, p)))
            .mapPartitions(
                (Iterator<Integer> it) -> {
                  List<Integer> mine = drain(it);
                  if (mine.isEmpty()) {
                    return Collections.<Tuple2<Integer, double[]>>emptyIterator();
                  }
                  List<Tuple2<Integer, double[]>> out = new ArrayList<>();
                  try (DualityModel model = factory.open()) {
                    for (int from = 0; from < mine.size(); from += COLUMN_BATCH) {
                      int to = Math.min(mine.size(), from + COLUMN_BATCH);
                      double[][] unit = new double[to - from][p];
                      for (int j = from; j < to; j++) {
                        unit[j - from][mine.get(j)] = 1;
                      }
                      double[][] hv = model.hessianTimes(unit);
                      for (int j = from; j < to; j++) {
                        out.add(new Tuple2<>(mine.get(j), hv[j - from]));
                      }
                    }
                  }
                  return out.iterator();
                })
            .collect();
    double[] h = new double[p * p];
    for (Tuple2<Integer, double[]> c : columns) {
      int j = c._1();
      double[] column = c._2();
      for (int i = 0; i < p; i++) {
        h[i * p + j] = column[i];
      }
    }
    for (int i = 0; i < p; i++) {
      for (int j = i + 1; j < p; j++) {
        double s = 0.5 * (h[i * p + j] + h[j * p + i]);
        h[i * p + j] = s;
        h[j * p + i] = s;
      }
    }
    SymmetricEigen.Decomposition d = SymmetricEigen.decompose(h, p);
    double[] values = Arrays.copyOf(d.values(), k);
    double[][] vectors = new double[k][];
    for (int i = 0; i < k; i++) {
      vectors[i] = Arrays.copyOfRange(d.vectors(), i * p, (i + 1) * p);
    }
    return new DualityModel.Eigenpairs(values, vectors);
  }

  /** Pass 3 (large layer): the top k eigenpairs by Lanczos, HVPs on the driver's model. */
  private static DualityModel.Eigenpairs lanczos(DualityModelFactory factory, int k, long seed) {
    try (DualityModel model = factory.open()) {
      return model.leadingEigenpairs(k, seed);
    }
  }

  /** Pass 4: the pairs over tasks, summed with {@link DualityStats}. */
  private static double[] pairSums(
      JavaSparkContext jsc,
      DualityModelFactory factory,
      NearestNeighbours.Match[] matches,
      double[][] basis,
      Space space,
      int tasks) {
    List<NearestNeighbours.Match> pairs = new ArrayList<>();
    for (NearestNeighbours.Match m : matches) {
      if (m.reference() != NearestNeighbours.NONE) {
        pairs.add(m);
      }
    }
    int k = basis.length;
    if (pairs.isEmpty()) {
      return DualityStats.empty(k);
    }
    Broadcast<double[][]> shared = jsc.broadcast(basis);
    try {
      return jsc.parallelize(pairs, Math.max(1, Math.min(tasks, pairs.size())))
          .mapPartitions(
              (Iterator<NearestNeighbours.Match> it) -> {
                List<NearestNeighbours.Match> mine = drain(it);
                double[] sums = DualityStats.empty(k);
                if (mine.isEmpty()) {
                  return List.of(sums).iterator();
                }
                double[][] b = shared.value();
                try (DualityModel model = factory.open()) {
                  int rows = model.outputs();
                  int cols = model.inputs();
                  double[] w = model.layerWeights();
                  int[] testLabels = model.labels(Split.TEST);
                  int[] test = mine.stream().mapToInt(NearestNeighbours.Match::query).toArray();
                  int[] train =
                      mine.stream().mapToInt(NearestNeighbours.Match::reference).toArray();
                  double[][] aTest = model.features(Split.TEST, test, Space.ACTIVITY);
                  double[][] aTrain = model.features(Split.TRAIN, train, Space.ACTIVITY);
                  double[][] gradients = model.trainGradients(train);
                  for (int j = 0; j < mine.size(); j++) {
                    double[] dw = DualWeights.of(w, rows, cols, aTrain[j], aTest[j]);
                    if (dw == null) {
                      DualityStats.addSkipped(sums);
                      continue;
                    }
                    int label = testLabels[test[j]];
                    double lossTrain = model.lossFromLayer(aTrain[j], w, label);
                    double lossTest = model.lossFromLayer(aTest[j], w, label);
                    double[] moved = w.clone();
                    for (int i = 0; i < moved.length; i++) {
                      moved[i] += dw[i];
                    }
                    double lossDual = model.lossFromLayer(aTrain[j], moved, label);
                    DualityStats.addPair(
                        sums,
                        b,
                        dw,
                        gradients[j],
                        lossTrain,
                        lossTest,
                        DualWeights.identityError(w, dw, rows, cols, aTrain[j], aTest[j]),
                        Math.abs(lossDual - lossTest),
                        Math.sqrt(mine.get(j).distance2()));
                  }
                }
                return List.of(sums).iterator();
              })
          .treeReduce(DualityStats::add);
    } finally {
      shared.destroy();
    }
  }

  private static void write(
      SparkSession spark, String lake, String table, List<? extends ResultRow> rows) {
    List<Row> out = new ArrayList<>(rows.size());
    for (ResultRow r : rows) {
      out.add(RowFactory.create(r.columns()));
    }
    LakeTables.write(spark.createDataFrame(out, LakeTables.sparkSchema(table)), lake, table);
  }
}
