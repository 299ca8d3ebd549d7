package org.sgdlens.cli;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.sgdlens.lake.Lake;
import org.sgdlens.record.ConfigLoader;
import org.sgdlens.record.RunConfig;
import org.sgdlens.record.TrainRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code jobs/train}: trains one network with DJL and records its dynamics to the lake. */
public final class TrainJob {
  /** The config key an option sets; its default is the config's, so the option has none. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.FIELD)
  @interface ConfigKey {
    String value();

    /** The option takes a comma-separated list, e.g. --hidden 256,128. */
    boolean list() default false;
  }

  @Command(
      name = "jobs/train",
      description =
          "Trains one network (DJL, PyTorch engine) and records weights, gradient ensembles,"
              + " per-sample losses and metrics to the lake. Settings, later wins: code defaults,"
              + " conf/train.yaml, --config FILE, environment (SGDLENS_DATA_DIR, SGDLENS_DEVICE,"
              + " SGDLENS_THREADS), then the options below and --set. An option left out keeps"
              + " the value of the earlier layers (see --print-config).",
      footer = AuthorsProtocol.TRAIN_HELP)
  static final class Args {
    @Mixin StandardOptions standard = new StandardOptions();
    @Mixin AuthorsProtocol.Flag authors = new AuthorsProtocol.Flag();

    @Option(
        names = "--config",
        paramLabel = "FILE",
        description = "YAML run config (see conf/train.yaml for every key)")
    String config;

    @Option(
        names = "--set",
        paramLabel = "KEY=VALUE",
        description = "any config key, repeatable, e.g. --set record.gradients.every=100")
    List<String> set = new ArrayList<>();

    @ConfigKey("run_id")
    @Option(
        names = "--run-id",
        paramLabel = "ID",
        description = "run id (default: <name>-<hash of the config>)")
    String runId;

    @ConfigKey("name")
    @Option(
        names = "--name",
        paramLabel = "NAME",
        description = "run name, the prefix of derived ids")
    String name;

    @ConfigKey("dataset.name")
    @Option(
        names = "--dataset",
        paramLabel = "NAME",
        description =
            "fashion-mnist | idx | cifar10 | image-folder | numpy | parquet | synthetic"
                + " (docs/data.md)")
    String dataset;

    @ConfigKey("dataset.path")
    @Option(
        names = "--data-dir",
        paramLabel = "DIR",
        description =
            "the dataset's folder (IDX, CIFAR-10 batches, image folder, Parquet) or .npz file")
    String dataDir;

    @ConfigKey("dataset.per_class")
    @Option(
        names = "--per-class",
        paramLabel = "N",
        description = "seeded subset of N training samples per class")
    String perClass;

    @ConfigKey("dataset.test_size")
    @Option(names = "--test-size", paramLabel = "N", description = "seeded subset of the test set")
    String testSize;

    @ConfigKey("dataset.exclude_samples")
    @Option(
        names = "--exclude-samples",
        paramLabel = "FILE",
        description = "leave out these sample_index values (the clean job's export)")
    String excludeSamples;

    @Option(
        names = "--only-clean",
        description = "train only on correctly labelled samples (true-clean baseline)")
    boolean onlyClean;

    @ConfigKey("model.kind")
    @Option(
        names = "--model",
        paramLabel = "KIND",
        description = "mlp | cnn | resnet | torchscript (docs/models.md)")
    String model;

    @ConfigKey("model.depth")
    @Option(
        names = "--depth",
        paramLabel = "N",
        description = "ResNet depth: 6n+2 (8, 14, 20, 32, ...) or 18, 34")
    String depth;

    @ConfigKey(value = "model.widths", list = true)
    @Option(
        names = "--widths",
        paramLabel = "N[,N...]",
        description = "ResNet stage widths (default 16,32,64; 64,128,256,512 for 18 and 34)")
    String widths;

    @ConfigKey("model.path")
    @Option(
        names = "--model-file",
        paramLabel = "FILE",
        description = "TorchScript file for --model torchscript (torch.jit.save)")
    String modelFile;

    @ConfigKey("model.loss")
    @Option(names = "--loss", paramLabel = "LOSS", description = "cross_entropy | mse")
    String loss;

    @ConfigKey(value = "model.hidden", list = true)
    @Option(names = "--hidden", paramLabel = "N[,N...]", description = "hidden layer widths")
    String hidden;

    @ConfigKey("model.activation")
    @Option(names = "--activation", paramLabel = "F", description = "relu | tanh | sigmoid")
    String activation;

    @Option(names = "--no-bias", description = "layers without biases")
    boolean noBias;

    @ConfigKey("noise.fraction")
    @Option(names = "--noise", paramLabel = "RHO", description = "fraction of mislabeled samples")
    String noise;

    @ConfigKey("noise.kind")
    @Option(names = "--noise-kind", paramLabel = "KIND", description = "symmetric | asymmetric")
    String noiseKind;

    @ConfigKey("sgd.learning_rate")
    @Option(names = "--lr", paramLabel = "X", description = "learning rate")
    String learningRate;

    @ConfigKey("sgd.momentum")
    @Option(names = "--momentum", paramLabel = "X", description = "momentum")
    String momentum;

    @ConfigKey("sgd.weight_decay")
    @Option(names = "--weight-decay", paramLabel = "X", description = "weight decay")
    String weightDecay;

    @ConfigKey("sgd.batch_size")
    @Option(names = "--batch-size", paramLabel = "N", description = "minibatch size")
    String batchSize;

    @ConfigKey("sgd.epochs")
    @Option(names = "--epochs", paramLabel = "X", description = "epochs, when --steps is 0")
    String epochs;

    @ConfigKey("sgd.steps")
    @Option(names = "--steps", paramLabel = "N", description = "SGD updates")
    String steps;

    @ConfigKey("sgd.seed")
    @Option(names = "--seed", paramLabel = "N", description = "seed of the run")
    String seed;

    @ConfigKey("device")
    @Option(names = "--device", paramLabel = "D", description = "auto | cpu | gpu")
    String device;

    @ConfigKey("threads")
    @Option(
        names = "--threads",
        paramLabel = "N",
        description = "PyTorch intra-op threads of the training thread")
    String threads;

    @Option(
        names = "--sequential-recording",
        description = "record on the training thread instead of a second thread")
    boolean sequentialRecording;

    @Option(
        names = "--overwrite",
        description = "retrain a run id that is already committed (replaces its rows)")
    boolean overwrite;

    @Option(names = "--print-config", description = "print the resolved config as JSON and exit")
    boolean printConfig;

    @Option(names = "--quiet", description = "no progress lines")
    boolean quiet;
  }

  private TrainJob() {}

  public static void main(String[] args) {
    JobMain.main("train", args, TrainJob::run);
  }

  static int run(String[] args) {
    Args a = parse(args);
    if (a == null) {
      return 0;
    }
    RunConfig config = resolve(a, System.getenv());
    if (a.printConfig) {
      System.out.println(ConfigLoader.toJson(config));
      return 0;
    }
    Lake lake = Lake.open(a.standard.lake);
    Progress progress = new Progress("train", a.quiet);
    TrainRun.Outcome o = TrainRun.execute(lake, config, a.overwrite, progress.forSteps(config));
    progress.done();
    if (o.skipped()) {
      System.out.println(
          "Run "
              + o.runId()
              + " is already committed in "
              + lake
              + "; nothing to do (--overwrite"
              + " retrains it).");
      return 0;
    }
    if (o.recovered()) {
      System.out.println(
          "Run "
              + o.runId()
              + " committed to "
              + lake
              + ": finished the commit that an earlier attempt started and did not complete.");
      return 0;
    }
    System.out.printf(
        "Run %s committed to %s: %d steps in %.1f s (%.0f steps/s)%s, %d params, %d samples"
            + " (%d mislabeled), final train loss %s, test accuracy %s%s%n",
        o.runId(),
        lake,
        o.steps(),
        o.wallSeconds(),
        o.stepsPerSecond(),
        o.resumed() ? ", resumed from a checkpoint" : "",
        o.numParams(),
        o.trainSize(),
        o.mislabeled(),
        fmt(o.finalTrainLoss()),
        fmt(o.finalTestAccuracy()),
        o.diverged() ? " — DIVERGED: " + o.divergedReason() : "");
    if (o.stopReason() != null) {
      System.out.println("  " + o.stopReason());
    }
    return 0;
  }

  private static Args parse(String[] args) {
    return Cli.parse(new Args(), args, "give a config file with --config FILE");
  }

  private static String fmt(Double v) {
    return v == null ? "n/a" : String.format(Locale.ROOT, "%.4f", v);
  }

  /**
   * The run config of a command line, its layers in the documented order (later wins): code
   * defaults, conf/train.yaml, --config FILE, environment, then the options and --set. For tests of
   * the precedence.
   */
  public static RunConfig resolve(String[] args, Map<String, String> env) {
    Args a = parse(args);
    if (a == null) {
      throw new IllegalArgumentException("--help resolves no config");
    }
    return resolve(a, env);
  }

  static RunConfig resolve(Args a, Map<String, String> env) {
    ConfigLoader loader = new ConfigLoader();
    ConfDir.file("train.yaml").ifPresent(loader::file);
    if (a.config != null) {
      loader.file(Path.of(a.config));
    }
    loader.environment(env);
    if (a.authors.on) {
      AuthorsProtocol.words(AuthorsProtocol.TRAIN).forEach(loader::assignment);
    }
    for (Field field : Args.class.getDeclaredFields()) {
      ConfigKey key = field.getAnnotation(ConfigKey.class);
      String value = key == null ? null : (String) get(field, a);
      if (value != null) {
        loader.set(key.value(), key.list() ? "[" + value + "]" : value);
      }
    }
    if (a.noBias) {
      loader.set("model.bias", "false");
    }
    if (a.onlyClean) {
      loader.set("dataset.only_clean", "true");
    }
    if (a.sequentialRecording) {
      loader.set("parallel_recording", "false");
    }
    for (String s : a.set) {
      loader.assignment(s);
    }
    return loader.build();
  }

  private static Object get(Field field, Args a) {
    try {
      return field.get(a);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("Cannot read option field " + field.getName(), e);
    }
  }
}
