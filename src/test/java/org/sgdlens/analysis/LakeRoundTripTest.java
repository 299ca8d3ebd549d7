package org.sgdlens.analysis;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.RunStaging;
import org.sgdlens.lake.SchemaRegistry;
import org.sgdlens.lake.TableSchema;
import org.sgdlens.lake.Tables;
import org.sgdlens.lake.VectorChunks;
import org.sgdlens.record.RunConfig;
import org.sgdlens.record.TestRuns;
import org.sgdlens.record.TrainRun;
import org.sgdlens.record.TrainingData;

/** What the recorder writes, Spark reads back exactly with the schemas from schemas/. */
class LakeRoundTripTest extends SparkTestBase {
  @Test
  void everyColumnTypeRoundTripsExactlyThroughSpark() {
    Lake lake = Lake.open(lakePath("types"));
    SplittableRandom random = new SplittableRandom(42);
    RunStaging staging = new RunStaging(lake, "rt", CompressionCodecName.SNAPPY, 1 << 20);
    float[][] vectors = new float[5][];
    for (int step = 0; step < 5; step++) {
      float[] v = new float[1000 + step];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) random.nextGaussian();
      }
      v[3] = Float.MIN_VALUE;
      v[4] = -0f;
      vectors[step] = v;
      for (int c = 0; c < VectorChunks.chunkCount(v.length, 300); c++) {
        int from = c * 300;
        int len = Math.min(300, v.length - from);
        staging.write(
            Tables.WEIGHTS,
            new Object[] {(long) step, c, (long) from, len, VectorChunks.pack(v, from, len)});
      }
      staging.write(
          Tables.METRICS,
          new Object[] {
            (long) step,
            step / 10.0,
            Math.PI * step,
            0.5,
            step == 0 ? null : 0.25,
            null,
            null,
            Double.MIN_VALUE,
            1.0,
            step == 0 ? null : 1e-300,
            12.5
          });
    }
    Instant started = Instant.parse("2026-11-27T10:15:30.123456Z");
    Object[] runs = new Object[SchemaRegistry.schema(Tables.RUNS).fileColumns().size()];
    TableSchema runsSchema = SchemaRegistry.schema(Tables.RUNS);
    for (int i = 0; i < runs.length; i++) {
      runs[i] =
          switch (runsSchema.fileColumns().get(i).type()) {
            case STRING -> "s" + i;
            case LONG -> (long) i * 1_000_000_007L;
            case INTEGER -> i;
            case DOUBLE -> i + 0.125;
            case BOOLEAN -> i % 2 == 0;
            case TIMESTAMP -> started;
            default -> null;
          };
    }
    runs[runsSchema.fileColumns().stream().map(c -> c.name()).toList().indexOf("status")] =
        "COMMITTED";
    staging.commit(runs);

    Dataset<Row> weights =
        LakeTables.read(spark, lake.root().toString(), Tables.WEIGHTS).orderBy("step", "chunk");
    for (int step = 0; step < 5; step++) {
      List<Row> rows = weights.where(col("step").equalTo(step)).collectAsList();
      float[] back = new float[vectors[step].length];
      for (Row r : rows) {
        assertThat(r.getString(r.fieldIndex("run_id"))).isEqualTo("rt");
        float[] chunk = VectorChunks.unpack((byte[]) r.get(r.fieldIndex("values")));
        assertThat(chunk.length).isEqualTo(r.getInt(r.fieldIndex("length")));
        System.arraycopy(
            chunk, 0, back, (int) r.getLong(r.fieldIndex("chunk_offset")), chunk.length);
      }
      assertThat(back).as("weights at step %s bit-exact", step).isEqualTo(vectors[step]);
    }
    List<Row> metrics =
        LakeTables.read(spark, lake.root().toString(), Tables.METRICS)
            .orderBy("step")
            .collectAsList();
    assertThat(metrics).hasSize(5);
    Row m0 = metrics.get(0);
    assertThat(m0.isNullAt(m0.fieldIndex("clean_accuracy"))).isTrue();
    assertThat(m0.getDouble(m0.fieldIndex("test_loss"))).isEqualTo(Double.MIN_VALUE);
    assertThat(metrics.get(3).getDouble(m0.fieldIndex("train_loss"))).isEqualTo(Math.PI * 3);
    assertThat(metrics.get(3).getDouble(m0.fieldIndex("minibatch_loss"))).isEqualTo(1e-300);
    Row run = LakeTables.read(spark, lake.root().toString(), Tables.RUNS).first();
    assertThat(run.getTimestamp(run.fieldIndex("started_at")).toInstant()).isEqualTo(started);
    assertThat(run.getLong(run.fieldIndex("num_params"))).isEqualTo(runs[5]);
  }

  @Test
  void aTrainedRunReadsBackThroughSparkAsRecorded() {
    String root = lakePath("trained");
    RunConfig config = TestRuns.synthetic("spark");
    TrainRun.execute(Lake.open(root), config, false, null);
    TrainingData data = TrainingData.load(config);

    List<Row> samples =
        LakeTables.read(spark, root, Tables.SAMPLES).orderBy("sample_index").collectAsList();
    assertThat(samples).hasSize(data.trainSize());
    for (int i = 0; i < samples.size(); i++) {
      Row r = samples.get(i);
      assertThat(r.getInt(r.fieldIndex("given_label"))).isEqualTo(data.givenLabels()[i]);
      assertThat(r.getInt(r.fieldIndex("true_label"))).isEqualTo(data.trueLabels()[i]);
      assertThat(r.getBoolean(r.fieldIndex("mislabeled"))).isEqualTo(data.mislabeled(i));
    }
    long mislabeled =
        samples.stream().filter(r -> r.getBoolean(r.fieldIndex("mislabeled"))).count();
    assertThat(mislabeled).isEqualTo(Math.round(0.25 * data.trainSize()));

    Row run = LakeTables.read(spark, root, Tables.RUNS).first();
    assertThat(run.getString(run.fieldIndex("status"))).isEqualTo("COMMITTED");
    assertThat(run.getLong(run.fieldIndex("steps"))).isEqualTo(60L);
    assertThat(run.getInt(run.fieldIndex("num_mislabeled"))).isEqualTo((int) mislabeled);
    assertThat(run.getString(run.fieldIndex("config_json"))).contains("\"learning_rate\":0.2");

    // One run and one step range are cheap: partition pruning plus Parquet statistics.
    Dataset<Row> slice =
        LakeTables.read(spark, root, Tables.WEIGHTS)
            .where(col("run_id").equalTo("spark").and(col("step").between(10, 19)));
    assertThat(slice.select("step").distinct().count()).isEqualTo(10);
    String plan = slice.queryExecution().executedPlan().toString();
    assertThat(plan)
        .contains("PartitionFilters: [isnotnull(run_id")
        .contains("PushedFilters: [IsNotNull(step), GreaterThanOrEqual(step,10)");

    long gradientRows = LakeTables.read(spark, root, Tables.GRADIENTS).count();
    // 4 recorded steps x 4 members x 2 parts x ceil(83 / 17) chunks
    assertThat(gradientRows).isEqualTo(4L * 4 * 2 * 5);
    assertThat(Arrays.asList(LakeTables.columns(Tables.GRADIENTS)))
        .startsWith("run_id", "step", "member", "part");
  }

  @Test
  void uncommittedRunsAreInvisibleToReaders() {
    String root = lakePath("uncommitted");
    Lake lake = Lake.open(root);
    RunStaging staging = new RunStaging(lake, "half", CompressionCodecName.UNCOMPRESSED, 1 << 20);
    staging.write(
        Tables.METRICS, new Object[] {0L, 0.0, 1.0, 0.5, null, null, null, 1.0, 0.5, null, 0.0});
    staging.closeOpenFiles();
    assertThat(LakeTables.read(spark, root, Tables.METRICS).count()).isZero();
    assertThat(LakeTables.read(spark, root, Tables.RUNS).count()).isZero();
  }
}
