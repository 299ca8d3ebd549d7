package org.sgdlens.analysis;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.api.java.function.FlatMapGroupsFunction;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.sgdlens.kernel.Gram;
import org.sgdlens.kernel.OrderParameters;
import org.sgdlens.lake.GradientPart;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.SchemaRegistry;
import org.sgdlens.lake.Tables;
import org.sgdlens.lake.VectorChunks;
import scala.Tuple3;

/**
 * The order-params job: Gram matrices of every recorded minibatch-gradient ensemble, accumulated
 * chunk by chunk (one task holds the at most 2M chunk vectors of one chunk of one step), and the
 * order parameters of docs/science.md section 1 derived from them by {@link OrderParameters}.
 */
public final class OrderParams {
  public static final String ALL = GradientPart.ALL.stored();
  public static final String CLEAN = GradientPart.CLEAN.stored();
  public static final String WRONG = GradientPart.WRONG.stored();

  /** One partial Gram entry of one chunk (or, after the sum, of the whole vector). */
  private static final int ORDER_PARAMS_COLUMNS =
      SchemaRegistry.schema(Tables.ORDER_PARAMS).columns().size();

  static final StructType ENTRY =
      new StructType()
          .add("run_id", DataTypes.StringType, false)
          .add("step", DataTypes.LongType, false)
          .add("part_a", DataTypes.StringType, false)
          .add("part_b", DataTypes.StringType, false)
          .add("member_a", DataTypes.IntegerType, false)
          .add("member_b", DataTypes.IntegerType, false)
          .add("value", DataTypes.DoubleType, false)
          .add("nonfinite", DataTypes.LongType, false);

  /**
   * @param lake lake root
   * @param runs runs to analyse; empty for every committed run
   */
  public record Options(String lake, List<String> runs) {}

  /**
   * @param orderParams the rows written to {@code order_params}, ordered by run and step
   * @param gramRows rows written to {@code gram}
   * @param warnings skipped runs and steps, and diverged steps
   */
  public record Result(List<Row> orderParams, long gramRows, List<String> warnings) {
    /** The order_params row of a step, or null. */
    public Row row(String runId, long step) {
      return orderParams.stream()
          .filter(r -> runId.equals(r.getAs("run_id")) && r.<Long>getAs("step") == step)
          .findFirst()
          .orElse(null);
    }
  }

  /** Both result tables before writing. */
  record Computed(Dataset<Row> gram, Dataset<Row> orderParams, Dataset<Row> cached) {}

  private OrderParams() {}

  public static Result run(SparkSession spark, Options options) {
    Warnings warnings = new Warnings();
    SelectedRuns selected =
        SelectedRuns.committed(spark, options.lake(), options.runs(), warnings::add);
    List<RunInfo> runs = selected.runs();
    Dataset<Row> gradients =
        selected.restrict(LakeTables.read(spark, options.lake(), Tables.GRADIENTS));
    Set<String> grouped =
        shuffleFree(spark)
            ? GradientLayout.groupedSteps(
                Lake.open(options.lake(), spark.sparkContext().hadoopConfiguration()),
                spark.sparkContext().hadoopConfiguration(),
                selected.ids())
            : Set.of();
    Computed computed = compute(gradients, warnings, grouped);
    try {
      LakeTables.write(computed.gram(), options.lake(), Tables.GRAM);
      Map<String, RunInfo> byId = new HashMap<>();
      runs.forEach(r -> byId.put(r.runId(), r));
      List<Row> rows =
          computed.orderParams().orderBy("run_id", "step").collectAsList().stream()
              .map(r -> withRunRho(r, byId.get(r.<String>getAs("run_id"))))
              .toList();
      LakeTables.write(
          spark.createDataFrame(rows, LakeTables.sparkSchema(Tables.ORDER_PARAMS)),
          options.lake(),
          Tables.ORDER_PARAMS);
      for (RunInfo run : runs) {
        if (rows.stream().noneMatch(r -> run.runId().equals(r.getAs("run_id")))) {
          warnings.add("Run " + run.runId() + " has no usable gradient ensemble; nothing written");
        }
      }
      for (Row r : rows) {
        if (r.getBoolean(r.fieldIndex("diverged"))) {
          warnings.add(
              "Run "
                  + r.getAs("run_id")
                  + " step "
                  + r.getAs("step")
                  + ": "
                  + r.getLong(r.fieldIndex("nonfinite_values"))
                  + " NaN or infinite gradient values (diverged); order parameters left null");
        }
      }
      long gramRows =
          selected.restrict(LakeTables.readRaw(spark, options.lake(), Tables.GRAM)).count();
      return new Result(rows, gramRows, warnings.list());
    } finally {
      computed.cached().unpersist();
    }
  }

