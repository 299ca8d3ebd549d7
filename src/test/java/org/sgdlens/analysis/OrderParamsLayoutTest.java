package org.sgdlens.analysis;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.RunStaging;
import org.sgdlens.lake.Tables;
import org.sgdlens.record.RunConfig;
import org.sgdlens.record.TestRuns;
import org.sgdlens.record.TrainRun;

/**
 * The shuffle-free Gram of grouped gradient files (docs/lake.md, "Gradient layout") against the
 * shuffled one, on files the recorder itself wrote: grouped and member by member, several chunk
 * sizes and row group sizes, uncompressed (the page writer) and compressed (Parquet's record
 * writer), with Spark splitting the files into many tasks.
 */
class OrderParamsLayoutTest extends SparkTestBase {
  private static final String[] OP_COLUMNS = {
    "alignment",
    "noise_trace",
    "noise_scale",
    "clean_grad_norm",
    "wrong_grad_norm",
    "clean_wrong_cos"
  };

  /** A run of the synthetic config (noisy: clean and wrong parts) with a wider hidden layer. */
  private static RunConfig config(String id, int chunk, long groupMb, String compression) {
    RunConfig c = TestRuns.synthetic(id);
    c.model.hidden = new ArrayList<>(List.of(24)); // P = 12*24+24+24*3+3 = 387
    c.record.ensembleSize = 5;
    c.record.chunk = chunk;
    c.record.gradientGroupMb = groupMb;
    c.record.compression = compression;
    c.record.weights = org.sgdlens.record.Schedule.never();
    c.checkpointEvery = 0;
    return c;
  }

  private static Lake lake(String name, long rowGroupBytes) {
    Configuration conf = new Configuration();
    if (rowGroupBytes > 0) {
      conf.setLong(RunStaging.PARQUET_BLOCK_SIZE, rowGroupBytes);
    }
    return Lake.open(lakePath(name), conf);
  }

  private static Map<String, Double> gram(String lakeRoot, String run) {
    Map<String, Double> out = new TreeMap<>();
    for (Row r :
        LakeTables.read(spark, lakeRoot, Tables.GRAM)
            .where(col("run_id").equalTo(run))
            .collectAsList()) {
      out.put(
          run
              + " "
              + r.getAs("step")
              + " "
              + r.getAs("part_a")
              + r.getAs("member_a")
              + " "
              + r.getAs("part_b")
              + r.getAs("member_b"),
          r.getAs("value"));
    }
    return out;
  }

  private static void sameResults(
      OrderParams.Result a,
      String lakeA,
      String runA,
      OrderParams.Result b,
      String lakeB,
      String runB) {
    Map<String, Double> ga = gram(lakeA, runA);
    Map<String, Double> gb = gram(lakeB, runB);
    assertThat(ga).as("gram entries of %s", runA).isNotEmpty();
    assertThat(gb).as("gram entries of %s", runB).hasSameSizeAs(ga);
    for (Map.Entry<String, Double> e : ga.entrySet()) {
      String key = runB + e.getKey().substring(runA.length());
      assertThat(gb).as("%s has %s", runB, key).containsKey(key);
      assertThat(gb.get(key))
          .as("%s vs %s gram %s", runB, runA, e.getKey())
          .isCloseTo(e.getValue(), within(1e-12 * Math.max(1, Math.abs(e.getValue()))));
    }
    List<Row> ra = a.orderParams().stream().filter(r -> runA.equals(r.getAs("run_id"))).toList();
    List<Row> rb = b.orderParams().stream().filter(r -> runB.equals(r.getAs("run_id"))).toList();
    assertThat(rb).as("order_params rows of %s", runB).hasSameSizeAs(ra).isNotEmpty();
    for (int i = 0; i < ra.size(); i++) {
      for (String column : OP_COLUMNS) {
        double x = ra.get(i).getDouble(ra.get(i).fieldIndex(column));
        double y = rb.get(i).getDouble(rb.get(i).fieldIndex(column));
        assertThat(y)
            .as("%s step %s %s", runB, ra.get(i).getAs("step"), column)
            .isCloseTo(x, within(1e-12 * Math.max(1, Math.abs(x))));
      }
    }
  }

  private static List<Long> steps(String lakeRoot, String run) {
    return LakeTables.read(spark, lakeRoot, Tables.GRADIENTS)
        .where(col("run_id").equalTo(run))
        .select("step")
        .distinct()
        .collectAsList()
        .stream()
        .map(r -> r.getLong(0))
        .toList();
  }

  private static OrderParams.Result orderParams(String lakeRoot, boolean shuffleFree) {
    spark.conf().set(OrderParams.SHUFFLE_FREE_CONF, Boolean.toString(shuffleFree));
    try {
      return OrderParams.run(spark, new OrderParams.Options(lakeRoot, List.of()));
    } finally {
      spark.conf().unset(OrderParams.SHUFFLE_FREE_CONF);
    }
  }

