package org.sgdlens.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.LakeReader;
import org.sgdlens.lake.RunStatus;
import org.sgdlens.lake.Tables;

/** A short run from CIFAR-format files with augmentation on, end to end into a committed lake. */
class AugmentedRunTest {
  @TempDir Path dir;

  private RunConfig config(Path data, String runId) {
    RunConfig c = new RunConfig();
    c.runId = runId;
    c.dataset.name = "cifar10";
    c.dataset.path = data.toString();
    c.dataset.imageShape = new ArrayList<>(List.of(1, 28, 28));
    c.dataset.mean = new ArrayList<>(List.of(0.286));
    c.dataset.std = new ArrayList<>(List.of(0.353));
    c.dataset.augment.cropPadding = 4;
    c.dataset.augment.horizontalFlip = true;
    c.model.hidden = new ArrayList<>(List.of(16));
    c.noise.fraction = 0.2;
    c.sgd.batchSize = 32;
    c.sgd.steps = 30;
    c.sgd.seed = 3;
    c.record.gradients = Schedule.every(15);
    c.record.ensembleSize = 2;
    c.record.sampleLosses = Schedule.every(15);
    c.record.metrics = Schedule.every(10);
    c.dataset.testSize = 40;
    c.checkpointEvery = 10;
    return c;
  }

  private static float[] finalParams(Lake lake, String runId) {
    return LakeReader.vectors(LakeReader.rows(lake, Tables.FINAL_PARAMS, runId))
        .values()
        .iterator()
        .next();
  }

  @Test
  void anAugmentedCifarRunCommitsReproduciblyAndResumesWithTheSameDraws() throws IOException {
    assumeTrue(Files.isDirectory(FashionMnistSlice.DATA), "apt-get install dataset-fashion-mnist");
    Path data = FashionMnistSlice.read(320, 64).writeCifar(dir.resolve("cifar"), 1, 2);
    Lake lake = Lake.open(dir.resolve("lake").toString());

    TrainRun.Outcome run = TestRuns.train(dir.resolve("lake"), config(data, "aug"));
    assertThat(run.status()).isEqualTo(RunStatus.COMMITTED.name());
    assertThat(run.steps()).isEqualTo(30);
    assertThat(LakeReader.rows(lake, Tables.SAMPLE_LOSSES, "aug")).isNotEmpty();
    assertThat(lake.runField("aug", "config_json").orElseThrow())
        .contains("\"augment\":{\"crop_padding\":4,\"horizontal_flip\":true}");

    RunConfig stored = ConfigLoader.fromJson(lake.runField("aug", "config_json").orElseThrow());
    TrainingData recomputed = TrainingData.load(stored);
    TrainingData used = TrainingData.load(config(data, "aug"));
    assertThat(recomputed.testLabels())
        .as("the runs row's config recomputes the seeded test subset")
        .isEqualTo(used.testLabels());
    assertThat(recomputed.testX()).isEqualTo(used.testX());

    RunConfig plain = config(data, "plain");
    plain.dataset.augment = new RunConfig.AugmentConfig();
    TestRuns.train(dir.resolve("lake"), plain);
    assertThat(finalParams(lake, "aug"))
        .as("augmentation changes the trajectory")
        .isNotEqualTo(finalParams(lake, "plain"));

    Lake crashed = Lake.open(dir.resolve("crashed").toString());
    assertThatThrownBy(
            () ->
                TrainRun.execute(
                    crashed,
                    config(data, "aug"),
                    false,
                    step -> {
                      if (step == 25) {
                        throw new IllegalStateException("simulated crash");
                      }
                    }))
        .hasMessageContaining("simulated crash");
    TrainRun.Outcome resumed = TrainRun.execute(crashed, config(data, "aug"), false, null);
    assertThat(resumed.resumed()).isTrue();
    assertThat(finalParams(crashed, "aug"))
        .as("a resumed run draws the same crops and flips")
        .isEqualTo(finalParams(lake, "aug"));
  }

  @Test
  void augmentingFlatFeaturesIsRefusedWithTheFix() {
    RunConfig c = TestRuns.synthetic("flat");
    c.dataset.augment.horizontalFlip = true;
    assertThatThrownBy(() -> TestRuns.train(dir.resolve("lake"), c))
        .hasMessageContaining("dataset.augment")
        .hasMessageContaining("[12]")
        .hasMessageContaining("dataset.image_shape");
  }
}