  /**
   * The row with {@code relative_strength_run_rho} filled in: S with the run's noise fraction
   * instead of the ensemble's (they differ because an ensemble covers only M·B samples).
   */
  static Row withRunRho(Row r, RunInfo run) {
    int at = r.fieldIndex("relative_strength_run_rho");
    Double wrong = Rows.nullable(r, "wrong_grad_norm");
    Double clean = Rows.nullable(r, "clean_grad_norm");
    if (run == null || wrong == null || clean == null || run.trainSize() <= 0) {
      return r;
    }
    double rho = run.numMislabeled() / (double) run.trainSize();
    if (!(rho > 0 && rho < 1)) {
      return r;
    }
    Object[] v = new Object[r.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.get(i);
    }
    v[at] = Rows.finite(rho * wrong / ((1 - rho) * clean));
    return new GenericRowWithSchema(v, r.schema());
  }

  /**
   * The session setting that turns the shuffle-free read of grouped ensembles off (true by
   * default): with false every ensemble goes through the shuffle, as before the grouped layout.
   */
  public static final String SHUFFLE_FREE_CONF = "spark.sgdlens.orderParams.shuffleFree";

  static boolean shuffleFree(SparkSession spark) {
    return Boolean.parseBoolean(spark.conf().get(SHUFFLE_FREE_CONF, "true"));
  }

  /** {@link #compute(Dataset, Warnings, Set)} with every ensemble through the shuffle. */
  static Computed compute(Dataset<Row> gradients, Warnings warnings) {
    return compute(gradients, warnings, Set.of());
  }

  /**
   * Validates each (run, step) ensemble, accumulates the Gram matrices over chunks and derives the
   * order parameters. Skipped steps are reported to {@code warnings}. The ensembles named in {@code
   * grouped} ({@link GradientLayout#key}) have each chunk's vectors in one row group: their Gram
   * pieces are computed in the scan's own tasks and only M×M entries are shuffled; the others are
   * grouped by (run, step, chunk) through a shuffle of the vectors.
   */
  static Computed compute(Dataset<Row> gradients, Warnings warnings, Set<String> grouped) {
    Dataset<Row> stepMeta = validSteps(gradients, warnings);
    List<Row> metaRows = stepMeta.collectAsList();
    HashMap<String, Integer> expected = new HashMap<>();
    List<Row> mapSide = new ArrayList<>();
    List<Row> shuffled = new ArrayList<>();
    for (Row m : metaRows) {
      String key = GradientLayout.key(m.getAs("run_id"), m.<Long>getAs("step"));
      boolean split = m.getAs("label_split");
      if (grouped.contains(key)) {
        expected.put(key, m.<Integer>getAs("members") * (split ? 2 : 1));
        mapSide.add(RowFactory.create(m.getAs("run_id"), m.getAs("step")));
      } else {
        shuffled.add(RowFactory.create(m.getAs("run_id"), m.getAs("step")));
      }
    }
    Dataset<Row> entries = null;
    if (!mapSide.isEmpty()) {
      entries = mapSideEntries(restrictTo(gradients, mapSide), expected);
    }
    if (!shuffled.isEmpty() || entries == null) {
      Dataset<Row> viaShuffle = chunkEntries(restrictTo(gradients, shuffled));
      entries = entries == null ? viaShuffle : entries.unionByName(viaShuffle);
    }
    Dataset<Row> summed =
        entries
            .groupBy("run_id", "step", "part_a", "part_b", "member_a", "member_b")
            .agg(sum("value").as("value"), sum("nonfinite").as("nonfinite"))
            .persist(StorageLevel.MEMORY_AND_DISK());

    Dataset<Row> perStep =
        summed
            .groupBy("run_id", "step")
            .agg(
                collect_list(struct("part_a", "part_b", "member_a", "member_b", "value"))
                    .as("entries"),
                sum("nonfinite").as("nonfinite"))
            .join(stepMeta, joinKeys());
    Dataset<Row> orderParams =
        perStep.map(
            (MapFunction<Row, Row>) OrderParams::orderParamsRow,
            Encoders.row(LakeTables.sparkSchema(Tables.ORDER_PARAMS)));

    Dataset<Row> finiteSteps = perStep.where(col("nonfinite").equalTo(0)).select("run_id", "step");
    Dataset<Row> stored = summed.join(finiteSteps, joinKeys(), "left_semi");
    Dataset<Row> upper =
        stored.select("run_id", "step", "part_a", "part_b", "member_a", "member_b", "value");
    // Symmetric blocks were accumulated on one triangle only; the table holds full matrices.
    Dataset<Row> lower =
        stored
            .where(
                col("part_a").equalTo(col("part_b")).and(col("member_a").notEqual(col("member_b"))))
            .select(
                col("run_id"),
                col("step"),
                col("part_a"),
                col("part_b"),
                col("member_b").as("member_a"),
                col("member_a").as("member_b"),
                col("value"));
    return new Computed(upper.unionByName(lower), orderParams, summed);
  }

