package org.sgdlens.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Sampler;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sgdlens.kernel.Permutations;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.LakeReader;
import org.sgdlens.lake.Tables;
import org.sgdlens.lake.VectorChunks;

/**
 * A user's own DJL block trained with EasyTrain and recorded by the listener gives the tables the
 * train job gives on the same model, data and seed (up to float rounding: DJL's optimizer does its
 * arithmetic in another order).
 */
class RecordingListenerTest {
  @TempDir Path dir;

  static final int STEPS = 64;

  /** The user's block: the same 12-5-3 ReLU MLP the train job builds for TestRuns.synthetic. */
  static Block userBlock() {
    return new SequentialBlock()
        .add(Linear.builder().setUnits(5).build())
        .add(Activation::relu)
        .add(Linear.builder().setUnits(3).build());
  }

  static RunConfig jobConfig(String id) {
    RunConfig c = TestRuns.synthetic(id);
    c.sgd.steps = STEPS;
    c.checkpointEvery = 0;
    c.record.chunk = 65_536;
    return c;
  }

  /** The train job's minibatches: a fresh seeded permutation per epoch, last partial dropped. */
  static final class JobSampler implements Sampler {
    private final long seed;
    private final int batch;
    private long epoch;

    JobSampler(long seed, int batch) {
      this.seed = seed;
      this.batch = batch;
    }

    @Override
    public Iterator<List<Long>> sample(RandomAccessDataset dataset) {
      int n = (int) dataset.size();
      int[] order = Permutations.permutation(n, seed, epoch++);
      List<List<Long>> batches = new ArrayList<>();
      for (int from = 0; from + batch <= n; from += batch) {
        List<Long> b = new ArrayList<>();
        for (int i = from; i < from + batch; i++) {
          b.add((long) order[i]);
        }
        batches.add(b);
      }
      return batches.iterator();
    }

    @Override
    public int getBatchSize() {
      return batch;
    }
  }

  private TrainRun.Outcome trainWithEasyTrain(Lake lake, RunConfig job, TrainingData data)
      throws Exception {
    int n = data.trainSize();
    int b = job.sgd.batchSize;
    long perEpoch = n / b;
    try (RecordingListener recorder =
            RecordingListener.builder()
                .setLake(lake)
                .optRunId("user")
                .setData(data)
                .setNetworkFactory(RecordingListenerTest::userBlock)
                .setSteps(STEPS, perEpoch)
                .optWeights(job.record.weights)
                .optGradients(job.record.gradients, job.record.ensembleSize)
                .optSampleLosses(job.record.sampleLosses)
                .optMetrics(job.record.metrics)
                .optSgd(job.sgd.learningRate, 0, 0, b)
                .optSeed(job.sgd.seed)
                .build();
        Model model = Model.newInstance("user", Device.cpu(), "PyTorch");
        NDManager manager = NDManager.newBaseManager(Device.cpu())) {
      model.setBlock(userBlock());
      DefaultTrainingConfig config =
          new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
              .optOptimizer(
                  Optimizer.sgd()
                      .setLearningRateTracker(Tracker.fixed((float) job.sgd.learningRate))
                      .build())
              .optDevices(new Device[] {Device.cpu()})
              .addTrainingListeners(recorder);
      NDArray x = manager.create(data.trainX(), new Shape(n, data.features()));
      float[] labels = new float[n];
      for (int i = 0; i < n; i++) {
        labels[i] = data.givenLabels()[i];
      }
      NDArray y = manager.create(labels);
      ArrayDataset dataset =
          new ArrayDataset.Builder()
              .setData(x)
              .optLabels(y)
              .setSampling(new JobSampler(job.sgd.seed, b))
              .build();
      try (Trainer trainer = model.newTrainer(config)) {
        trainer.initialize(new Shape(1, data.features()));
        startFromTheJobsInitialWeights(trainer, data, job);
        EasyTrain.fit(trainer, (int) (STEPS / perEpoch), dataset, null);
      }
      return recorder.outcome().orElseThrow();
    }
  }

  private static void startFromTheJobsInitialWeights(
      Trainer trainer, TrainingData data, RunConfig job) {
    try (Network built = new Network(job.model, data.inputShape(), 3, Device.cpu())) {
      float[] w = built.initialWeights(job.sgd.seed);
      int i = 0;
      for (var pair : trainer.getModel().getBlock().getParameters()) {
        Parameter p = pair.getValue();
        Network.ParamInfo info = built.layout().get(i++);
        p.getArray().set(FloatBuffer.wrap(w, (int) info.offset(), (int) info.size()));
      }
    }
  }

