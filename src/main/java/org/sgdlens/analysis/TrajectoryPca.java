package org.sgdlens.analysis;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.apache.spark.mllib.linalg.distributed.RowMatrix;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.lake.Tables;

/**
 * PCA of a window of recorded weight snapshots (docs/science.md section 3.1): the options, the run
 * selection ({@link SelectedRuns}), the window ({@link PcaWindow}, checked by {@link ChunkGrid}),
 * then one of two methods that agree on the same input, written by {@link PcaWriter}:
 *
 * <ul>
 *   <li>{@code mllib} ({@link MllibPca}): Spark MLlib's distributed covariance ({@link RowMatrix}
 *       computePrincipalComponentsAndExplainedVariance); the driver holds a P×P matrix, so only for
 *       small P (at most 65,535, MLlib's own limit for this path);
 *   <li>{@code gram} ({@link GramPca}): the T×T Gram matrix of the centred window, summed over
 *       blocks of coordinates in Spark (a task holds T × block floats, never a whole P-vector),
 *       eigen-decomposed on the driver with LAPACK, then the directions recovered block by block in
 *       a second pass over the same shuffled blocks.
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
   * @param mllibMaxParams {@code auto} uses MLlib when P is at most this and below T
   * @param directions leading directions to store (at most {@code components})
   * @param blockBytes memory budget of one Gram task's block: T × block × 4 bytes
   * @param minTrainAccuracy when set, the window starts no earlier than the first recorded step
   *     from which {@code metrics.train_accuracy} stays above this (the protocol's "once training
   *     accuracy > 0.99")
   * @param components leading components whose variances are computed and stored, 0 for all
   *     (min(T−1, P)); fewer than all lets the Gram method find only the leading eigenpairs ({@link
   *     org.sgdlens.kernel.SymmetricEigen#leading}) instead of decomposing T×T in full. The
   *     explained ratios still divide by the total variance (the trace), which needs no eigenvalue
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
      Double minTrainAccuracy,
      int components) {
    /**
     * {@link Method#AUTO}: MLlib for narrow trajectories (P below T and the MLlib limit), the Gram
     * method otherwise.
     */
    public static final String METHOD_DEFAULT = "auto";

    /**
     * Auto uses MLlib up to this P (its driver holds a P x P matrix) when P is also below T, the
     * Gram method otherwise.
     */
    public static final int MLLIB_MAX_PARAMS_DEFAULT = 5000;

    public static final int DIRECTIONS_DEFAULT = 200;

    /**
     * 0: every variance of the window (the variance-flatness γ fit and components_holding read the
     * whole spectrum).
     */
    public static final int COMPONENTS_DEFAULT = 0;

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
      if (components < 0) {
        throw new IllegalArgumentException(
            "--components " + components + " is negative; give 0 (all) or the number to keep");
      }
      if (blockBytes < 1024) {
        throw new IllegalArgumentException(
            "--block-mb gives " + blockBytes + " bytes; give at least 1 (MB)");
      }
    }

    /** Every component ({@link #COMPONENTS_DEFAULT}). */
    public Options(
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
      this(
          lake,
          runs,
          fromStep,
          toStep,
          lastSteps,
          method,
          mllibMaxParams,
          directions,
          blockBytes,
          minTrainAccuracy,
          COMPONENTS_DEFAULT);
    }

    /**
     * The components a window of {@code snapshots} × {@code params} keeps: its rank min(T−1, P), or
     * fewer when {@link #components} asks for fewer.
     */
    public int componentsOf(int snapshots, long params) {
      int rank = (int) Math.min(snapshots - 1, params);
      return components == 0 ? rank : Math.min(components, rank);
    }

    public Options withComponents(int c) {
      return new Options(
          lake,
          runs,
          fromStep,
          toStep,
          lastSteps,
          method,
          mllibMaxParams,
          directions,
          blockBytes,
          minTrainAccuracy,
          c);
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
          accuracy,
          components);
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
      private int components = COMPONENTS_DEFAULT;

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

      /** Leading components to compute and store; 0 (the default) for all. */
      public Builder optComponents(int components) {
        this.components = components;
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
            minTrainAccuracy,
            components);
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
      int blocks,
      double precisionFloor) {}

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
      PcaWindow window = PcaWindow.plan(runId, runWeights, options, trainedFrom, warnings);
      if (window == null) {
        continue;
      }
      Method method = choose(options, window.snapshots(), window.params);
      Dataset<Row> data =
          runWeights
              .where(col("step").between(window.fromStep, window.toStep))
              .select("step", "chunk", "values");
      RunResult result =
          method == Method.MLLIB
              ? MllibPca.run(spark, options, window, data)
              : GramPca.run(spark, options, window, data);
      if (result.directionsWritten() == 0) {
        // Directions of an earlier window would no longer match the new variances.
        PcaWriter.dropRunPartition(spark, options.lake(), Tables.PCA_DIRECTIONS, runId);
      }
      PcaWriter.writeVariances(spark, options.lake(), result, result.precisionFloor());
      results.add(result);
    }
    return new Result(results, warnings);
  }

  /**
   * The variance float32 rounding of the recorded weights puts along a unit direction p: a weight w
   * stored as float32 carries an error uniform in ±ulp(w)/2, variance ulp(w)²/12, so along p the
   * rounding variance is Σ_j p_j² ulp(w_j)²/12, which for directions spread over the coordinates is
   * the mean (1/P) Σ_j ulp(w_j)²/12. Taken over the window's last snapshot (the weights move little
   * within a window); a component whose variance is near it measures the recording's precision, not
   * SGD. This is one part's sum Σ ulp(w_j)²/12; both methods add it up from the snapshot they
   * already hold, so the floor costs no read of its own.
   */
  static double roundingVarianceSum(float[] values) {
    double s = 0;
    for (float w : values) {
      double ulp = Math.ulp(w);
      s += ulp * ulp / 12;
    }
    return s;
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
      if (m.<Double>getAs("train_accuracy") > threshold) {
        if (from == null) {
          from = m.getAs("step");
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
              + metrics.get(metrics.size() - 1).getAs("train_accuracy")
              + ")");
    }
    return from;
  }

  private static Method choose(Options options, int snapshots, long params) {
    Method method = options.method();
    if (method == Method.AUTO) {
      // Decompose the smaller matrix: MLlib's P×P covariance only when P < T. At T=2000, P=2500
      // MLlib took 8.1-10.5 s, the T×T Gram 2.7-3.8 s (docs/benchmarks.md, issue 13).
      return params <= options.mllibMaxParams() && params < snapshots ? Method.MLLIB : Method.GRAM;
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
}