  /** The rows of the listed (run, step) ensembles: a broadcast semi-join, no shuffle. */
  private static Dataset<Row> restrictTo(Dataset<Row> gradients, List<Row> steps) {
    StructType keys =
        new StructType()
            .add("run_id", DataTypes.StringType, false)
            .add("step", DataTypes.LongType, false);
    Dataset<Row> wanted = gradients.sparkSession().createDataFrame(steps, keys);
    return gradients.join(broadcast(wanted), joinKeys(), "left_semi");
  }

  /**
   * Partial Gram entries per chunk computed in the scan's tasks: a task collects the rows of each
   * (run, step, chunk) until all {@code expected} vectors of it are in (the grouped layout puts
   * them in one row group, hence one task, one after the other), emits its entries and drops the
   * vectors, so it holds one chunk's vectors at a time whatever P is.
   */
  static Dataset<Row> mapSideEntries(Dataset<Row> gradients, HashMap<String, Integer> expected) {
    return gradients
        .select("run_id", "step", "chunk", "member", "part", "values")
        .mapPartitions(
            (MapPartitionsFunction<Row, Row>) rows -> new ChunkGroups(rows, expected),
            Encoders.row(ENTRY));
  }

  /** The entries of {@link #mapSideEntries}, chunk group by chunk group. */
  private static final class ChunkGroups implements Iterator<Row> {
    private final Iterator<Row> rows;
    private final Map<String, Integer> expected;
    private final Map<String, Map<String, TreeMap<Integer, float[]>>> open = new HashMap<>();
    private final Map<String, Integer> counts = new HashMap<>();
    private Iterator<Row> ready = java.util.Collections.emptyIterator();

    ChunkGroups(Iterator<Row> rows, Map<String, Integer> expected) {
      this.rows = rows;
      this.expected = expected;
    }

