package org.sgdlens.analysis;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sgdlens.lake.Tables;

class OrderParamsJobTest extends SparkTestBase {
  private static final int M = 4;
  private static final int P = 50;
  private static final int B = 16;
  private static String lake;
  private static OrderParams.Result result;

  /** rand run: [step][member] clean and wrong vectors, as recorded (float32). */
  private static final Map<Long, float[][]> CLEAN = new HashMap<>();

  private static final Map<Long, float[][]> WRONG = new HashMap<>();
  private static final int[] CHUNKS = {1, 7, 64, 100};
  private static float[][] shared;
  // synthetic G + noise ensemble
  private static final int SM = 64;
  private static final int SP = 3000;
  private static double synthTrace;
  private static double synthG2;

  @BeforeAll
  static void buildLake() {
    spark.sparkContext().setLogLevel("WARN");
    lake = lakePath("op");
    Random rnd = new Random(21);
    List<Row> grads = new ArrayList<>();
    List<Row> runs = new ArrayList<>();

    // Random small ensembles with a clean/wrong split, chunk size 7 (last chunk short).
    runs.add(SyntheticLake.run("rand", M * B, 9, B));
    for (long step : new long[] {0, 10}) {
      float[][] c = new float[M][P];
      float[][] w = new float[M][P];
      for (int mu = 0; mu < M; mu++) {
        for (int k = 0; k < P; k++) {
          c[mu][k] = (float) (0.2 + rnd.nextGaussian());
          w[mu][k] = (float) (-0.1 + 0.3 * rnd.nextGaussian());
        }
        int wrongCount = 2 + mu % 2;
        grads.addAll(
            SyntheticLake.gradient("rand", step, mu, "clean", M, B, B - wrongCount, c[mu], 7));
        grads.addAll(SyntheticLake.gradient("rand", step, mu, "wrong", M, B, wrongCount, w[mu], 7));
      }
      CLEAN.put(step, c);
      WRONG.put(step, w);
    }

    // The same no-split ensemble under several chunk sizes.
    shared = new float[3][100];
    for (float[] v : shared) {
      for (int k = 0; k < v.length; k++) {
        v[k] = (float) rnd.nextGaussian();
      }
    }
    for (int chunk : CHUNKS) {
      String id = "chunk" + chunk;
      runs.add(SyntheticLake.run(id, 48, 0, B));
      for (int mu = 0; mu < 3; mu++) {
        grads.addAll(SyntheticLake.gradient(id, 5, mu, "all", 3, B, B, shared[mu], chunk));
      }
    }

    // Synthetic ensemble g^mu = G + xi^mu, xi ~ N(0, diag s^2).
    runs.add(SyntheticLake.run("synth", SM * B, 0, B));
    double[] g0 = new double[SP];
    double[] s = new double[SP];
    for (int k = 0; k < SP; k++) {
      s[k] = 0.05 * (1 + k % 5);
      synthTrace += s[k] * s[k];
    }
    for (int k = 0; k < SP; k++) {
      g0[k] = Math.sqrt(synthTrace / SP) * 0.5 * rnd.nextGaussian();
      synthG2 += g0[k] * g0[k];
    }
    for (int mu = 0; mu < SM; mu++) {
      float[] v = new float[SP];
      for (int k = 0; k < SP; k++) {
        v[k] = (float) (g0[k] + s[k] * rnd.nextGaussian());
      }
      grads.addAll(SyntheticLake.gradient("synth", 100, mu, "all", SM, B, B, v, 512));
    }

    // Bad input: M = 1 at step 0, a NaN and an infinity at step 1, fine at step 2, a member
    // missing a chunk at step 3.
    runs.add(SyntheticLake.run("bad", 48, 0, B));
    for (int mu = 0; mu < 3; mu++) {
      float[] v = new float[20];
      for (int k = 0; k < 20; k++) {
        v[k] = (float) rnd.nextGaussian();
      }
      if (mu == 0) {
        grads.addAll(SyntheticLake.gradient("bad", 0, mu, "all", 1, B, B, v, 8));
      }
      float[] broken = v.clone();
      if (mu == 1) {
        broken[3] = Float.NaN;
        broken[17] = Float.POSITIVE_INFINITY;
      }
      grads.addAll(SyntheticLake.gradient("bad", 1, mu, "all", 3, B, B, broken, 8));
      grads.addAll(SyntheticLake.gradient("bad", 2, mu, "all", 3, B, B, v, 8));
      List<Row> step3 = SyntheticLake.gradient("bad", 3, mu, "all", 3, B, B, v, 8);
      grads.addAll(mu == 2 ? step3.subList(0, 2) : step3);
    }
    SyntheticLake.runs(spark, lake, runs.toArray(Row[]::new));
    SyntheticLake.write(spark, lake, Tables.GRADIENTS, grads);
    result = OrderParams.run(spark, new OrderParams.Options(lake, List.of()));
  }

