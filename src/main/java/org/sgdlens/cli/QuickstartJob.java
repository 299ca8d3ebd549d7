package org.sgdlens.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.analysis.Cleaning;
import org.sgdlens.analysis.Landscape;
import org.sgdlens.analysis.LossSeparation;
import org.sgdlens.analysis.OrderParams;
import org.sgdlens.analysis.Phases;
import org.sgdlens.analysis.TrajectoryPca;
import org.sgdlens.analysis.VarianceFlatness;
import org.sgdlens.lake.Lake;
import org.sgdlens.record.RunConfig;
import org.sgdlens.record.RunModelOracleFactory;
import org.sgdlens.record.Schedule;
import org.sgdlens.record.TrainRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code jobs/quickstart}: the whole pipeline on a small real run. Trains two networks on seeded
 * Fashion-MNIST subsets (a 784-256-10 MLP with 20% label noise for the gradient-ensemble, phase,
 * separation and cleaning analyses; the authors' 784-50-50-10 net without biases, one layer
 * recorded every step, for variance-flatness), retrains on the cleaned and on the true-clean set,
 * runs every analysis job, and prints the headline numbers.
 */
public final class QuickstartJob {
  /** The scale of the README's quickstart, about 1 minute on 2 cores. */
  static final String SMALL = "small";

  /** Fewer samples and steps, for smoke tests. */
  static final String TINY = "tiny";

  static final String SCALE_DEFAULT = SMALL;

  @Command(
      name = "jobs/quickstart",
      description =
          "Runs the whole sgdlens pipeline on a small real Fashion-MNIST run, about 1 minute on"
              + " 2 cores after the build: train (DJL) with recording, order-params, phases, loss-separation,"
              + " clean (and retraining on the kept samples), trajectory-pca, landscape and"
              + " variance-flatness (Spark), then prints headline numbers. Results stay in the"
              + " lake for jobs/sql.")
  static final class Args {
    @Mixin StandardOptions standard = new StandardOptions();

    @Option(
        names = "--data-dir",
        paramLabel = "DIR",
        defaultValue = RunConfig.DataConfig.PATH_DEFAULT,
        description = "folder of Fashion-MNIST IDX files (default: ${DEFAULT-VALUE})")
    String dataDir;

    @Option(
        names = "--scale",
        paramLabel = "S",
        defaultValue = SCALE_DEFAULT,
        description =
            SMALL
                + ", or "
                + TINY
                + " for smoke tests: fewer samples and steps (default: ${DEFAULT-VALUE})")
    String scale;

    @Option(
        names = "--skip-retrain",
        description = "do not retrain on the cleaned and true-clean sets")
    boolean skipRetrain;
  }

  private QuickstartJob() {}

  public static void main(String[] args) {
    JobMain.main("quickstart", args, QuickstartJob::run);
  }

  static int run(String[] args) {
    Args a = Cli.parse(new Args(), args);
    if (a == null) {
      return 0;
    }
    SparkSession spark = SparkSession.builder().appName("sgdlens-quickstart").getOrCreate();
    Summary s = run(spark, a.standard.lake, a.dataDir, a.scale, !a.skipRetrain);
    System.out.println();
    System.out.print(s.text());
    System.out.println(
        "Report of every analysis on one page: jobs/report --lake "
            + a.standard.lake
            + " --run "
            + String.join(",", s.reportRuns()));
    return 0;
  }

