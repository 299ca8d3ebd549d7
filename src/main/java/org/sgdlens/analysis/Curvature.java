package org.sgdlens.analysis;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.not;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.HashPartitioner;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.kernel.CurvatureOracle;
import org.sgdlens.kernel.CurvatureOracleFactory;
import org.sgdlens.lake.Columns;
import org.sgdlens.lake.CurvatureRow;
import org.sgdlens.lake.Tables;
import org.sgdlens.lake.VectorChunks;
import scala.Tuple2;

/**
 * Hessian curvature of the training loss at a run's recorded weight snapshots, after the fact
 * (docs/curvature.md, "The curvature job"): the top-k eigenvalues (Lanczos), the trace (Hutchinson,
 * with its standard error) and optionally the spectral density (SLQ). The chosen steps are spread
 * over Spark tasks; each task opens ONE {@link CurvatureOracle} from a serializable {@link
 * CurvatureOracleFactory} (loading the run's training set and engine once) and evaluates all of its
 * snapshots with it. Writes {@code curvature} and, with the density, {@code curvature_density}.
 */
public final class Curvature {
  private Curvature() {}

  /** Scope of the Hessian over every parameter, as the {@code scope} column writes it. */
  public static final String SCOPE_ALL = "all";

  /** The rows of {@code sample_set}: the run's whole training set, or a seeded subset of it. */
  public static final String SAMPLE_SET_TRAIN = "train";

  public static final String SAMPLE_SET_SUBSET = "subset";

  /**
   * Chooses the curvature oracle of a run; called on the driver (where it may refuse the run, e.g.
   * a model the engine does not support), its factory is shipped to tasks.
   */
  @FunctionalInterface
  public interface OracleSource extends Serializable {
    CurvatureOracleFactory forRun(String lakeRoot, String runId, Options options);
  }