    @Override
    public boolean hasNext() {
      while (!ready.hasNext() && rows.hasNext()) {
        Row r = rows.next();
        String run = r.getAs("run_id");
        long step = r.<Long>getAs("step");
        int chunk = r.<Integer>getAs("chunk");
        String key = GradientLayout.key(run, step) + '\u0000' + chunk;
        open.computeIfAbsent(key, k -> new TreeMap<>())
            .computeIfAbsent(r.<String>getAs("part"), p -> new TreeMap<>())
            .put(r.<Integer>getAs("member"), VectorChunks.unpack(r.<byte[]>getAs("values")));
        int n = counts.merge(key, 1, Integer::sum);
        if (n == expected.get(GradientLayout.key(run, step))) {
          counts.remove(key);
          ready = chunkGram(run, step, open.remove(key));
        }
      }
      if (!ready.hasNext() && !open.isEmpty()) {
        throw new IllegalStateException(
            "order-params: the gradient rows of "
                + open.size()
                + " chunk group(s) (first: "
                + open.keySet().iterator().next().replace('\u0000', ' ')
                + ") were not all in one task although the files' row groups said so; rerun"
                + " with --conf "
                + SHUFFLE_FREE_CONF
                + "=false and report this");
      }
      return ready.hasNext();
    }

    @Override
    public Row next() {
      if (!hasNext()) {
        throw new java.util.NoSuchElementException();
      }
      return ready.next();
    }
  }

  private static scala.collection.immutable.Seq<String> joinKeys() {
    return Rows.seq(List.of("run_id", "step"));
  }

  /**
   * One row per usable (run, step) with batch_size, counts and vector length; steps with fewer than
   * two members, unknown parts or an incomplete chunk grid are skipped with a warning.
   */
  static Dataset<Row> validSteps(Dataset<Row> gradients, Warnings warnings) {
    Dataset<Row> memberParts =
        ChunkGrid.vectorCounts(
            gradients,
            "run_id",
            List.of("step", "member", "part"),
            min("count").as("cnt"),
            min("batch_size").as("b_min"),
            max("batch_size").as("b_max"));
    List<Row> steps =
        memberParts
            .groupBy("run_id", "step")
            .agg(
                countDistinct("member").as("members"),
                count(lit(1)).as("member_parts"),
                collect_set("part").as("parts"),
                min("rows").as("rows_min"),
                max("rows").as("rows_max"),
                min("chunks").as("chunks_min"),
                max("chunks").as("chunks_max"),
                min("len").as("len_min"),
                max("len").as("len_max"),
                min("b_min").as("b_min"),
                max("b_max").as("b_max"),
                sum(when(col("part").equalTo(CLEAN), col("cnt"))).as("clean_count"),
                sum(when(col("part").equalTo(WRONG), col("cnt"))).as("wrong_count"))
            .orderBy("run_id", "step")
            .collectAsList();
    List<Row> ok = new ArrayList<>();
    for (Row s : steps) {
      String where = "Run " + s.getAs("run_id") + " step " + s.getAs("step") + ": ";
      long members = s.getLong(s.fieldIndex("members"));
      TreeSet<String> parts = new TreeSet<>(s.getList(s.fieldIndex("parts")));
      boolean split = parts.equals(new TreeSet<>(List.of(CLEAN, WRONG)));
      if (!split && !parts.equals(new TreeSet<>(List.of(ALL)))) {
        warnings.add(
            where
                + "gradient parts "
                + parts
                + " are neither [all] nor [clean, wrong]; step skipped");
        continue;
      }
      if (members < 2) {
        warnings.add(
            where
                + "the ensemble has "
                + members
                + " minibatch gradient(s); order parameters need at least 2 (record with an"
                + " ensemble size >= 2); step skipped");
        continue;
      }
      ChunkGrid.Counts grid =
          new ChunkGrid.Counts(
              s.getLong(s.fieldIndex("rows_min")),
              s.getLong(s.fieldIndex("rows_max")),
              s.getLong(s.fieldIndex("chunks_min")),
              s.getLong(s.fieldIndex("chunks_max")),
              s.getLong(s.fieldIndex("len_min")),
              s.getLong(s.fieldIndex("len_max")));
      long chunksMax = grid.chunksMax();
      long lenMax = grid.lenMax();
      if (s.getLong(s.fieldIndex("member_parts")) != members * parts.size()
          || !grid.oneCompleteGrid()) {
        warnings.add(
            where + "incomplete or duplicated gradient chunks (" + grid + "); step skipped");
        continue;
      }
      int bMin = s.getInt(s.fieldIndex("b_min"));
      int bMax = s.getInt(s.fieldIndex("b_max"));
      if (bMin != bMax) {
        warnings.add(
            where + "members disagree on batch_size (" + bMin + ".." + bMax + "); step skipped");
        continue;
      }
      ok.add(
          RowFactory.create(
              s.getAs("run_id"),
              s.getAs("step"),
              (int) members,
              bMin,
              lenMax,
              (int) chunksMax,
              split,
              split ? s.getLong(s.fieldIndex("clean_count")) : null,
              split ? s.getLong(s.fieldIndex("wrong_count")) : null));
    }
    StructType schema =
        new StructType()
            .add("run_id", DataTypes.StringType, false)
            .add("step", DataTypes.LongType, false)
            .add("members", DataTypes.IntegerType, false)
            .add("batch_size", DataTypes.IntegerType, false)
            .add("num_params", DataTypes.LongType, false)
            .add("num_chunks", DataTypes.IntegerType, false)
            .add("label_split", DataTypes.BooleanType, false)
            .add("clean_count", DataTypes.LongType, true)
            .add("wrong_count", DataTypes.LongType, true);
    return gradients.sparkSession().createDataFrame(ok, schema);
  }