  @Test
  void groupedFilesGiveTheShuffledGramForEveryChunkSizeRowGroupSizeAndSplit() {
    // Small Spark splits: every file is read by several tasks, each row group by one.
    spark.conf().set("spark.sql.files.maxPartitionBytes", "16384");
    spark.conf().set("spark.sql.files.openCostInBytes", "0");
    try {
      int[][] layouts = {{17, 2048}, {5, 400}, {1000, 0}};
      for (int[] layout : layouts) {
        int chunk = layout[0];
        String name = "layout-c" + chunk + "-rg" + layout[1];
        Lake lake = lake(name, layout[1]);
        TrainRun.execute(lake, config("grouped", chunk, 2048, "uncompressed"), false, null);
        TrainRun.execute(lake, config("streamed", chunk, 0, "uncompressed"), false, null);
        TrainRun.execute(lake, config("snappy", chunk, 2048, "snappy"), false, null);
        String root = lake.root().toString();
        Set<String> grouped =
            GradientLayout.groupedSteps(
                lake, lake.conf(), List.of("grouped", "streamed", "snappy"));
        List<String> groupedRuns =
            grouped.stream().map(k -> k.substring(0, k.indexOf('\u0000'))).distinct().toList();
        assertThat(groupedRuns).as("%s: grouped ensembles", name).contains("grouped");
        assertThat(grouped.stream().filter(k -> k.startsWith("grouped\u0000")).count())
            .as("%s: every recorded ensemble of the grouped run", name)
            .isEqualTo(steps(root, "grouped").size())
            .isGreaterThanOrEqualTo(2);
        if (layout[1] > 0 && layout[1] < 5 * 2 * chunk * Float.BYTES) {
          // Member by member with several row groups per ensemble: chunks repeat across them.
          assertThat(groupedRuns)
              .as("%s: streamed ensembles span row groups", name)
              .doesNotContain("streamed");
        }
        OrderParams.Result shuffleFree = orderParams(root, true);
        Map<String, Double> grammed = new HashMap<>();
        for (String run : List.of("grouped", "streamed", "snappy")) {
          grammed.putAll(gram(root, run));
        }
        OrderParams.Result shuffled = orderParams(root, false);
        // Each run's files through both paths (runs are not compared with each other: the engine's
        // GEMM may round differently from run to run).
        for (String run : List.of("grouped", "streamed", "snappy")) {
          sameResults(shuffled, root, run, shuffleFree, root, run);
        }
        // The shuffled rerun replaced the gram rows: same values as the shuffle-free ones.
        for (String run : List.of("grouped", "streamed", "snappy")) {
          for (Map.Entry<String, Double> e : gram(root, run).entrySet()) {
            assertThat(e.getValue())
                .as("%s %s %s", name, run, e.getKey())
                .isCloseTo(grammed.get(e.getKey()), within(1e-12 * Math.max(1, e.getValue())));
          }
        }
      }
    } finally {
      spark.conf().unset("spark.sql.files.maxPartitionBytes");
      spark.conf().unset("spark.sql.files.openCostInBytes");
    }
  }

  @Test
  void theMapSidePathShufflesNoVectorAndRefusesASplitGroup() {
    Lake lake = lake("layout-plan", 2048);
    TrainRun.execute(lake, config("grouped", 17, 2048, "uncompressed"), false, null);
    TrainRun.execute(lake, config("streamed", 17, 0, "uncompressed"), false, null);
    String root = lake.root().toString();
    Dataset<Row> gradients = LakeTables.read(spark, root, Tables.GRADIENTS);
    HashMap<String, Integer> expected = new HashMap<>();
    for (long step : steps(root, "grouped")) {
      expected.put(GradientLayout.key("grouped", step), 10);
      expected.put(GradientLayout.key("streamed", step), 10);
    }
    Dataset<Row> entries =
        OrderParams.mapSideEntries(gradients.where(col("run_id").equalTo("grouped")), expected);
    String plan = entries.queryExecution().executedPlan().toString();
    assertThat(plan)
        .as("no shuffle before the Gram pieces")
        .doesNotContain("Exchange hashpartitioning");
    assertThat(entries.count()).as("entries").isPositive();

    // Member-by-member files claimed grouped, read in splits smaller than an ensemble: a task
    // misses vectors of a chunk, and the job says so instead of writing a partial Gram.
    spark.conf().set("spark.sql.files.maxPartitionBytes", "2048");
    spark.conf().set("spark.sql.files.openCostInBytes", "0");
    try {
      Dataset<Row> streamed = gradients.where(col("run_id").equalTo("streamed"));
      assertThatThrownBy(() -> OrderParams.mapSideEntries(streamed, expected).count())
          .hasStackTraceContaining("were not all in one task")
          .hasStackTraceContaining(OrderParams.SHUFFLE_FREE_CONF);
    } finally {
      spark.conf().unset("spark.sql.files.maxPartitionBytes");
      spark.conf().unset("spark.sql.files.openCostInBytes");
    }
  }

  @Test
  void theLayoutRuleReadsRowGroupRanges() {
    var g =
        List.of(
            new GradientLayout.RowGroup(10, 10, 0, 3),
            new GradientLayout.RowGroup(10, 10, 4, 9),
            new GradientLayout.RowGroup(20, 20, 0, 5),
            new GradientLayout.RowGroup(20, 20, 5, 9),
            new GradientLayout.RowGroup(30, 30, 0, 9),
            new GradientLayout.RowGroup(40, 50, 0, 9),
            new GradientLayout.RowGroup(45, 45, 0, 9),
            new GradientLayout.RowGroup(60, 60, 0, 9));
    assertThat(GradientLayout.grouped(g))
        .as("20 shares chunk 5, 45 lies in a row group of steps 40..50")
        .containsExactly(10L, 30L, 60L);
  }
}