  private static double[][] toDouble(float[][] v) {
    double[][] out = new double[v.length][];
    for (int i = 0; i < v.length; i++) {
      out[i] = new double[v[i].length];
      for (int k = 0; k < v[i].length; k++) {
        out[i][k] = v[i][k];
      }
    }
    return out;
  }

  private static double dot(double[] x, double[] y) {
    double s = 0;
    for (int k = 0; k < x.length; k++) {
      s += x[k] * y[k];
    }
    return s;
  }

  private static void close(Row row, String column, double expected) {
    double tol = Math.abs(expected) < 1e-3 ? 1e-9 : 1e-6 * Math.abs(expected);
    assertThat(row.getDouble(row.fieldIndex(column)))
        .as("%s at %s step %d", column, row.getString(0), row.getLong(1))
        .isCloseTo(expected, within(tol));
  }

  @Test
  void sparkOrderParametersEqualBruteForceInDoubles() {
    for (long step : new long[] {0, 10}) {
      double[][] c = toDouble(CLEAN.get(step));
      double[][] w = toDouble(WRONG.get(step));
      double[][] g = new double[M][P];
      double[] gbar = new double[P];
      double[] sc = new double[P];
      double[] sw = new double[P];
      for (int mu = 0; mu < M; mu++) {
        for (int k = 0; k < P; k++) {
          g[mu][k] = c[mu][k] + w[mu][k];
          gbar[k] += g[mu][k] / M;
          sc[k] += c[mu][k];
          sw[k] += w[mu][k];
        }
      }
      double q = 0;
      double trace = 0;
      for (double[] v : g) {
        q += dot(v, v) / M;
        double[] d = v.clone();
        for (int k = 0; k < P; k++) {
          d[k] -= gbar[k];
        }
        trace += dot(d, d) / (M - 1);
      }
      List<Double> cos = new ArrayList<>();
      for (int i = 0; i < M; i++) {
        for (int j = i + 1; j < M; j++) {
          cos.add(dot(g[i], g[j]) / Math.sqrt(dot(g[i], g[i]) * dot(g[j], g[j])));
        }
      }
      double r = cos.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
      double[] sorted = cos.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      long nw = 2 + 3 + 2 + 3;
      long nc = (long) M * B - nw;
      double[] gc = new double[P];
      double[] gw = new double[P];
      for (int k = 0; k < P; k++) {
        gc[k] = sc[k] * B / nc;
        gw[k] = sw[k] * B / nw;
      }
      double rho = (double) nw / (nc + nw);
      double a2 = dot(gbar, gbar);
      Row row = result.row("rand", step);
      assertThat(row).as("row of step %d", step).isNotNull();
      assertThat(row.getInt(row.fieldIndex("ensemble_size"))).as("M").isEqualTo(M);
      assertThat(row.getLong(row.fieldIndex("num_params"))).as("P").isEqualTo(P);
      assertThat(row.getInt(row.fieldIndex("num_chunks"))).as("chunks").isEqualTo(8);
      assertThat(row.getLong(row.fieldIndex("wrong_count"))).as("wrong count").isEqualTo(nw);
      close(row, "mean_grad_norm", Math.sqrt(a2));
      close(row, "mean_sq_norm", q);
      close(row, "alignment", r);
      close(row, "alignment_min", sorted[0]);
      close(row, "alignment_max", sorted[sorted.length - 1]);
      close(row, "alignment_q50", (sorted[2] + sorted[3]) / 2);
      close(row, "noise_trace", trace);
      close(row, "snr", a2 / trace);
      close(row, "noise_scale", B * trace / a2);
      close(row, "clean_grad_norm", Math.sqrt(dot(gc, gc)));
      close(row, "wrong_grad_norm", Math.sqrt(dot(gw, gw)));
      close(row, "clean_wrong_cos", dot(gc, gw) / Math.sqrt(dot(gc, gc) * dot(gw, gw)));
      close(row, "ensemble_rho", rho);
      close(
          row,
          "relative_strength",
          rho * Math.sqrt(dot(gw, gw)) / ((1 - rho) * Math.sqrt(dot(gc, gc))));
      // The run's rho: 9 of M·B training samples mislabeled (runs row above), not the ensemble's.
      double runRho = 9.0 / (M * B);
      close(
          row,
          "relative_strength_run_rho",
          runRho * Math.sqrt(dot(gw, gw)) / ((1 - runRho) * Math.sqrt(dot(gc, gc))));
    }
    assertThat(result.row("synth", 100L))
        .as("no label noise: no relative strength of either kind")
        .satisfies(r -> assertThat(r.isNullAt(r.fieldIndex("relative_strength_run_rho"))).isTrue());
  }