  /** What the quickstart found, for the printout and for tests. */
  public record Summary(
      TrainRun.Outcome noisy,
      Phases.Result phases,
      LossSeparation.Result separation,
      Cleaning.Result cleaning,
      TrainRun.Outcome cleaned,
      TrainRun.Outcome trueClean,
      OrderParams.Result orderParams,
      TrainRun.Outcome flat,
      TrajectoryPca.Result pca,
      VarianceFlatness.Result varianceFlatness,
      List<String> timings) {

    String text() {
      StringBuilder out = new StringBuilder("== sgdlens quickstart: headline numbers ==\n");
      String id = noisy.runId();
      out.append(
          String.format(
              Locale.ROOT,
              "Noisy run %s: %d samples, %d mislabeled (%.0f%%), %d steps, %s, final test accuracy %.4f%n",
              id,
              noisy.trainSize(),
              noisy.mislabeled(),
              100.0 * noisy.mislabeled() / noisy.trainSize(),
              noisy.steps(),
              speed(noisy),
              noisy.finalTestAccuracy()));
      for (String method : List.of(Phases.GROUND_TRUTH, Phases.LABEL_FREE)) {
        out.append("  phases (").append(method).append("): ");
        for (Row r : phases.phases()) {
          if (id.equals(r.getAs("run_id")) && method.equals(r.getAs("method"))) {
            out.append(r.<String>getAs("phase"))
                .append(" [")
                .append(orElse(r, "start_step", "?"))
                .append(", ")
                .append(orElse(r, "end_step", "?"))
                .append("] ");
          }
        }
        out.append('\n');
      }
      for (Row b : phases.boundaries()) {
        if (id.equals(b.getAs("run_id"))) {
          out.append(
              String.format(
                  Locale.ROOT,
                  "  boundary %-8s ground truth %-6s label-free %-6s distance %s%n",
                  b.<String>getAs("boundary"),
                  orElse(b, "ground_truth_step", "-"),
                  orElse(b, "label_free_step", "-"),
                  orElse(b, "distance_steps", "-")));
        }
      }
      for (String score : List.of(LossSeparation.LOSS, LossSeparation.HISTORY)) {
        Row r = separation.summary(id, score);
        if (r != null) {
          out.append(
              String.format(
                  Locale.ROOT,
                  "  separation (%s score): peak t_sep = %s, AUROC %.4f, d' %.3f, in phase II: %s%n",
                  score,
                  get(r, "t_sep"),
                  (Double) get(r, "max_auroc"),
                  (Double) get(r, "d_prime_at_t_sep"),
                  get(r, "in_phase_ii")));
        }
      }
      Row c = cleaning.summary(id);
      if (c != null) {
        out.append(
            String.format(
                Locale.ROOT,
                "  cleaning at step %s: flagged %s (estimated rho %.3f, true %.3f): precision %.3f, recall %.3f, F1 %.3f%n",
                get(c, "step"),
                get(c, "num_flagged"),
                (Double) get(c, "estimated_rho"),
                (Double) get(c, "true_rho"),
                (Double) get(c, "precision"),
                (Double) get(c, "recall"),
                (Double) get(c, "f1")));
      }
      if (cleaned != null && trueClean != null) {
        out.append(
            String.format(
                Locale.ROOT,
                "  retrained test accuracy: noisy %.4f, cleaned %.4f (%+.4f), true-clean %.4f (gap %.4f)%n",
                noisy.finalTestAccuracy(),
                cleaned.finalTestAccuracy(),
                cleaned.finalTestAccuracy() - noisy.finalTestAccuracy(),
                trueClean.finalTestAccuracy(),
                trueClean.finalTestAccuracy() - cleaned.finalTestAccuracy()));
      }
      List<Row> op =
          orderParams.orderParams().stream().filter(r -> id.equals(r.getAs("run_id"))).toList();
      if (!op.isEmpty()) {
        Row first = op.get(0);
        Row last = op.get(op.size() - 1);
        out.append(
            String.format(
                Locale.ROOT,
                "  order parameters: alignment R %.3f -> %.3f, |mean grad| A %.4f -> %.4f, noise scale %.0f -> %.0f (steps %d -> %d)%n",
                (Double) get(first, "alignment"),
                (Double) get(last, "alignment"),
                (Double) get(first, "mean_grad_norm"),
                (Double) get(last, "mean_grad_norm"),
                (Double) get(first, "noise_scale"),
                (Double) get(last, "noise_scale"),
                first.<Long>getAs("step"),
                last.<Long>getAs("step")));
      }
      out.append(
          String.format(
              Locale.ROOT,
              "Variance-flatness run %s: %d steps, %s, final train loss %.4f%n",
              flat.runId(),
              flat.steps(),
              speed(flat),
              flat.finalTrainLoss()));
      for (TrajectoryPca.RunResult r : pca.runs()) {
        out.append(
            String.format(
                Locale.ROOT,
                "  trajectory PCA (%s method): %d snapshots x %d weights, window %s%n",
                r.method(),
                r.snapshots(),
                r.params(),
                r.window()));
      }
      for (Row r : varianceFlatness.rows()) {
        out.append(
            String.format(
                Locale.ROOT,
                "  psi = %.3f, 95%% CI [%.3f, %.3f], R^2 %.3f over components %s-%s (%s censored); gamma = %s over components %s-%s; %s components hold %.0f%% of the variance (excl. i=1)%s%n",
                (Double) get(r, "psi"),
                (Double) get(r, "psi_ci_low"),
                (Double) get(r, "psi_ci_high"),
                (Double) get(r, "r2"),
                get(r, "fit_from"),
                get(r, "fit_to"),
                get(r, "censored_excluded"),
                get(r, "gamma") == null
                    ? "n/a"
                    : String.format(Locale.ROOT, "%.3f", (Double) get(r, "gamma")),
                get(r, "rank_from"),
                get(r, "rank_to"),
                get(r, "components_holding"),
                100 * (Double) get(r, "variance_fraction"),
                get(r, "fit_caveat") == null
                    ? ""
                    : "\n    caveat: psi is a weak fit here ("
                        + get(r, "fit_caveat")
                        + "); bench/variance-flatness-protocol.sh runs the papers' protocol, a longer window"));
      }
      out.append("Stage wall times: ").append(String.join(", ", timings)).append('\n');
      out.append("Query the results: jobs/sql -e 'SELECT * FROM separation_summary'\n");
      return out.toString();
    }

    /**
     * The runs whose report holds every analysis: the noisy run has the gradient-ensemble, phase,
     * separation and cleaning analyses, the variance-flatness run the trajectory PCA, landscape and
     * variance-flatness ones (they need different networks and recordings), so the quickstart's
     * report is one page of both ({@code jobs/report --run A,B}).
     */
    public List<String> reportRuns() {
      return List.of(noisy.runId(), flat.runId());
    }

    /** Steps per second, or where the run came from when it was already in the lake. */
    private static String speed(TrainRun.Outcome run) {
      return run.skipped()
          ? "trained earlier (already in the lake)"
          : String.format(Locale.ROOT, "%.0f steps/s", run.stepsPerSecond());
    }

    private static Object get(Row r, String field) {
      int i = r.fieldIndex(field);
      return r.isNullAt(i) ? null : r.get(i);
    }
  }

