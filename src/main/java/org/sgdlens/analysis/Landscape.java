package org.sgdlens.analysis;

import static org.apache.spark.sql.functions.col;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.kernel.FlatnessSearch;
import org.sgdlens.kernel.LossOracle;
import org.sgdlens.kernel.LossOracleFactory;
import org.sgdlens.lake.Columns;
import org.sgdlens.lake.Tables;
import org.sgdlens.lake.VectorChunks;
import scala.Tuple2;

/**
 * Loss profiles along principal directions and their flatness (docs/science.md section 3.2–3.3).
 * The directions of a run (from {@code pca_directions}) are spread over Spark tasks; each task
 * opens ONE {@link LossOracle} from a serializable {@link LossOracleFactory} (loading the trained
 * model once) and runs the kernel's bracketing/bisection for each of its directions from the final
 * weights {@code w0}.
 */
public final class Landscape {
  private Landscape() {}

  /** Chooses the loss oracle of a run; called on the driver, its factory is shipped to tasks. */
  @FunctionalInterface
  public interface OracleSource extends Serializable {
    LossOracleFactory forRun(String lakeRoot, String runId);
  }

  /**
   * @param runs runs to analyse; empty means every committed run with directions
   * @param components 1-based components to profile
   * @param tasks Spark tasks to spread the directions over; 0 for Spark's default parallelism
   */
  public record Options(
      String lake,
      List<String> runs,
      List<Integer> components,
      FlatnessSearch.Settings search,
      int tasks) {
    /** The 200 leading directions trajectory-pca stores by default. */
    public static final String COMPONENTS_DEFAULT = "1-200";

    /** 0: Spark's default parallelism. */
    public static final int TASKS_DEFAULT = 0;

    public Options {
      if (components.isEmpty()) {
        throw new IllegalArgumentException("--components selects nothing; give e.g. 1-200");
      }
      if (tasks < 0) {
        throw new IllegalArgumentException(
            "--tasks " + tasks + " is negative; give 0 (auto) or more");
      }
    }

    public static Builder builder() {
      return new Builder();
    }

    /**
     * Options with every unset value at its {@code _DEFAULT} (the search at {@link
     * FlatnessSearch.Settings#defaults()}); {@code setLake} is required.
     */
    public static final class Builder {
      private String lake;
      private List<String> runs = List.of();
      private List<Integer> components = parseComponents(COMPONENTS_DEFAULT);
      private FlatnessSearch.Settings search = FlatnessSearch.Settings.defaults();
      private int tasks = TASKS_DEFAULT;

      private Builder() {}

      public Builder setLake(String lake) {
        this.lake = lake;
        return this;
      }

      /** Runs to analyse; empty (the default) for every committed run with directions. */
      public Builder optRuns(List<String> runs) {
        this.runs = runs;
        return this;
      }

      /** 1-based components, e.g. "1-200", "2,5,7-9" or "1-1000/10". */
      public Builder optComponents(String spec) {
        this.components = parseComponents(spec);
        return this;
      }

      public Builder optSearch(FlatnessSearch.Settings search) {
        this.search = search;
        return this;
      }

      public Builder optTasks(int tasks) {
        this.tasks = tasks;
        return this;
      }

      public Options build() {
        return new Options(
            Objects.requireNonNull(lake, "call setLake"), runs, components, search, tasks);
      }
    }
  }

  public record RunResult(
      String runId, String window, long params, List<Integer> missing, List<Profiled> profiles) {}

  /** One direction's search outcome, carried back from the tasks. */
  public record Profiled(int component, FlatnessSearch.Profile profile) implements Serializable {}

  public record Result(List<RunResult> runs, List<String> warnings) {}