  @Test
  void gramTableHoldsFullBlocksEqualToBruteForce() {
    List<Row> gram =
        LakeTables.read(spark, lake, Tables.GRAM)
            .where(col("run_id").equalTo("rand").and(col("step").equalTo(10)))
            .collectAsList();
    assertThat(gram).as("CC, CW, WW blocks of M x M").hasSize(3 * M * M);
    double[][] c = toDouble(CLEAN.get(10L));
    double[][] w = toDouble(WRONG.get(10L));
    for (Row e : gram) {
      String pa = e.getAs("part_a");
      String pb = e.getAs("part_b");
      int ma = e.getAs("member_a");
      int mb = e.getAs("member_b");
      double expected = dot(pa.equals("clean") ? c[ma] : w[ma], pb.equals("clean") ? c[mb] : w[mb]);
      assertThat((double) e.getAs("value"))
          .as("gram %s/%s %d,%d", pa, pb, ma, mb)
          .isCloseTo(expected, within(Math.max(1e-9, 1e-6 * Math.abs(expected))));
    }
    assertThat(
            gram.stream()
                .filter(
                    e -> e.getAs("part_a").equals("wrong") && e.getAs("part_b").equals("clean")))
        .as("wrong/clean is not stored: it is the transpose of clean/wrong")
        .isEmpty();
  }

  @Test
  void otherDefinitionsAreOneSqlQueryOverTheGramTable() throws Exception {
    // The query of docs/phases-and-separation.md: alignment of the clean parts alone.
    String doc =
        java.nio.file.Files.readString(
            java.nio.file.Path.of(System.getProperty("sgdlens.project.dir", "."))
                .resolve("docs/phases-and-separation.md"));
    String sql =
        doc.substring(doc.indexOf("```sql") + 6, doc.indexOf("```", doc.indexOf("```sql") + 6));
    LakeTables.read(spark, lake, Tables.GRAM).createOrReplaceTempView("gram");
    Row r =
        spark.sql(sql).where(col("run_id").equalTo("rand").and(col("step").equalTo(10))).first();
    double[][] c = toDouble(CLEAN.get(10L));
    double sum = 0;
    int pairs = 0;
    for (int i = 0; i < M; i++) {
      for (int j = i + 1; j < M; j++) {
        sum += dot(c[i], c[j]) / Math.sqrt(dot(c[i], c[i]) * dot(c[j], c[j]));
        pairs++;
      }
    }
    assertThat(r.<Double>getAs("clean_alignment"))
        .as("clean-part alignment by SQL")
        .isCloseTo(sum / pairs, within(1e-9));
  }

  @Test
  void chunkedGramEqualsUnchunkedForSeveralChunkSizes() {
    double[][] v = toDouble(shared);
    for (int chunk : CHUNKS) {
      List<Row> gram =
          LakeTables.read(spark, lake, Tables.GRAM)
              .where(col("run_id").equalTo("chunk" + chunk))
              .collectAsList();
      assertThat(gram).as("full 3x3 block, chunk %d", chunk).hasSize(9);
      for (Row e : gram) {
        int ma = e.getAs("member_a");
        int mb = e.getAs("member_b");
        double expected = dot(v[ma], v[mb]);
        assertThat((double) e.getAs("value"))
            .as("chunk %d entry %d,%d", chunk, ma, mb)
            .isCloseTo(expected, within(Math.max(1e-9, 1e-9 * Math.abs(expected))));
      }
      Row row = result.row("chunk" + chunk, 5);
      assertThat(row.getInt(row.fieldIndex("num_chunks")))
          .as("chunks")
          .isEqualTo((100 + chunk - 1) / chunk);
    }
  }

  @Test
  void syntheticEnsembleGivesKnownAlignmentNoiseTraceAndNoiseScale() {
    Row row = result.row("synth", 100);
    double gbar2 = synthG2 + synthTrace / SM;
    assertThat(row.getDouble(row.fieldIndex("noise_trace")))
        .as("noise trace vs tr C")
        .isCloseTo(synthTrace, within(0.02 * synthTrace));
    assertThat(row.getDouble(row.fieldIndex("alignment")))
        .as("R vs |G|^2/(|G|^2+tr C)")
        .isCloseTo(synthG2 / (synthG2 + synthTrace), within(0.01));
    assertThat(row.getDouble(row.fieldIndex("noise_scale")))
        .as("B_simple")
        .isCloseTo(B * synthTrace / gbar2, within(0.04 * B * synthTrace / gbar2));
    assertThat(row.isNullAt(row.fieldIndex("clean_wrong_cos"))).as("no split: null").isTrue();
  }