  /**
   * Runs the pipeline and returns what it found, for an end-to-end test. Not public: the JVM
   * resolves the types of a main class's public methods at startup, and a SparkSession there would
   * load Spark for {@code --help}.
   */
  static Summary run(
      SparkSession spark, String lakeRoot, String dataDir, String scale, boolean retrain) {
    boolean tiny = scale.equals(TINY);
    if (!tiny && !scale.equals(SMALL)) {
      throw new IllegalArgumentException(
          "--scale is '" + scale + "'; use " + SMALL + " or " + TINY);
    }
    if (!Files.isDirectory(Path.of(dataDir))) {
      throw new IllegalArgumentException(
          "Fashion-MNIST is not at "
              + dataDir
              + "; install it with 'sudo apt-get install -y"
              + " dataset-fashion-mnist' or pass --data-dir");
    }
    Lake lake = Lake.open(lakeRoot);
    String root = lake.root().toString();
    List<String> timings = new ArrayList<>();
    Stopwatch w = new Stopwatch(timings);

    RunConfig noisyConfig = noisyConfig(dataDir, tiny);
    System.out.println("[quickstart] linear algebra: " + NativeLinearAlgebra.describe());
    System.out.println("[quickstart] 1/9 training the noisy run (MLP 784-256-10, 20% label noise)");
    TrainRun.Outcome noisy = TrainRun.execute(lake, noisyConfig, false, progress(noisyConfig));
    String id = noisy.runId();
    trainingDone(w, noisy);
    List<String> runs = List.of(id);

    System.out.println("[quickstart] 2/9 order-params");
    OrderParams.Result orderParams = OrderParams.run(spark, new OrderParams.Options(root, runs));
    w.lap("order-params");
    System.out.println("[quickstart] 3/9 phases");
    Phases.Result phases = Phases.run(spark, Phases.Options.defaults(root, runs));
    w.lap("phases");
    System.out.println("[quickstart] 4/9 loss-separation");
    LossSeparation.Result separation =
        LossSeparation.run(spark, LossSeparation.Options.defaults(root, runs));
    w.lap("loss-separation");
    System.out.println("[quickstart] 5/9 clean");
    Cleaning.Result cleaning = Cleaning.run(spark, Cleaning.Options.defaults(root, runs));
    w.lap("clean");

    TrainRun.Outcome cleaned = null;
    TrainRun.Outcome trueClean = null;
    Row summary = cleaning.summary(id);
    if (retrain && summary != null && !summary.isNullAt(summary.fieldIndex("export_path"))) {
      System.out.println(
          "[quickstart] 6/9 retraining on the kept samples and on the true-clean set");
      String export = summary.getString(summary.fieldIndex("export_path"));
      RunConfig keep = noisyConfig(dataDir, tiny);
      keep.runId = id + "-cleaned";
      keep.dataset.excludeSamples = localPath(export);
      keep.record = quietRecord();
      cleaned = TrainRun.execute(lake, keep, true, null);
      RunConfig clean = noisyConfig(dataDir, tiny);
      clean.runId = id + "-true-clean";
      clean.dataset.onlyClean = true;
      clean.record = quietRecord();
      trueClean = TrainRun.execute(lake, clean, false, null);
      w.lap("retrain x2");
    }

    System.out.println(
        "[quickstart] 7/9 training the variance-flatness run (784-50-50-10, no biases, fc2.weight every step)");
    RunConfig flatConfig = flatnessConfig(dataDir, tiny);
    TrainRun.Outcome flat = TrainRun.execute(lake, flatConfig, false, progress(flatConfig));
    trainingDone(w, flat);
    List<String> flatRuns = List.of(flat.runId());
    int components = tiny ? 12 : 40;
    System.out.println(
        "[quickstart] 8/9 trajectory-pca and landscape (" + components + " directions)");
    TrajectoryPca.Result pca =
        TrajectoryPca.run(
            spark,
            TrajectoryPca.Options.builder()
                .setLake(root)
                .optRuns(flatRuns)
                .optLastSteps(tiny ? 400L : 2000L)
                .optDirections(components)
                .build());
    w.lap("trajectory-pca");
    Landscape.run(
        spark,
        Landscape.Options.builder()
            .setLake(root)
            .optRuns(flatRuns)
            .optComponents("1-" + components)
            .build(),
        RunModelOracleFactory::new);
    w.lap("landscape");
    System.out.println("[quickstart] 9/9 variance-flatness");
    VarianceFlatness.Options.Builder fit =
        VarianceFlatness.Options.builder().setLake(root).optRuns(flatRuns);
    if (tiny) {
      // 12 components: the rank law starts at 5 instead of 20.
      fit.optRankFrom(5);
    }
    VarianceFlatness.Result vf = VarianceFlatness.run(spark, fit.build());
    w.lap("variance-flatness");
    return new Summary(
        noisy,
        phases,
        separation,
        cleaning,
        cleaned,
        trueClean,
        orderParams,
        flat,
        pca,
        vf,
        timings);
  }