  /**
   * @param runs runs to analyse; empty means every committed run with weights
   * @param steps recorded steps and ranges ("0,100,200-400"), null for every recorded snapshot
   * @param every keep every N-th of the selected snapshots (1: all of them)
   * @param layer parameter or layer name of the Hessian block, null for all parameters
   * @param topK eigenvalues per snapshot
   * @param lanczosSteps Lanczos steps, 0 for min(P, max(2k + 20, 3k))
   * @param traceProbes Rademacher probes of the trace
   * @param density whether to estimate the spectral density
   * @param densityProbes SLQ probes
   * @param densitySteps Lanczos steps per SLQ probe
   * @param subset training rows of a seeded subset, 0 for the whole training set
   * @param seed seed of the subset, of the Lanczos start vector and of the probes
   * @param tasks Spark tasks to spread the steps over; 0 for Spark's default parallelism
   */
  public record Options(
      String lake,
      List<String> runs,
      String steps,
      int every,
      String layer,
      int topK,
      int lanczosSteps,
      int traceProbes,
      boolean density,
      int densityProbes,
      int densitySteps,
      int subset,
      long seed,
      int tasks)
      implements Serializable {
    public static final int EVERY_DEFAULT = 1;
    public static final int TOP_K_DEFAULT = 5;
    public static final int LANCZOS_STEPS_DEFAULT = 0;
    public static final int TRACE_PROBES_DEFAULT = 100;
    public static final int DENSITY_PROBES_DEFAULT = 10;
    public static final int DENSITY_STEPS_DEFAULT = 80;
    public static final int SUBSET_DEFAULT = 0;
    public static final long SEED_DEFAULT = 0;
    public static final int TASKS_DEFAULT = 0;

    public Options {
      runs = List.copyOf(runs);
      if (steps != null) {
        parseSteps(steps); // refuses a malformed list before any work
      }
      requireAtLeast("--every", every, 1);
      requireAtLeast("--top-k", topK, 1);
      requireAtLeast("--lanczos-steps", lanczosSteps, 0);
      if (lanczosSteps > 0 && lanczosSteps < topK) {
        throw new IllegalArgumentException(
            "--lanczos-steps "
                + lanczosSteps
                + " is below --top-k "
                + topK
                + "; Lanczos needs at least k steps (give 0 for the default)");
      }
      requireAtLeast("--trace-probes", traceProbes, 2);
      requireAtLeast("--density-probes", densityProbes, 1);
      requireAtLeast("--density-steps", densitySteps, 1);
      requireAtLeast("--subset", subset, 0);
      requireAtLeast("--tasks", tasks, 0);
      if (layer != null && layer.isBlank()) {
        throw new IllegalArgumentException(
            "--layer is empty; give a layer (fc1) or parameter (fc1.weight), or leave it out");
      }
    }

    /** The {@code scope} column: the layer, or {@value #SCOPE_ALL}. */
    public String scope() {
      return layer == null ? SCOPE_ALL : layer;
    }

    public static Builder builder() {
      return new Builder();
    }

    /** Options with every unset value at its {@code _DEFAULT}; {@code setLake} is required. */
    public static final class Builder {
      private String lake;
      private List<String> runs = List.of();
      private String steps;
      private int every = EVERY_DEFAULT;
      private String layer;
      private int topK = TOP_K_DEFAULT;
      private int lanczosSteps = LANCZOS_STEPS_DEFAULT;
      private int traceProbes = TRACE_PROBES_DEFAULT;
      private boolean density;
      private int densityProbes = DENSITY_PROBES_DEFAULT;
      private int densitySteps = DENSITY_STEPS_DEFAULT;
      private int subset = SUBSET_DEFAULT;
      private long seed = SEED_DEFAULT;
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

      /** Recorded steps and ranges, e.g. "0,100,200-400"; null (default) for all. */
      public Builder optSteps(String steps) {
        this.steps = steps;
        return this;
      }

      public Builder optEvery(int every) {
        this.every = every;
        return this;
      }

      /** A layer (fc2) or parameter (fc2.weight); null (default) for all parameters. */
      public Builder optLayer(String layer) {
        this.layer = layer;
        return this;
      }

      public Builder optTopK(int topK) {
        this.topK = topK;
        return this;
      }

      public Builder optLanczosSteps(int steps) {
        this.lanczosSteps = steps;
        return this;
      }

      public Builder optTraceProbes(int probes) {
        this.traceProbes = probes;
        return this;
      }

      public Builder optDensity(boolean density) {
        this.density = density;
        return this;
      }

      public Builder optDensityProbes(int probes) {
        this.densityProbes = probes;
        return this;
      }

      public Builder optDensitySteps(int steps) {
        this.densitySteps = steps;
        return this;
      }

      /** Seeded subset of this many training rows; 0 (default) for the whole training set. */
      public Builder optSubset(int rows) {
        this.subset = rows;
        return this;
      }

      public Builder optSeed(long seed) {
        this.seed = seed;
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
            steps,
            every,
            layer,
            topK,
            lanczosSteps,
            traceProbes,
            density,
            densityProbes,
            densitySteps,
            subset,
            seed,
            tasks);
      }
    }