  /**
   * Parses "1-200", "2,5,7-9" or "1-1000/10" (from 1 to 1000 in steps of 10: 1, 11, …, 991) into
   * sorted distinct components ≥ 1.
   */
  public static List<Integer> parseComponents(String spec) {
    TreeSet<Integer> out = new TreeSet<>();
    for (String part : spec.split(",")) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      try {
        int slash = p.indexOf('/');
        int every = slash < 0 ? 1 : Integer.parseInt(p.substring(slash + 1).trim());
        String range = slash < 0 ? p : p.substring(0, slash).trim();
        int dash = range.indexOf('-', 1);
        if (slash >= 0 && dash < 0) {
          throw new NumberFormatException();
        }
        int from = Integer.parseInt(dash < 0 ? range : range.substring(0, dash).trim());
        int to = dash < 0 ? from : Integer.parseInt(range.substring(dash + 1).trim());
        if (from < 1 || to < from || every < 1) {
          throw new NumberFormatException();
        }
        for (int c = from; c <= to; c += every) {
          out.add(c);
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "--components '"
                + spec
                + "' has '"
                + p
                + "', which is not a component or range;"
                + " give 1-based components like 1-200, 2,5,7-9 or 1-1000/10 (every 10th)");
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(
          "--components '" + spec + "' selects nothing; give e.g. 1-200");
    }
    return List.copyOf(out);
  }

