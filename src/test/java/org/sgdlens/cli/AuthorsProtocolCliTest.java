package org.sgdlens.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.sgdlens.record.ConfigLoader;
import org.sgdlens.record.RunConfig;

/**
 * {@code --authors-protocol}: each job's preset sets exactly the values of the authors' code (Feng
 * &amp; Tu 2021, PCA-SGD demo.py / utils_flatness.py, typed here from that code, not from the
 * preset), explicit options override it wherever they stand, and the help says what it sets.
 */
class AuthorsProtocolCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static String[] args(String... a) {
    return a;
  }

  /** Leaf config keys whose values differ between two configs, with the second's value. */
  private static Map<String, String> changed(RunConfig base, RunConfig other) throws Exception {
    Map<String, String> out = new TreeMap<>();
    diff(
        JSON.readTree(ConfigLoader.toJson(base)),
        JSON.readTree(ConfigLoader.toJson(other)),
        "",
        out);
    return out;
  }

  private static void diff(JsonNode a, JsonNode b, String prefix, Map<String, String> out) {
    if (a.isObject()) {
      for (Iterator<String> it = a.fieldNames(); it.hasNext(); ) {
        String k = it.next();
        diff(a.get(k), b.get(k), prefix + k + ".", out);
      }
    } else if (!a.equals(b)) {
      out.put(prefix.substring(0, prefix.length() - 1), b.toString());
    }
  }

  @Test
  void theTrainPresetSetsExactlyTheAuthorsTrainingAndStoppingRule() throws Exception {
    Map<String, String> env = Map.of();
    RunConfig plain = TrainJob.resolve(args(), env);
    RunConfig authors = TrainJob.resolve(args("--authors-protocol"), env);
    Map<String, String> expected = new TreeMap<>();
    // demo.py: FC(50) without biases, ReLU, SGD lr 0.1, batch 50, EPOCH = 1000, layer_index [1]
    // recorded every step, stop when mean(acc[-1:-10:-1]) > 0.99 and train loss < stop_loss 5e-5.
    expected.put("model.hidden", "[50,50]");
    expected.put("model.bias", "false");
    expected.put("sgd.batch_size", "50");
    expected.put("sgd.epochs", "1000.0");
    expected.put("record.weights.every", "1");
    expected.put("record.layers", "[\"fc2.weight\"]");
    expected.put("stop.when_fit", "true");
    // The code defaults already equal these; the preset sets them all the same (checked below).
    assertThat(plain.sgd.learningRate).isEqualTo(0.1);
    assertThat(changed(plain, authors))
        .as("what --authors-protocol changes against the code defaults")
        .isEqualTo(expected);
    assertThat(authors.stop.minTrainAccuracy).isEqualTo(0.99);
    assertThat(authors.stop.accuracyEpochs).isEqualTo(9);
    assertThat(authors.stop.maxTrainLoss).isEqualTo(5e-5);
    assertThat(authors.model.activation).isEqualTo("relu");
    assertThat(authors.model.kind).isEqualTo("mlp");
    assertThat(authors.model.loss).isEqualTo("cross_entropy");
    assertThat(authors.sgd.momentum).isZero();
    assertThat(authors.sgd.weightDecay).isZero();
    assertThat(authors.sgd.steps).as("the epoch cap applies").isZero();
    assertThat(AuthorsProtocol.words(AuthorsProtocol.TRAIN))
        .as("and every one of those is in the preset, so a config file cannot leave it changed")
        .contains(
            "sgd.learning_rate=0.1",
            "stop.min_train_accuracy=0.99",
            "stop.accuracy_epochs=9",
            "stop.max_train_loss=5.0E-5",
            "sgd.momentum=0",
            "sgd.steps=0");
  }

  @Test
  void explicitTrainOptionsAndSetsOverrideThePreset() {
    RunConfig c =
        TrainJob.resolve(
            args(
                "--lr",
                "0.05",
                "--authors-protocol",
                "--steps",
                "60000",
                "--hidden",
                "30,30",
                "--set",
                "stop.max_train_loss=1e-3"),
            Map.of());
    assertThat(c.sgd.learningRate).isEqualTo(0.05);
    assertThat(c.sgd.steps).isEqualTo(60000);
    assertThat(c.model.hidden).containsExactly(30, 30);
    assertThat(c.stop.maxTrainLoss).isEqualTo(1e-3);
    assertThat(c.stop.whenFit).as("the rest of the preset stays").isTrue();
    assertThat(c.sgd.batchSize).isEqualTo(50);
    assertThat(c.model.bias).isFalse();
  }

  @Test
  void theAnalysisPresetsSetExactlyTheAuthorsValues() {
    TrajectoryPcaJob.Args pca =
        Cli.parse(
            new TrajectoryPcaJob.Args(),
            AuthorsProtocol.withPreset(AuthorsProtocol.TRAJECTORY_PCA, args("--authors-protocol")));
    // PCA(weight_holder, cut_off = 1000, window_size = 12000)
    assertThat(pca.last).isEqualTo(12000L);
    assertThat(pca.directions).isEqualTo(1000);
    assertThat(pca.minTrainAccuracy).isNull();
    assertThat(pca.authors.on).isTrue();

    LandscapeJob.Args land =
        Cli.parse(
            new LandscapeJob.Args(),
            AuthorsProtocol.withPreset(AuthorsProtocol.LANDSCAPE, args("--authors-protocol")));
    // cal_flatness(..., cut_off = 1000, step = 10); binary_search_loss_bound: l_theta = 100,
    // += 100 while |l_theta| <= 1000, accuracy = 0.01, threshold log L > log L0 + 1.
    assertThat(land.components).isEqualTo("1-1000/10");
    assertThat(land.search).isEqualTo("authors");
    assertThat(land.initialStep).isEqualTo(100.0);
    assertThat(land.searchRange).isEqualTo(1000.0);
    assertThat(land.tolerance).isEqualTo(0.01);
    assertThat(land.factor).isEqualTo(Math.E);
    LandscapeJob.Args plain = Cli.parse(new LandscapeJob.Args(), args());
    assertThat(land.growth).as("untouched").isEqualTo(plain.growth);
    assertThat(land.tasks).isEqualTo(plain.tasks);
    assertThat(land.maxSamples).as("the full training set, as theirs").isEqualTo(plain.maxSamples);

    VarianceFlatnessJob.Args vf =
        Cli.parse(
            new VarianceFlatnessJob.Args(),
            AuthorsProtocol.withPreset(
                AuthorsProtocol.VARIANCE_FLATNESS, args("--authors-protocol")));
    // plt.plot(variance[0:cut_off:step_size][1:], flatness[1:]): components 11, 21, ..., 991.
    assertThat(vf.fitFrom).isEqualTo(11);
    assertThat(vf.fitTo).isZero();
    assertThat(vf.fitEvery).isEqualTo(10);
    VarianceFlatnessJob.Args vfPlain = Cli.parse(new VarianceFlatnessJob.Args(), args());
    assertThat(vfPlain.fitFrom).isEqualTo(2);
    assertThat(vfPlain.fitEvery).isEqualTo(1);
    assertThat(vf.rankFrom).isEqualTo(vfPlain.rankFrom);
  }

  @Test
  void explicitAnalysisOptionsOverrideThePresetWhereverTheyStand() {
    LandscapeJob.Args land =
        Cli.parse(
            new LandscapeJob.Args(),
            AuthorsProtocol.withPreset(
                AuthorsProtocol.LANDSCAPE,
                args("--components", "1-50", "--authors-protocol", "--tolerance", "0.001")));
    assertThat(land.components).isEqualTo("1-50");
    assertThat(land.tolerance).isEqualTo(0.001);
    assertThat(land.search).as("the rest of the preset stays").isEqualTo("authors");
    VarianceFlatnessJob.Args vf =
        Cli.parse(
            new VarianceFlatnessJob.Args(),
            AuthorsProtocol.withPreset(
                AuthorsProtocol.VARIANCE_FLATNESS,
                args("--authors-protocol", "--fit-from", "21", "--fit-to", "501")));
    assertThat(List.of(vf.fitFrom, vf.fitTo, vf.fitEvery)).containsExactly(21, 501, 10);
    TrajectoryPcaJob.Args pca =
        Cli.parse(
            new TrajectoryPcaJob.Args(),
            AuthorsProtocol.withPreset(
                AuthorsProtocol.TRAJECTORY_PCA, args("--directions", "300", "--authors-protocol")));
    assertThat(pca.directions).isEqualTo(300);
    assertThat(pca.last).isEqualTo(12000L);
    String[] without = args("--components", "1-50");
    assertThat(AuthorsProtocol.withPreset(AuthorsProtocol.LANDSCAPE, without))
        .as("no preset without the flag")
        .isSameAs(without);
  }

  @Test
  void theHelpOfEachJobSaysWhatThePresetSets() {
    assertThat(Cli.usage(new TrainJob.Args()))
        .contains("--authors-protocol")
        .contains("stop.when_fit=true")
        .contains("stop.max_train_loss=5.0E-5");
    assertThat(Cli.usage(new TrajectoryPcaJob.Args()))
        .contains("--authors-protocol sets: --last 12000 --directions 1000");
    assertThat(Cli.usage(new LandscapeJob.Args()).replace("\n", " "))
        .contains("--authors-protocol sets: --components 1-1000/10 --search authors");
    assertThat(Cli.usage(new VarianceFlatnessJob.Args()))
        .contains("--authors-protocol sets: --fit-from 11 --fit-to 0 --fit-every 10");
    assertThat(AuthorsProtocol.convention(true, AuthorsProtocol.VARIANCE_FLATNESS))
        .isEqualTo(
            "convention: the authors' protocol (--fit-from 11 --fit-to 0 --fit-every 10;"
                + " explicit options win)");
  }
}
