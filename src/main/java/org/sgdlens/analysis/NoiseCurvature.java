package org.sgdlens.analysis;

import static org.apache.spark.sql.functions.col;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.kernel.LayerCurvatureProbe;
import org.sgdlens.kernel.LayerCurvatureProbeFactory;
import org.sgdlens.kernel.NoiseCurvatureStats;
import org.sgdlens.kernel.SymmetricEigen;
import org.sgdlens.lake.Columns;
import org.sgdlens.lake.Tables;
import org.sgdlens.lake.VectorChunks;

/**
 * SGD noise covariance against curvature in one layer block of a recorded run (docs/curvature.md
 * section 5). The training rows are spread over Spark tasks; each task opens ONE {@link
 * LayerCurvatureProbe} from a serializable {@link LayerCurvatureProbeFactory} (the model built
 * inside the task) and returns the sums of its rows, which the driver adds ({@code treeReduce} of
 * {@code double[]}). Pass 1 gives {@code H}, {@code F} and {@code Σ_g}; the driver decomposes
 * {@code H = U Λ Uᵀ}; pass 2 (with {@code U} shipped to the tasks) gives {@code E[h²]} in that
 * basis. Writes {@code noise_curvature_pairs} and {@code noise_curvature}.
 */
public final class NoiseCurvature {
  private NoiseCurvature() {}

  /** Chooses the probe of a run; called on the driver, its factory is shipped to tasks. */
  @FunctionalInterface
  public interface ProbeSource extends Serializable {
    /**
     * @param snapshot the run's recorded weights vector at {@code step}, or null for the final
     *     weights
     */
    LayerCurvatureProbeFactory forRun(
        String lakeRoot, String runId, String layer, float[] snapshot, long step);
  }

  /**
   * @param runs runs to analyse; empty means every committed run
   * @param step weights snapshot to use, or {@link #FINAL_STEP} for the final weights
   * @param gammaRange 1-based eigen-indices of the fits ("1-50"), or "auto"
   * @param floor relative eigenvalue floor of the "auto" range
   * @param fullEh2Max largest P_S for which E[h²] is accumulated as a full matrix
   * @param tasks Spark tasks; 0 for Spark's default parallelism
   */
  public record Options(
      String lake,
      List<String> runs,
      String layer,
      long step,
      String gammaRange,
      double floor,
      int fullEh2Max,
      int tasks) {
    /** The 30×30 hidden-to-hidden layer of the authors' protocol MLP. */
    public static final String LAYER_DEFAULT = "fc2.weight";

    /** No --step: the final weights (final_params). */
    public static final long FINAL_STEP = -1;

    /** Every positive eigenvalue above the relative floor. */
    public static final String GAMMA_RANGE_DEFAULT = "auto";

    public static final double FLOOR_DEFAULT = NoiseCurvatureStats.FLOOR_DEFAULT;

    /**
     * E[h²] in full costs N·P_S³ flops (a rank-N·P_S update); at 300 and N = 10,000 that is 3e11, a
     * minute or two on one core. Above it only the eigenbasis diagonal is computed (N·P_S²).
     */
    public static final int FULL_EH2_MAX_DEFAULT = 300;

    public static final int TASKS_DEFAULT = 0;

    public Options {
      if (layer == null || layer.isBlank()) {
        throw new IllegalArgumentException("--layer is empty; give a parameter such as fc2.weight");
      }
      if (step < FINAL_STEP) {
        throw new IllegalArgumentException(
            "--step " + step + " is negative; give a recorded step (0 = initial weights)");
      }
      if (fullEh2Max < 0) {
        throw new IllegalArgumentException(
            "--full-eh2-max " + fullEh2Max + " is negative; give 0 (never) or more");
      }
      if (tasks < 0) {
        throw new IllegalArgumentException(
            "--tasks " + tasks + " is negative; give 0 (auto) or more");
      }
      if (!(floor > 0 && floor < 1)) {
        throw new IllegalArgumentException(
            "--floor " + floor + " is not in (0, 1); give a relative floor such as 1e-6");
      }
      NoiseCurvatureStats.checkRange(gammaRange);
    }

    public static Builder builder() {
      return new Builder();
    }

    /** Options with every unset value at its {@code _DEFAULT}; {@code setLake} is required. */
    public static final class Builder {
      private String lake;
      private List<String> runs = List.of();
      private String layer = LAYER_DEFAULT;
      private long step = FINAL_STEP;
      private String gammaRange = GAMMA_RANGE_DEFAULT;
      private double floor = FLOOR_DEFAULT;
      private int fullEh2Max = FULL_EH2_MAX_DEFAULT;
      private int tasks = TASKS_DEFAULT;

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

      /** A recorded step of the weights table; {@link #FINAL_STEP} for the final weights. */
      public Builder optStep(long step) {
        this.step = step;
        return this;
      }

      public Builder optGammaRange(String gammaRange) {
        this.gammaRange = gammaRange;
        return this;
      }

      public Builder optFloor(double floor) {
        this.floor = floor;
        return this;
      }

      public Builder optFullEh2Max(int fullEh2Max) {
        this.fullEh2Max = fullEh2Max;
        return this;
      }

      public Builder optTasks(int tasks) {
        this.tasks = tasks;
        return this;
      }

      public Options build() {
        return new Options(
            Objects.requireNonNull(lake, "call setLake"),
            runs,
            layer,
            step,
            gammaRange,
            floor,
            fullEh2Max,
            tasks);
      }
    }
  }