  @Test
  void badInputIsSkippedOrFlaggedAndTheRestStaysCorrect() {
    assertThat(result.row("bad", 0)).as("M = 1: no row").isNull();
    assertThat(result.row("bad", 3)).as("missing chunk: no row").isNull();
    Row diverged = result.row("bad", 1);
    assertThat(diverged.getBoolean(diverged.fieldIndex("diverged"))).as("diverged").isTrue();
    assertThat(diverged.getLong(diverged.fieldIndex("nonfinite_values"))).as("count").isEqualTo(2);
    for (String c : List.of("mean_grad_norm", "alignment", "noise_trace", "noise_scale")) {
      assertThat(diverged.isNullAt(diverged.fieldIndex(c))).as("%s null when diverged", c).isTrue();
    }
    Row fine = result.row("bad", 2);
    assertThat(fine.getBoolean(fine.fieldIndex("diverged"))).as("step 2 fine").isFalse();
    assertThat(fine.getDouble(fine.fieldIndex("noise_trace"))).as("step 2 finite").isPositive();
    assertThat(result.warnings())
        .as("warnings")
        .anySatisfy(m -> assertThat(m).contains("bad step 0").contains("at least 2"))
        .anySatisfy(m -> assertThat(m).contains("bad step 3").contains("incomplete"))
        .anySatisfy(m -> assertThat(m).contains("bad step 1").contains("diverged"));
    assertThat(
            LakeTables.read(spark, lake, Tables.GRAM)
                .where(col("run_id").equalTo("bad"))
                .select("step")
                .distinct()
                .collectAsList())
        .as("only the finite step has a Gram")
        .extracting(r -> r.getLong(0))
        .containsExactly(2L);
    for (Row r : result.orderParams()) {
      for (int i = 0; i < r.length(); i++) {
        if (!r.isNullAt(i) && r.get(i) instanceof Double d) {
          assertThat(Double.isFinite(d))
              .as("finite %s in %s", r.schema().fields()[i].name(), r)
              .isTrue();
        }
      }
    }
  }

  @Test
  void rerunReplacesRowsInsteadOfDuplicatingThem() throws Exception {
    int code = org.sgdlens.cli.CliAccess.run("order-params", "--lake", lake, "--run", "chunk7");
    assertThat(code).as("exit code").isZero();
    assertThat(
            LakeTables.read(spark, lake, Tables.ORDER_PARAMS)
                .where(col("run_id").equalTo("chunk7"))
                .count())
        .as("one row after a re-run")
        .isEqualTo(1);
    assertThat(
            LakeTables.read(spark, lake, Tables.ORDER_PARAMS)
                .where(col("run_id").equalTo("rand"))
                .count())
        .as("other runs untouched")
        .isEqualTo(2);
    assertThatThrownBy(() -> OrderParams.run(spark, new OrderParams.Options(lake, List.of("nope"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'nope'")
        .hasMessageContaining("--run");
    assertThat(org.sgdlens.cli.CliAccess.run("order-params", "--help")).as("--help").isZero();
  }

  /**
   * A mistyped --lake: every job that analyses committed runs stops with the path and the fix
   * instead of analysing nothing and succeeding, and leaves no folder behind.
   */
  @Test
  void aLakeWithoutCommittedRunsIsAnErrorNamingThePath() throws Exception {
    java.nio.file.Path missing = tempDir.resolve("typo-lake");
    java.nio.file.Path empty = java.nio.file.Files.createDirectories(tempDir.resolve("empty-lake"));
    for (String job : List.of("order-params", "phases", "loss-separation", "clean")) {
      assertThatThrownBy(() -> org.sgdlens.cli.CliAccess.run(job, "--lake", missing.toString()))
          .as(job)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("The lake at " + missing + " has no committed run")
          .hasMessageContaining("no such folder")
          .hasMessageContaining("Check --lake");
      assertThat(missing).as("%s creates nothing", job).doesNotExist();
      assertThatThrownBy(() -> org.sgdlens.cli.CliAccess.run(job, "--lake", empty.toString()))
          .as(job)
          .hasMessageContaining("it has no runs table");
      try (var files = java.nio.file.Files.list(empty)) {
        assertThat(files).as("%s writes no table", job).isEmpty();
      }
    }
  }
}