  /** Every vector of a run keyed by table and key columns, reassembled from its chunks. */
  static Map<String, float[]> vectors(Lake lake, String run) {
    Map<String, List<Map<String, Object>>> byKey = new TreeMap<>();
    for (String table : List.of(Tables.WEIGHTS, Tables.GRADIENTS, Tables.FINAL_PARAMS)) {
      for (Map<String, Object> r : LakeReader.rows(lake, table, run)) {
        String key = table + " " + r.get("step") + " " + r.get("member") + " " + r.get("part");
        byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
      }
    }
    Map<String, float[]> out = new TreeMap<>();
    byKey.forEach(
        (key, rows) -> {
          int length = 0;
          for (Map<String, Object> r : rows) {
            length =
                (int) Math.max(length, (Long) r.get("chunk_offset") + (Integer) r.get("length"));
          }
          float[] v = new float[length];
          for (Map<String, Object> r : rows) {
            float[] chunk = VectorChunks.unpack((byte[]) r.get("values"));
            System.arraycopy(chunk, 0, v, (int) (long) (Long) r.get("chunk_offset"), chunk.length);
          }
          out.put(key, v);
        });
    return out;
  }

  @Test
  void aUserBlockTrainedWithEasyTrainIsRecordedAsTheTrainJobRecordsTheSameModel() throws Exception {
    Lake lake = Lake.open(dir.toString());
    RunConfig job = jobConfig("job");
    TrainRun.execute(lake, job, false, null);
    TrainingData data = TrainingData.load(job);
    TrainRun.Outcome user = trainWithEasyTrain(lake, job, data);
    assertThat(user.status()).isEqualTo("COMMITTED");
    assertThat(user.steps()).isEqualTo(STEPS);

    Map<String, float[]> expected = vectors(lake, "job");
    Map<String, float[]> actual = vectors(lake, "user");
    assertThat(actual.keySet()).isEqualTo(expected.keySet());
    for (String key : expected.keySet()) {
      float[] e = expected.get(key);
      float[] a = actual.get(key);
      double scale = 0;
      for (float v : e) {
        scale = Math.max(scale, Math.abs(v));
      }
      for (int i = 0; i < e.length; i++) {
        assertThat((double) a[i]).as("%s [%d]", key, i).isCloseTo(e[i], within(1e-4 * scale));
      }
    }
    for (String table : List.of(Tables.SAMPLES, Tables.PARAM_LAYOUT)) {
      assertThat(LakeReader.rows(lake, table, "user").size())
          .isEqualTo(LakeReader.rows(lake, table, "job").size());
    }
    List<Map<String, Object>> jobLosses = LakeReader.rows(lake, Tables.SAMPLE_LOSSES, "job");
    List<Map<String, Object>> userLosses = LakeReader.rows(lake, Tables.SAMPLE_LOSSES, "user");
    assertThat(userLosses).hasSameSizeAs(jobLosses);
    for (int i = 0; i < jobLosses.size(); i++) {
      assertThat((Double) userLosses.get(i).get("loss"))
          .isCloseTo((Double) jobLosses.get(i).get("loss"), within(1e-4));
      assertThat(userLosses.get(i).get("mislabeled")).isEqualTo(jobLosses.get(i).get("mislabeled"));
    }
    List<Map<String, Object>> jobMetrics = LakeReader.rows(lake, Tables.METRICS, "job");
    List<Map<String, Object>> userMetrics = LakeReader.rows(lake, Tables.METRICS, "user");
    assertThat(userMetrics).hasSameSizeAs(jobMetrics);
    for (int i = 0; i < jobMetrics.size(); i++) {
      for (String column : List.of("step", "train_accuracy", "test_accuracy", "f_clean_fit")) {
        assertThat(userMetrics.get(i).get(column))
            .as(column)
            .isEqualTo(jobMetrics.get(i).get(column));
      }
      assertThat((Double) userMetrics.get(i).get("train_loss"))
          .isCloseTo((Double) jobMetrics.get(i).get("train_loss"), within(1e-4));
    }
  }

  @Test
  void aSecondRecordingOfTheSameRunIdIsRefusedAndALoopThatThrowsLeavesNothingVisible()
      throws Exception {
    Lake lake = Lake.open(dir.toString());
    RunConfig job = jobConfig("job");
    TrainingData data = TrainingData.load(job);
    RecordingListener.Builder builder =
        RecordingListener.builder()
            .setLake(lake)
            .optRunId("user")
            .setData(data)
            .setNetworkFactory(RecordingListenerTest::userBlock)
            .setSteps(STEPS, 16);
    try (RecordingListener first = builder.build()) {
      assertThatThrownBy(builder::build).hasMessageContaining("Run user is being written by");
      // the loop throws before the trainer closes: close() marks the run FAILED
    }
    assertThat(lake.runStatus("user")).contains("FAILED");
    assertThat(LakeReader.rows(lake, Tables.METRICS, "user")).isEmpty();
    trainWithEasyTrain(lake, job, data);
    assertThatThrownBy(() -> builder.build()).hasMessageContaining("already committed");
  }
}
