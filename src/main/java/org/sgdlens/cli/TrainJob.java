package org.sgdlens.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.sgdlens.lake.Lake;
import org.sgdlens.record.ConfigLoader;
import org.sgdlens.record.RunConfig;
import org.sgdlens.record.TrainRun;

/** {@code jobs/train}: trains one network with DJL and records its dynamics to the lake. */
public final class TrainJob {
  static final Map<String, String> SHORTCUTS =
      Map.ofEntries(
          Map.entry("run-id", "run_id"),
          Map.entry("name", "name"),
          Map.entry("dataset", "dataset.name"),
          Map.entry("data-dir", "dataset.path"),
          Map.entry("per-class", "dataset.per_class"),
          Map.entry("test-size", "dataset.test_size"),
          Map.entry("exclude-samples", "dataset.exclude_samples"),
          Map.entry("model", "model.kind"),
          Map.entry("hidden", "model.hidden"),
          Map.entry("activation", "model.activation"),
          Map.entry("noise", "noise.fraction"),
          Map.entry("noise-kind", "noise.kind"),
          Map.entry("lr", "sgd.learning_rate"),
          Map.entry("momentum", "sgd.momentum"),
          Map.entry("weight-decay", "sgd.weight_decay"),
          Map.entry("batch-size", "sgd.batch_size"),
          Map.entry("epochs", "sgd.epochs"),
          Map.entry("steps", "sgd.steps"),
          Map.entry("seed", "sgd.seed"),
          Map.entry("device", "device"),
          Map.entry("threads", "threads"));

  static final String USAGE =
      """
      Usage: jobs/train [--lake PATH] [--config FILE] [options] [--set key=value ...]

      Trains one network (DJL, PyTorch engine) and records weights, gradient ensembles,
      per-sample losses and metrics to the lake. Settings, later wins: code defaults,
      conf/train.yaml, --config FILE, environment (SGDLENS_DATA_DIR, SGDLENS_DEVICE,
      SGDLENS_THREADS), then the options below and --set.

        --lake PATH            lake folder or Hadoop URI (default ./lake)
        --config FILE          YAML run config (see conf/train.yaml for every key)
        --set key=value        any config key, e.g. --set record.gradients.every=100
        --run-id ID            run id (default: <name>-<hash of the config>)
        --name NAME            run name, the prefix of derived ids
        --dataset NAME         fashion-mnist | idx | synthetic
        --data-dir DIR         folder of MNIST-format IDX files
        --per-class N          seeded subset of N training samples per class
        --test-size N          seeded subset of the test set
        --exclude-samples FILE leave out these sample_index values (clean job export)
        --only-clean           train only on correctly labelled samples (true-clean baseline)
        --model mlp|cnn        --hidden 256[,..]  --activation relu|tanh|sigmoid  --no-bias
        --noise RHO            fraction of mislabeled samples  --noise-kind symmetric|asymmetric
        --lr X --momentum X --weight-decay X --batch-size N --epochs X --steps N --seed N
        --device auto|cpu|gpu  --threads N (PyTorch intra-op threads of the training thread)
        --sequential-recording record on the training thread instead of a second thread
        --overwrite            retrain a run id that is already committed (replaces its rows)
        --print-config         print the resolved config as JSON and exit
        --quiet                no progress lines
        --debug                stack traces on errors
      """;

  private TrainJob() {}

  public static void main(String[] args) {
    JobMain.main("train", args, TrainJob::run);
  }

  static int run(String[] args) {
    Set<String> valued = new java.util.HashSet<>(SHORTCUTS.keySet());
    valued.addAll(Set.of("lake", "config", "set"));
    JobArgs a =
        JobArgs.parse(
            args,
            valued,
            Set.of(
                "help",
                "overwrite",
                "only-clean",
                "no-bias",
                "sequential-recording",
                "print-config",
                "quiet"));
    if (a.has("help")) {
      System.out.print(USAGE);
      return 0;
    }
    RunConfig config = resolve(a, System.getenv());
    if (a.has("print-config")) {
      System.out.println(ConfigLoader.toJson(config));
      return 0;
    }
    Lake lake = Lake.open(a.get("lake", "./lake"));
    boolean quiet = a.has("quiet");
    Progress progress = new Progress("train", quiet);
    TrainRun.Outcome o =
        TrainRun.execute(lake, config, a.has("overwrite"), progress.forSteps(config));
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
        o.diverged() ? " — DIVERGED (non-finite loss or gradient)" : "");
    return 0;
  }

  private static String fmt(Double v) {
    return v == null ? "n/a" : String.format(Locale.ROOT, "%.4f", v);
  }

  /** Resolves the config layers; public for tests of the precedence. */
  public static RunConfig resolve(JobArgs a, Map<String, String> env) {
    ConfigLoader loader = new ConfigLoader();
    ConfDir.file("train.yaml").ifPresent(loader::file);
    a.get("config").map(Path::of).ifPresent(loader::file);
    loader.environment(env);
    for (Map.Entry<String, String> e : SHORTCUTS.entrySet()) {
      for (String v :
          a.has(e.getKey())
              ? java.util.List.of(a.get(e.getKey()).get())
              : java.util.List.<String>of()) {
        String value = e.getKey().equals("hidden") ? "[" + v + "]" : v;
        loader.set(e.getValue(), value);
      }
    }
    if (a.has("no-bias")) {
      loader.set("model.bias", "false");
    }
    if (a.has("only-clean")) {
      loader.set("dataset.only_clean", "true");
    }
    if (a.has("sequential-recording")) {
      loader.set("parallel_recording", "false");
    }
    for (String s : a.allRaw("set")) {
      loader.assignment(s);
    }
    return loader.build();
  }
}