    private static void requireAtLeast(String option, long value, long min) {
      if (value < min) {
        throw new IllegalArgumentException(option + " is " + value + "; give " + min + " or more");
      }
    }
  }

  /** One snapshot's results, carried back from the tasks. */
  public record StepCurvature(
      long step,
      double loss,
      int params,
      int rows,
      double[] eigenvalues,
      double[] residuals,
      int lanczosSteps,
      double trace,
      double traceStandardError,
      int probes,
      double[] grid,
      double[] density)
      implements Serializable {
    static StepCurvature of(long step, CurvatureOracle.Estimates e) {
      return new StepCurvature(
          step,
          e.loss(),
          e.params(),
          e.rows(),
          e.eigenvalues(),
          e.residuals(),
          e.lanczosSteps(),
          e.trace(),
          e.traceStandardError(),
          e.probes(),
          e.grid(),
          e.density());
    }
  }

  public record RunResult(String runId, String scope, List<StepCurvature> steps) {}

  public record Result(List<RunResult> runs, List<String> warnings) {}

  /** A parsed --steps: single steps (each must be recorded) and inclusive ranges. */
  record StepSpec(Set<Long> singles, List<long[]> ranges) {}

  /** Parses "0,100,200-400" into single steps and inclusive ranges of steps ≥ 0. */
  static StepSpec parseSteps(String spec) {
    Set<Long> singles = new LinkedHashSet<>();
    List<long[]> ranges = new ArrayList<>();
    for (String part : spec.split(",")) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      try {
        int dash = p.indexOf('-', 1);
        if (dash < 0) {
          long s = Long.parseLong(p);
          if (s < 0) {
            throw new NumberFormatException();
          }
          singles.add(s);
        } else {
          long from = Long.parseLong(p.substring(0, dash).trim());
          long to = Long.parseLong(p.substring(dash + 1).trim());
          if (from < 0 || to < from) {
            throw new NumberFormatException();
          }
          ranges.add(new long[] {from, to});
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "--steps '"
                + spec
                + "' has '"
                + p
                + "', which is not a step or range; give recorded steps like 0,100,200-400");
      }
    }
    if (singles.isEmpty() && ranges.isEmpty()) {
      throw new IllegalArgumentException(
          "--steps '" + spec + "' selects nothing; give e.g. 0,100,200-400, or leave it out");
    }
    return new StepSpec(singles, ranges);
  }

  /**
   * The snapshots to process: every recorded one, or those --steps names (a single step must be
   * recorded; a range takes the recorded steps inside it), then every N-th of them.
   */
  static List<Long> chooseSteps(String runId, TreeSet<Long> recorded, Options options) {
    List<Long> chosen = new ArrayList<>();
    if (options.steps() == null) {
      chosen.addAll(recorded);
    } else {
      StepSpec spec = parseSteps(options.steps());
      TreeSet<Long> picked = new TreeSet<>();
      for (long s : spec.singles()) {
        if (!recorded.contains(s)) {
          throw new IllegalArgumentException(
              "--steps names step "
                  + s
                  + ", which run '"
                  + runId
                  + "' has no complete weight snapshot of (recorded: "
                  + describe(recorded)
                  + "); give recorded steps, a range such as "
                  + recorded.first()
                  + "-"
                  + recorded.last()
                  + ", or leave --steps out for all of them");
        }
        picked.add(s);
      }
      for (long[] r : spec.ranges()) {
        Set<Long> inside = recorded.subSet(r[0], true, r[1], true);
        if (inside.isEmpty()) {
          throw new IllegalArgumentException(
              "--steps range "
                  + r[0]
                  + "-"
                  + r[1]
                  + " holds no weight snapshot of run '"
                  + runId
                  + "' (recorded: "
                  + describe(recorded)
                  + "); give a range that contains recorded steps");
        }
        picked.addAll(inside);
      }
      chosen.addAll(picked);
    }
    List<Long> out = new ArrayList<>();
    for (int i = 0; i < chosen.size(); i += options.every()) {
      out.add(chosen.get(i));
    }
    return out;
  }

  public static Result run(SparkSession spark, Options options, OracleSource source) {
    List<String> warnings = new ArrayList<>();
    Dataset<Row> weights = LakeTables.read(spark, options.lake(), Tables.WEIGHTS);
    List<RunInfo> runs =
        SelectedRuns.withRowsIn(
                weights, options.lake(), options.runs(), Tables.WEIGHTS, warnings::add)
            .runs();
    List<RunResult> results = new ArrayList<>();
    for (RunInfo run : runs) {
      RunResult r = runOne(spark, options, source, run, weights, warnings);
      if (r != null) {
        results.add(r);
      }
    }
    return new Result(results, warnings);
  }

  private static RunResult runOne(
      SparkSession spark,
      Options options,
      OracleSource source,
      RunInfo run,
      Dataset<Row> allWeights,
      List<String> warnings) {
    String runId = run.runId();
    // The source runs first: it refuses a model the engine cannot differentiate, naming it.
    CurvatureOracleFactory factory = source.forRun(options.lake(), runId, options);
    if (!(factory instanceof Serializable)) {
      throw new IllegalArgumentException(
          "The curvature-oracle factory "
              + factory.getClass().getName()
              + " of run '"
              + runId
              + "' is not Serializable, so Spark cannot ship it to tasks; implement"
              + " java.io.Serializable");
    }
    long params = requireFullSnapshots(spark, options, runId);
    Dataset<Row> runWeights = allWeights.where(col("run_id").equalTo(runId));
    List<Row> layout =
        runWeights.select("step", "chunk", Columns.CHUNK_OFFSET, "length").collectAsList();
    TreeMap<Long, ChunkGrid> grids = ChunkGrid.byVector(layout, r -> r.<Long>getAs("step"));
    TreeSet<Long> recorded = new TreeSet<>();
    List<Long> broken = new ArrayList<>();
    for (Map.Entry<Long, ChunkGrid> e : grids.entrySet()) {
      ChunkGrid g = e.getValue();
      if (g.tilingBreak() < 0 && g.length() == params) {
        recorded.add(e.getKey());
      } else {
        broken.add(e.getKey());
      }
    }
    if (!broken.isEmpty()) {
      warnings.add(
          "run '"
              + runId
              + "': "
              + broken.size()
              + " weight snapshot(s) have missing or duplicated chunks and are left out (first:"
              + " step "
              + broken.get(0)
              + "); the run's lake files may be damaged, check with jobs/sql");
    }
    if (recorded.isEmpty()) {
      warnings.add("run '" + runId + "' skipped: it has no complete weight snapshot");
      return null;
    }
    List<Long> chosen = chooseSteps(runId, recorded, options);
    long[] steps = chosen.stream().mapToLong(Long::longValue).toArray();
    int tasks =
        options.tasks() > 0
            ? Math.min(options.tasks(), chosen.size())
            : Math.min(spark.sparkContext().defaultParallelism(), chosen.size());
    int p = (int) params;
    // Keyed by the step's position in the chosen list, so the hash partitioner deals the steps
    // round-robin over the tasks (keyed by step, steps 0 and 40 would share one of two tasks).
    Map<Long, Integer> position = new java.util.HashMap<>();
    for (int i = 0; i < chosen.size(); i++) {
      position.put(chosen.get(i), i);
    }
    List<StepCurvature> computed =
        runWeights
            .where(col("step").isin(chosen.toArray()))
            .select("step", Columns.CHUNK_OFFSET, "values")
            .javaRDD()
            .mapToPair(
                r ->
                    new Tuple2<>(
                        position.get(r.<Long>getAs("step")),
                        new Tuple2<>(
                            r.<Long>getAs(Columns.CHUNK_OFFSET), r.<byte[]>getAs("values"))))
            .groupByKey(new HashPartitioner(tasks))
            .mapPartitions(
                (Iterator<Tuple2<Integer, Iterable<Tuple2<Long, byte[]>>>> it) ->
                    computeAll(it, steps, factory, p))
            .collect();
    List<StepCurvature> sorted = new ArrayList<>(computed);
    sorted.sort((a, b) -> Long.compare(a.step(), b.step()));
    write(spark, options, run, sorted);
    return new RunResult(runId, options.scope(), sorted);
  }

  /**
   * The run's parameter count P, after checking that each snapshot holds every parameter (the
   * Hessian at a step depends on all of them, a layer block included) and that --layer names one.
   */
  private static long requireFullSnapshots(SparkSession spark, Options options, String runId) {
    List<Row> layout =
        LakeTables.read(spark, options.lake(), Tables.PARAM_LAYOUT)
            .where(col("run_id").equalTo(runId).and(col("trainable")))
            .orderBy("position")
            .select("name", "size", "weights_offset")
            .collectAsList();
    List<String> names = new ArrayList<>();
    List<String> recordedNames = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    long params = 0;
    for (Row r : layout) {
      String name = r.getAs("name");
      names.add(name);
      // param_layout.weights_offset is -1 for a parameter the snapshots leave out.
      (r.<Long>getAs("weights_offset") < 0 ? missing : recordedNames).add(name);
      params += r.<Long>getAs("size");
    }
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException(
          "Run '"
              + runId
              + "' records only "
              + recordedNames
              + " in its weight snapshots (record.layers), not "
              + missing
              + "; the Hessian at a step, of any layer block too (--layer "
              + String.join(", ", recordedNames)
              + "), depends on every parameter's value at that step, which the lake does not"
              + " have (final_params holds them only after the last step); retrain the run with"
              + " record.layers empty to compute its curvature");
    }
    if (options.layer() != null) {
      Set<String> choices = new LinkedHashSet<>();
      for (String n : names) {
        int dot = n.lastIndexOf('.');
        choices.add(dot < 0 ? n : n.substring(0, dot));
      }
      choices.addAll(names);
      if (!choices.contains(options.layer())) {
        throw new IllegalArgumentException(
            "--layer '"
                + options.layer()
                + "' is not a layer or parameter of run '"
                + runId
                + "'; give one of "
                + String.join(", ", choices)
                + ", or leave --layer out for all parameters");
      }
    }
    return params;
  }

  /** One task: one oracle for all of its snapshots. */
  private static Iterator<StepCurvature> computeAll(
      Iterator<Tuple2<Integer, Iterable<Tuple2<Long, byte[]>>>> snapshots,
      long[] steps,
      CurvatureOracleFactory factory,
      int params) {
    if (!snapshots.hasNext()) {
      return Collections.emptyIterator();
    }
    List<StepCurvature> out = new ArrayList<>();
    try (CurvatureOracle oracle = factory.open()) {
      while (snapshots.hasNext()) {
        Tuple2<Integer, Iterable<Tuple2<Long, byte[]>>> next = snapshots.next();
        float[] w = new float[params];
        for (Tuple2<Long, byte[]> chunk : next._2()) {
          float[] values = VectorChunks.unpack(chunk._2());
          System.arraycopy(values, 0, w, (int) (long) chunk._1(), values.length);
        }
        out.add(StepCurvature.of(steps[next._1()], oracle.at(w)));
      }
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("Closing the curvature oracle failed: " + e.getMessage(), e);
    }
    return out.iterator();
  }

  /**
   * Writes the run's rows, keeping its earlier rows of other (step, scope) pairs: a call for
   * --layer fc2 leaves the all-parameter rows in place, a call for the same steps and scope
   * replaces them. Rows recorded during training (source 'record') are never replaced. The tables
   * are small (one row per snapshot and scope, a grid per density), so the kept rows are collected
   * before the partition is rewritten.
   */
  private static void write(
      SparkSession spark, Options options, RunInfo run, List<StepCurvature> steps) {
    String runId = run.runId();
    String scope = options.scope();
    Set<Long> done = new TreeSet<>();
    steps.forEach(s -> done.add(s.step()));
    List<Row> curvature = new ArrayList<>(kept(spark, options, Tables.CURVATURE, runId, done));
    // Without --density the density rows stay as they are (none of them is replaced).
    List<Row> density =
        options.density()
            ? new ArrayList<>(kept(spark, options, Tables.CURVATURE_DENSITY, runId, done))
            : new ArrayList<>();
    for (StepCurvature s : steps) {
      boolean subset = s.rows() < run.trainSize();
      curvature.add(
          RowFactory.create(
              runId,
              s.step(),
              scope,
              s.loss(),
              s.params(),
              subset ? SAMPLE_SET_SUBSET : SAMPLE_SET_TRAIN,
              s.rows(),
              subset ? options.seed() : null,
              s.eigenvalues().length,
              s.eigenvalues()[0],
              boxed(s.eigenvalues()),
              boxed(s.residuals()),
              s.lanczosSteps(),
              s.trace(),
              s.traceStandardError(),
              s.probes(),
              options.seed(),
              CurvatureRow.SOURCE_JOB));
      for (int i = 0; i < s.grid().length; i++) {
        density.add(
            RowFactory.create(
                runId, s.step(), scope, i, s.grid()[i], s.density()[i], CurvatureRow.SOURCE_JOB));
      }
    }
    LakeTables.write(
        spark.createDataFrame(curvature, LakeTables.sparkSchema(Tables.CURVATURE)),
        options.lake(),
        Tables.CURVATURE);
    if (options.density()) {
      LakeTables.write(
          spark.createDataFrame(density, LakeTables.sparkSchema(Tables.CURVATURE_DENSITY)),
          options.lake(),
          Tables.CURVATURE_DENSITY);
    }
  }

  /** The run's stored rows of {@code table} that this call does not replace, collected. */
  private static List<Row> kept(
      SparkSession spark, Options options, String table, String runId, Set<Long> steps) {
    return LakeTables.read(spark, options.lake(), table)
        .where(
            col("run_id")
                .equalTo(runId)
                .and(
                    col("source")
                        .eqNullSafe(CurvatureRow.SOURCE_RECORD)
                        .or(col("scope").notEqual(options.scope()))
                        .or(not(col("step").isin(steps.toArray())))))
        .select(LakeTables.columns(table)[0], dropFirst(LakeTables.columns(table)))
        .collectAsList();
  }

  private static String[] dropFirst(String[] columns) {
    String[] out = new String[columns.length - 1];
    System.arraycopy(columns, 1, out, 0, out.length);
    return out;
  }

  private static List<Double> boxed(double[] values) {
    List<Double> out = new ArrayList<>(values.length);
    for (double v : values) {
      out.add(v);
    }
    return out;
  }

  private static String describe(TreeSet<Long> steps) {
    if (steps.size() <= 6) {
      return steps.toString();
    }
    return steps.size()
        + " snapshots from step "
        + steps.first()
        + " to "
        + steps.last()
        + ", e.g. "
        + new ArrayList<>(steps).subList(0, 3);
  }
}