  /** One run's outcome: the combined statistics and the rows written. */
  public record RunResult(
      String runId, long step, String layer, NoiseCurvatureStats.Result stats) {}

  public record Result(List<RunResult> runs, List<String> warnings) {}

  public static Result run(SparkSession spark, Options options, ProbeSource source) {
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

  private static RunResult runOne(
      SparkSession spark, Options options, ProbeSource source, String runId) {
    long step;
    float[] snapshot = null;
    if (options.step() == Options.FINAL_STEP) {
      step =
          LakeTables.read(spark, options.lake(), Tables.RUNS)
              .where(col("run_id").equalTo(runId))
              .select("steps")
              .first()
              .getLong(0);
    } else {
      step = options.step();
      snapshot = snapshot(spark, options.lake(), runId, step);
    }
    LayerCurvatureProbeFactory factory =
        source.forRun(options.lake(), runId, options.layer(), snapshot, step);
    if (!(factory instanceof Serializable)) {
      throw new IllegalStateException(
          "The probe factory "
              + factory.getClass().getName()
              + " of run '"
              + runId
              + "' is not Serializable, so Spark cannot ship it to tasks; implement"
              + " java.io.Serializable");
    }
    int n;
    int p;
    int batch;
    // Opened on the driver first: bad input (unknown layer, non-MLP run) fails here, once.
    try (LayerCurvatureProbe probe = factory.open()) {
      n = probe.samples();
      p = probe.dimension();
      batch = probe.batchSize();
    }
    NoiseCurvatureStats.minibatchFactor(n, batch);
    int tasks =
        options.tasks() > 0
            ? Math.min(options.tasks(), n)
            : Math.min(spark.sparkContext().defaultParallelism(), n);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    JavaRDD<Integer> rows =
        jsc.parallelize(IntStream.range(0, n).boxed().toList(), Math.max(1, tasks));

    double[] first =
        rows.mapPartitions((Iterator<Integer> it) -> firstPass(it, factory))
            .treeReduce(NoiseCurvatureStats::add);
    NoiseCurvatureStats.Moments moments = NoiseCurvatureStats.moments(first, p);
    SymmetricEigen.Decomposition eigen = SymmetricEigen.decompose(moments.hessian(), p);
    double[][] basis = NoiseCurvatureStats.basis(eigen);
    boolean full = p <= options.fullEh2Max();
    double[] second =
        rows.mapPartitions((Iterator<Integer> it) -> secondPass(it, factory, basis, full))
            .treeReduce(NoiseCurvatureStats::add);
    NoiseCurvatureStats.Result stats =
        NoiseCurvatureStats.combine(
            moments, eigen, second, full, batch, options.gammaRange(), options.floor());
    write(spark, options.lake(), runId, step, options.layer(), stats);
    return new RunResult(runId, step, options.layer(), stats);
  }

  /** The run's recorded weights vector at {@code step}, from the weights table. */
  private static float[] snapshot(SparkSession spark, String lake, String runId, long step) {
    List<Row> chunks =
        LakeTables.read(spark, lake, Tables.WEIGHTS)
            .where(col("run_id").equalTo(runId).and(col("step").equalTo(step)))
            .select(Columns.CHUNK_OFFSET, "length", "values")
            .collectAsList();
    if (chunks.isEmpty()) {
      List<Row> range =
          LakeTables.read(spark, lake, Tables.WEIGHTS)
              .where(col("run_id").equalTo(runId))
              .agg(
                  org.apache.spark.sql.functions.min("step"),
                  org.apache.spark.sql.functions.max("step"),
                  org.apache.spark.sql.functions.countDistinct("step"))
              .collectAsList();
      Row r = range.get(0);
      String recorded =
          r.isNullAt(0)
              ? "none (the run records no weights; train with --set record.weights.every=N)"
              : r.get(2) + " steps from " + r.get(0) + " to " + r.get(1);
      throw new IllegalArgumentException(
          "Run '"
              + runId
              + "' has no weights snapshot at --step "
              + step
              + "; recorded: "
              + recorded
              + " (list them with jobs/sql -e \"SELECT DISTINCT step FROM weights WHERE run_id ="
              + " '"
              + runId
              + "'\"), or omit --step for the final weights");
    }
    long length = 0;
    for (Row c : chunks) {
      length = Math.max(length, c.<Long>getAs(Columns.CHUNK_OFFSET) + c.<Integer>getAs("length"));
    }
    float[] out = new float[(int) length];
    for (Row c : chunks) {
      float[] values = VectorChunks.unpack(c.<byte[]>getAs("values"));
      System.arraycopy(
          values, 0, out, (int) (long) c.<Long>getAs(Columns.CHUNK_OFFSET), values.length);
    }
    return out;
  }

  private static int[] positions(Iterator<Integer> it) {
    List<Integer> list = new ArrayList<>();
    it.forEachRemaining(list::add);
    return list.stream().mapToInt(Integer::intValue).toArray();
  }

  /** One task of pass 1: one probe for all of its rows. */
  private static Iterator<double[]> firstPass(
      Iterator<Integer> it, LayerCurvatureProbeFactory factory) {
    int[] rows = positions(it);
    if (rows.length == 0) {
      return Collections.emptyIterator();
    }
    try (LayerCurvatureProbe probe = factory.open()) {
      return List.of(probe.firstPass(rows)).iterator();
    }
  }

  /** One task of pass 2. */
  private static Iterator<double[]> secondPass(
      Iterator<Integer> it, LayerCurvatureProbeFactory factory, double[][] basis, boolean full) {
    int[] rows = positions(it);
    if (rows.length == 0) {
      return Collections.emptyIterator();
    }
    try (LayerCurvatureProbe probe = factory.open()) {
      return List.of(probe.secondPass(rows, basis, full)).iterator();
    }
  }

  private static Double boxed(double v) {
    return Double.isFinite(v) ? v : null;
  }

  private static void write(
      SparkSession spark,
      String lake,
      String runId,
      long step,
      String layer,
      NoiseCurvatureStats.Result s) {
    List<Row> pairs = new ArrayList<>();
    java.util.Set<Integer> inRange = new java.util.HashSet<>();
    for (int i : s.range().indices()) {
      inRange.add(i);
    }
    for (int i = 0; i < s.p(); i++) {
      pairs.add(
          RowFactory.create(
              runId,
              step,
              layer,
              i + 1,
              s.lambda()[i],
              s.c()[i],
              s.f()[i],
              s.eh2()[i],
              inRange.contains(i)));
    }
    List<Object> summary = new ArrayList<>();
    summary.add(runId);
    summary.add(step);
    summary.add(layer);
    summary.add(s.p());
    summary.add(s.n());
    summary.add(s.batch());
    summary.add(s.factor());
    summary.add(s.loss());
    summary.add(s.lambda()[0]);
    summary.add(s.lambda()[s.p() - 1]);
    summary.add(s.range().description());
    for (NoiseCurvatureStats.GammaFit fit : List.of(s.gammaC(), s.gammaF(), s.gammaEh2())) {
      summary.add(fit == null ? null : fit.gamma());
      summary.add(fit == null ? null : fit.low());
      summary.add(fit == null ? null : fit.high());
      summary.add(fit == null ? null : fit.r2());
      summary.add(fit == null ? 0 : fit.points());
    }
    summary.add(s.commutator());
    summary.add(s.cosineCH());
    summary.add(boxed(s.cosineCEh2()));
    summary.add(s.cosineCHDiagonal());
    summary.add(s.cosineCEh2Diagonal());
    summary.add(s.expectedHessianSquare() != null);
    for (NoiseCurvatureStats.GammaFit fit : List.of(s.gammaC(), s.gammaF(), s.gammaEh2())) {
      summary.add(fit == null ? null : fit.intercept());
    }
    LakeTables.write(
        spark.createDataFrame(pairs, LakeTables.sparkSchema(Tables.NOISE_CURVATURE_PAIRS)),
        lake,
        Tables.NOISE_CURVATURE_PAIRS);
    LakeTables.write(
        spark.createDataFrame(
            List.of(RowFactory.create(summary.toArray())),
            LakeTables.sparkSchema(Tables.NOISE_CURVATURE)),
        lake,
        Tables.NOISE_CURVATURE);
  }
}