  /**
   * Partial Gram entries per chunk: rows are grouped by (run, step, chunk), so a task holds only
   * the chunk vectors of one chunk. Symmetric blocks emit their upper triangle (member_a &lt;=
   * member_b); the clean/wrong block emits every pair. NaN/infinite counts ride on the diagonal.
   */
  static Dataset<Row> chunkEntries(Dataset<Row> gradients) {
    return gradients
        .select("run_id", "step", "chunk", "member", "part", "values")
        .groupByKey(
            (MapFunction<Row, Tuple3<String, Long, Integer>>)
                r ->
                    new Tuple3<>(
                        r.<String>getAs("run_id"),
                        r.<Long>getAs("step"),
                        r.<Integer>getAs("chunk")),
            Encoders.tuple(Encoders.STRING(), Encoders.LONG(), Encoders.INT()))
        .flatMapGroups(
            (FlatMapGroupsFunction<Tuple3<String, Long, Integer>, Row, Row>)
                (key, rows) -> chunkGram(key._1(), key._2(), rows),
            Encoders.row(ENTRY));
  }

  private static Iterator<Row> chunkGram(String run, long step, Iterator<Row> rows) {
    Map<String, TreeMap<Integer, float[]>> byPart = new TreeMap<>();
    while (rows.hasNext()) {
      Row r = rows.next();
      byPart
          .computeIfAbsent(r.<String>getAs("part"), p -> new TreeMap<>())
          .put(r.<Integer>getAs("member"), VectorChunks.unpack(r.<byte[]>getAs("values")));
    }
    return chunkGram(run, step, byPart);
  }

  /**
   * The Gram entries of one chunk's vectors, by part and member: one Gram matrix of all the chunk's
   * vectors (one BLAS call), cut into the parts' symmetric blocks (upper triangles) and the
   * clean/wrong block.
   */
  private static Iterator<Row> chunkGram(
      String run, long step, Map<String, TreeMap<Integer, float[]>> byPart) {
    List<String> parts = new ArrayList<>();
    List<Integer> members = new ArrayList<>();
    List<float[]> vectors = new ArrayList<>();
    for (Map.Entry<String, TreeMap<Integer, float[]>> part : byPart.entrySet()) {
      for (Map.Entry<Integer, float[]> m : part.getValue().entrySet()) {
        parts.add(part.getKey());
        members.add(m.getKey());
        vectors.add(m.getValue());
      }
    }
    double[][] gram = Gram.of(vectors.toArray(float[][]::new));
    List<Row> out = new ArrayList<>();
    for (int i = 0; i < vectors.size(); i++) {
      for (int j = i; j < vectors.size(); j++) {
        String a = parts.get(i);
        String b = parts.get(j);
        if (a.equals(b)) {
          long nonFinite = i == j ? Gram.nonFinite(vectors.get(i)) : 0L;
          out.add(
              RowFactory.create(
                  run, step, a, a, members.get(i), members.get(j), gram[i][j], nonFinite));
        } else if (a.equals(CLEAN) && b.equals(WRONG)) {
          out.add(
              RowFactory.create(
                  run, step, CLEAN, WRONG, members.get(i), members.get(j), gram[i][j], 0L));
        }
      }
    }
    return out.iterator();
  }