  /**
   * Ends a training stage. A run already committed in the lake was reused (its id is its config's
   * hash, so it is the same run): the user is told so, and how to train afresh.
   */
  private static void trainingDone(Stopwatch w, TrainRun.Outcome run) {
    if (run.skipped()) {
      System.out.println(
          "[quickstart]     run "
              + run.runId()
              + " is already in the lake: reusing it"
              + " (a new --lake folder trains it afresh)");
      w.lap("train (reused)");
    } else {
      w.lap("train " + run.steps() + " steps");
    }
  }

  private static java.util.function.LongConsumer progress(RunConfig config) {
    return new Progress("train", false).forSteps(config);
  }

  private static String localPath(String uri) {
    return uri.startsWith("file:") ? java.net.URI.create(uri).getPath() : uri;
  }

  /** A column's value, or {@code absent} when it is null. */
  private static Object orElse(Row r, String column, String absent) {
    Object v = r.getAs(column);
    return v == null ? absent : v;
  }

  static RunConfig noisyConfig(String dataDir, boolean tiny) {
    RunConfig c = new RunConfig();
    c.name = "quickstart-noisy";
    c.dataset.path = dataDir;
    c.dataset.perClass = tiny ? 60 : 200;
    c.dataset.testSize = tiny ? 500 : 2000;
    c.model.hidden = new ArrayList<>(List.of(256));
    c.noise.fraction = 0.2;
    c.sgd.learningRate = 0.05;
    c.sgd.batchSize = 32;
    c.sgd.steps = tiny ? 1500 : 8000;
    c.sgd.seed = 3;
    c.record.metrics = Schedule.every(tiny ? 100 : 200);
    c.record.sampleLosses = Schedule.every(tiny ? 100 : 200);
    c.record.gradients = Schedule.every(tiny ? 300 : 800);
    c.record.ensembleSize = 8;
    c.checkpointEvery = 2000;
    return c;
  }

  private static RunConfig.RecordConfig quietRecord() {
    RunConfig.RecordConfig r = new RunConfig.RecordConfig();
    r.metrics = Schedule.every(1000);
    return r;
  }

  static RunConfig flatnessConfig(String dataDir, boolean tiny) {
    RunConfig c = new RunConfig();
    c.name = "quickstart-flatness";
    c.dataset.path = dataDir;
    c.dataset.perClass = tiny ? 60 : 200;
    c.dataset.testSize = tiny ? 500 : 2000;
    c.model.hidden = new ArrayList<>(List.of(50, 50));
    c.model.bias = false;
    c.sgd.learningRate = 0.1;
    c.sgd.batchSize = 50;
    c.sgd.steps = tiny ? 1200 : 8000;
    c.sgd.seed = 5;
    c.record.weights = Schedule.every(1);
    c.record.layers = new ArrayList<>(List.of("fc2.weight"));
    c.record.metrics = Schedule.every(tiny ? 200 : 500);
    c.checkpointEvery = 0;
    return c;
  }

  private static final class Stopwatch {
    private final List<String> timings;
    private long last = System.nanoTime();

    Stopwatch(List<String> timings) {
      this.timings = timings;
    }

    void lap(String what) {
      long now = System.nanoTime();
      timings.add(String.format(Locale.ROOT, "%s %.1f s", what, (now - last) / 1e9));
      last = now;
    }
  }
}