  public static Result run(SparkSession spark, Options options, OracleSource source) {
    List<String> warnings = new ArrayList<>();
    Dataset<Row> directions = LakeTables.read(spark, options.lake(), Tables.PCA_DIRECTIONS);
    List<String> runs =
        SelectedRuns.withRowsIn(
                directions, options.lake(), options.runs(), Tables.PCA_DIRECTIONS, warnings::add)
            .ids();
    List<RunResult> results = new ArrayList<>();
    for (String runId : runs) {
      RunResult r = runOne(spark, options, source, runId, directions, warnings);
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
      String runId,
      Dataset<Row> allDirections,
      List<String> warnings) {
    Dataset<Row> runDirections = allDirections.where(col("run_id").equalTo(runId));
    List<Row> stored =
        runDirections
            .groupBy("component", Columns.PCA_WINDOW)
            .agg(
                org.apache
                    .spark
                    .sql
                    .functions
                    .max(col(Columns.CHUNK_OFFSET).plus(col("length")))
                    .as("end"),
                org.apache.spark.sql.functions.sum("length").as("values"))
            .collectAsList();
    TreeSet<Integer> available = new TreeSet<>();
    String window = null;
    long params = -1;
    for (Row r : stored) {
      available.add(r.getAs("component"));
      window = r.getAs(Columns.PCA_WINDOW);
      params = Math.max(params, r.<Long>getAs("end"));
    }
    List<Integer> chosen = new ArrayList<>();
    List<Integer> missing = new ArrayList<>();
    for (int c : options.components()) {
      (available.contains(c) ? chosen : missing).add(c);
    }
    if (!missing.isEmpty()) {
      warnings.add(
          "run '"
              + runId
              + "': "
              + missing.size()
              + " requested component(s) have no stored"
              + " direction (stored: "
              + describe(available)
              + "); rerun trajectory-pca with a"
              + " larger --directions to profile them");
    }
    if (chosen.isEmpty()) {
      warnings.add("run '" + runId + "' skipped: none of the requested components is stored");
      return null;
    }
    int p = (int) params;
    int tasks =
        options.tasks() > 0
            ? Math.min(options.tasks(), chosen.size())
            : Math.min(spark.sparkContext().defaultParallelism(), chosen.size());
    LossOracleFactory factory = source.forRun(options.lake(), runId);
    if (!(factory instanceof Serializable)) {
      throw new IllegalArgumentException(
          "The loss-oracle factory "
              + factory.getClass().getName()
              + " of run '"
              + runId
              + "' is not Serializable, so Spark cannot ship it to tasks; implement"
              + " java.io.Serializable");
    }
    // The kernel's Settings is not Serializable: ship its numbers and rebuild it in the task.
    FlatnessSearch.Settings s = options.search();
    double[] settings = {
      s.factor(), s.initialStep(), s.growth(), s.maxTheta(), s.tolerance(), s.search().ordinal()
    };

    JavaPairRDD<Integer, Tuple2<Long, byte[]>> chunks =
        runDirections
            .where(col("component").isin(chosen.toArray()))
            .select("component", Columns.CHUNK_OFFSET, "values")
            .javaRDD()
            .mapToPair(
                r ->
                    new Tuple2<>(
                        r.<Integer>getAs("component"),
                        new Tuple2<>(
                            r.<Long>getAs(Columns.CHUNK_OFFSET), r.<byte[]>getAs("values"))));
    List<Profiled> profiles =
        chunks
            .groupByKey(new HashPartitioner(tasks))
            .mapPartitions(
                (Iterator<Tuple2<Integer, Iterable<Tuple2<Long, byte[]>>>> it) ->
                    profileAll(it, factory, settings, p))
            .collect();
    List<Profiled> sorted = new ArrayList<>(profiles);
    sorted.sort((a, b) -> Integer.compare(a.component(), b.component()));
    write(spark, options, runId, window, sorted);
    return new RunResult(runId, window, p, missing, sorted);
  }

  /** One task: one oracle for all of its directions. */
  private static Iterator<Profiled> profileAll(
      Iterator<Tuple2<Integer, Iterable<Tuple2<Long, byte[]>>>> directions,
      LossOracleFactory factory,
      double[] numbers,
      int params) {
    FlatnessSearch.Settings settings =
        new FlatnessSearch.Settings(
            numbers[0],
            numbers[1],
            numbers[2],
            numbers[3],
            numbers[4],
            FlatnessSearch.Search.values()[(int) numbers[5]]);
    if (!directions.hasNext()) {
      return java.util.Collections.emptyIterator();
    }
    List<Profiled> out = new ArrayList<>();
    try (LossOracle oracle = factory.open()) {
      float[] origin = oracle.origin();
      if (origin.length != params) {
        throw new IllegalStateException(
            "The model records "
                + origin.length
                + " weights but the stored directions have "
                + params
                + "; pca_directions and the model must come from the same run");
      }
      double l0 = oracle.loss(origin);
      while (directions.hasNext()) {
        Tuple2<Integer, Iterable<Tuple2<Long, byte[]>>> next = directions.next();
        float[] direction = new float[params];
        for (Tuple2<Long, byte[]> chunk : next._2()) {
          float[] values = VectorChunks.unpack(chunk._2());
          System.arraycopy(values, 0, direction, (int) (long) chunk._1(), values.length);
        }
        FlatnessSearch.Profile profile =
            FlatnessSearch.search(FlatnessSearch.along(oracle, origin, direction), l0, settings);
        out.add(new Profiled(next._1(), profile));
      }
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("Closing the loss oracle failed: " + e.getMessage(), e);
    }
    return out.iterator();
  }

  private static void write(
      SparkSession spark, Options options, String runId, String window, List<Profiled> profiles) {
    List<Row> points = new ArrayList<>();
    List<Row> flatness = new ArrayList<>();
    FlatnessSearch.Settings s = options.search();
    for (Profiled p : profiles) {
      FlatnessSearch.Profile f = p.profile();
      for (int i = 0; i < f.thetas().length; i++) {
        points.add(RowFactory.create(runId, p.component(), i, f.thetas()[i], f.losses()[i]));
      }
      flatness.add(
          RowFactory.create(
              runId,
              window,
              p.component(),
              f.censoredLeft() ? null : f.thetaLeft(),
              f.censoredRight() ? null : f.thetaRight(),
              f.censored() ? null : f.flatness(),
              f.censored(),
              f.censoredSide(),
              f.l0(),
              s.factor(),
              s.maxTheta(),
              s.tolerance(),
              f.evaluations(),
              s.search().label()));
    }
    LakeTables.write(
        spark.createDataFrame(points, LakeTables.sparkSchema(Tables.LANDSCAPE_PROFILES)),
        options.lake(),
        Tables.LANDSCAPE_PROFILES);
    LakeTables.write(
        spark.createDataFrame(flatness, LakeTables.sparkSchema(Tables.FLATNESS)),
        options.lake(),
        Tables.FLATNESS);
  }

  private static String describe(TreeSet<Integer> components) {
    if (components.isEmpty()) {
      return "none";
    }
    if (components.last() - components.first() + 1 == components.size()) {
      return components.first() + "-" + components.last();
    }
    return components.toString();
  }
}