  /** Rebuilds the step's Gram blocks from summed entries and applies the kernel. */
  private static Row orderParamsRow(Row step) {
    List<Row> entries = step.getList(step.fieldIndex("entries"));
    TreeSet<Integer> memberIds = new TreeSet<>();
    for (Row e : entries) {
      memberIds.add(e.getAs("member_a"));
      memberIds.add(e.getAs("member_b"));
    }
    Map<Integer, Integer> index = new TreeMap<>();
    for (Integer id : memberIds) {
      index.put(id, index.size());
    }
    int m = index.size();
    Map<String, double[][]> blocks = new TreeMap<>();
    for (Row e : entries) {
      String partA = e.getAs("part_a");
      String partB = e.getAs("part_b");
      double value = e.getAs("value");
      double[][] g = blocks.computeIfAbsent(partA + "/" + partB, b -> new double[m][m]);
      int a = index.get(e.<Integer>getAs("member_a"));
      int b = index.get(e.<Integer>getAs("member_b"));
      g[a][b] = value;
      if (partA.equals(partB)) {
        g[b][a] = value;
      }
    }
    boolean split = step.getBoolean(step.fieldIndex("label_split"));
    int batch = step.getInt(step.fieldIndex("batch_size"));
    long nonFinite = step.getLong(step.fieldIndex("nonfinite"));
    Long cleanCount = split ? step.getLong(step.fieldIndex("clean_count")) : null;
    Long wrongCount = split ? step.getLong(step.fieldIndex("wrong_count")) : null;
    OrderParameters p = null;
    if (nonFinite == 0) {
      p =
          split
              ? OrderParameters.fromParts(
                  blocks.get(CLEAN + "/" + CLEAN),
                  blocks.get(CLEAN + "/" + WRONG),
                  blocks.get(WRONG + "/" + WRONG),
                  cleanCount,
                  wrongCount,
                  batch)
              : OrderParameters.fromGram(blocks.get(ALL + "/" + ALL), batch);
    }
    List<Object> v = new ArrayList<>();
    v.add(step.getAs("run_id"));
    v.add(step.getAs("step"));
    v.add(m);
    v.add(batch);
    v.add(step.getLong(step.fieldIndex("num_params")));
    v.add(step.getInt(step.fieldIndex("num_chunks")));
    v.add(split);
    v.add(cleanCount);
    v.add(wrongCount);
    v.add(nonFinite > 0);
    v.add(nonFinite);
    if (p == null) {
      // A diverged step: every order parameter is null.
      while (v.size() < ORDER_PARAMS_COLUMNS) {
        v.add(null);
      }
    } else {
      v.add(Rows.finite(p.meanGradNorm()));
      v.add(Rows.finite(p.meanSqNorm()));
      v.add(Rows.finite(p.alignment()));
      v.add(Rows.finite(p.alignmentStd()));
      for (double q : p.alignmentQuantiles()) {
        v.add(Rows.finite(q));
      }
      v.add(p.alignmentPairs());
      v.add(Rows.finite(p.noiseTrace()));
      v.add(Rows.finite(p.snr()));
      v.add(Rows.finite(p.noiseScale()));
      v.add(Rows.finite(p.cleanGradNorm()));
      v.add(Rows.finite(p.wrongGradNorm()));
      v.add(Rows.finite(p.cleanWrongCos()));
      v.add(Rows.finite(p.ensembleRho()));
      v.add(Rows.finite(p.relativeStrength()));
      v.add(null); // relative_strength_run_rho: the run's rho is joined in by withRunRho
    }
    return RowFactory.create(v.toArray());
  }
}
