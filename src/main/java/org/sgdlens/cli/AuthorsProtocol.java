package org.sgdlens.cli;

import java.util.ArrayList;
import java.util.List;
import org.sgdlens.kernel.FitStopRule;
import org.sgdlens.kernel.FlatnessSearch;
import picocli.CommandLine.Option;

/**
 * The variance–flatness authors' protocol (Feng &amp; Tu 2021, PNAS; their public code PCA-SGD,
 * {@code demo.py} and {@code utils_flatness.py}) as one preset per job, each value written once
 * here. {@code --authors-protocol} applies a job's preset as if its options were typed before the
 * user's: an option the user gives explicitly wins (a later value wins, as in every job), and the
 * help lists what the preset sets. The project's own defaults stay the defaults.
 */
final class AuthorsProtocol {
  static final String OPTION = "--authors-protocol";

  /**
   * jobs/train: config keys, set after the config files and environment, before the options. Their
   * EPOCH = 1000 is the cap (--steps N replaces it); the data set is left as configured.
   */
  static final String TRAIN =
      "model.kind=mlp model.hidden=[50,50] model.bias=false model.activation=relu"
          + " model.loss=cross_entropy sgd.learning_rate=0.1 sgd.momentum=0 sgd.weight_decay=0"
          + " sgd.batch_size=50 sgd.steps=0 sgd.epochs=1000 record.weights.every=1"
          + " record.layers=[fc2.weight] stop.when_fit=true stop.min_train_accuracy="
          + FitStopRule.MIN_TRAIN_ACCURACY_DEFAULT
          + " stop.accuracy_epochs="
          + FitStopRule.ACCURACY_EPOCHS_DEFAULT
          + " stop.max_train_loss="
          + FitStopRule.MAX_TRAIN_LOSS_DEFAULT;

  /** jobs/trajectory-pca: the authors' window is the last 12,000 steps; 1,000 components. */
  static final String TRAJECTORY_PCA = "--last 12000 --directions 1000";

  /**
   * jobs/landscape: every 10th component up to 1,000 (their {@code range(0, 1000, 10)}, 0-based),
   * their search (steps of 100 up to 1,000, bisection from 0 to a width of 0.01), loss factor e.
   */
  static final String LANDSCAPE =
      "--components 1-1000/10 --search "
          + FlatnessSearch.Search.AUTHORS_LABEL
          + " --initial-step 100 --search-range 1000 --tolerance 0.01 --factor "
          + FlatnessSearch.Settings.FACTOR_DEFAULT;

  /** jobs/variance-flatness: their plot drops the first profiled component (1): 11, 21, …, 991. */
  static final String VARIANCE_FLATNESS = "--fit-from 11 --fit-to 0 --fit-every 10";

  /** The help footers: what {@value #OPTION} sets in each job. */
  static final String TRAIN_HELP = OPTION + " sets the config keys: " + TRAIN;

  static final String TRAJECTORY_PCA_HELP = OPTION + " sets: " + TRAJECTORY_PCA;
  static final String LANDSCAPE_HELP = OPTION + " sets: " + LANDSCAPE;
  static final String VARIANCE_FLATNESS_HELP = OPTION + " sets: " + VARIANCE_FLATNESS;

  private AuthorsProtocol() {}

  /** A preset's words: options and values, or key=value assignments. */
  static List<String> words(String preset) {
    return List.of(preset.split(" "));
  }

  /**
   * The {@code --authors-protocol} flag (a picocli mixin); the job's help footer lists its preset.
   */
  static final class Flag {
    @Option(
        names = OPTION,
        order = 900,
        description =
            "apply the variance-flatness authors' protocol (Feng & Tu 2021, their code PCA-SGD):"
                + " sets the options listed at the end of this help; options given explicitly"
                + " override it")
    boolean on;
  }

  /** The arguments with a preset's options in front when {@code args} asks for the protocol. */
  static String[] withPreset(String preset, String[] args) {
    if (!List.of(args).contains(OPTION)) {
      return args;
    }
    List<String> out = new ArrayList<>(words(preset));
    out.addAll(List.of(args));
    return out.toArray(String[]::new);
  }

  /** What a job prints of the convention it runs under. */
  static String convention(boolean on, String preset) {
    return on
        ? "convention: the authors' protocol (" + preset + "; explicit options win)"
        : "convention: sgdlens defaults (" + OPTION + " for the authors')";
  }
}
