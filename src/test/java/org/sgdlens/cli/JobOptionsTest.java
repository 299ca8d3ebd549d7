package org.sgdlens.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sgdlens.analysis.Cleaning;
import org.sgdlens.analysis.Curvature;
import org.sgdlens.analysis.Duality;
import org.sgdlens.analysis.Landscape;
import org.sgdlens.analysis.LossSeparation;
import org.sgdlens.analysis.NoiseCurvature;
import org.sgdlens.analysis.Phases;
import org.sgdlens.analysis.SqlQueries;
import org.sgdlens.analysis.TrajectoryPca;
import org.sgdlens.analysis.VarianceFlatness;
import org.sgdlens.curvature.RunLayerProbeFactory;
import org.sgdlens.kernel.FlatnessSearch;
import org.sgdlens.kernel.NoiseCurvatureStats;
import org.sgdlens.kernel.PhaseRules.Thresholds;
import org.sgdlens.lake.Lake;
import org.sgdlens.record.RunConfig;
import org.sgdlens.record.RunModelOracleFactory;
import org.sgdlens.report.Report;
import org.sgdlens.sweep.Sweeps;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every job's command line, without Spark: unknown options and stray arguments are one-line errors
 * with the fix, --debug and --help work everywhere, the help lists every option with the default of
 * its {@code _DEFAULT} constant, and --help loads neither Spark nor DJL.
 */
class JobOptionsTest {
  /** A job: its main class, a fresh options object and its {@code run(args)}. */
  record Job(String name, Class<?> main, Supplier<Object> options, JobMain.Body body) {
    CommandSpec spec() {
      return Cli.commandLine(options.get()).getCommandSpec();
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static final List<Job> JOBS =
      List.of(
          new Job("train", TrainJob.class, TrainJob.Args::new, TrainJob::run),
          new Job(
              "order-params", OrderParamsJob.class, OrderParamsJob.Args::new, OrderParamsJob::run),
          new Job("phases", PhasesJob.class, PhasesJob.Args::new, PhasesJob::run),
          new Job(
              "loss-separation",
              LossSeparationJob.class,
              LossSeparationJob.Args::new,
              LossSeparationJob::run),
          new Job("clean", CleanJob.class, CleanJob.Args::new, CleanJob::run),
          new Job(
              "trajectory-pca",
              TrajectoryPcaJob.class,
              TrajectoryPcaJob.Args::new,
              TrajectoryPcaJob::run),
          new Job("landscape", LandscapeJob.class, LandscapeJob.Args::new, LandscapeJob::run),
          new Job("curvature", CurvatureJob.class, CurvatureJob.Args::new, CurvatureJob::run),
          new Job(
              "variance-flatness",
              VarianceFlatnessJob.class,
              VarianceFlatnessJob.Args::new,
              VarianceFlatnessJob::run),
          new Job(
              "noise-curvature",
              NoiseCurvatureJob.class,
              NoiseCurvatureJob.Args::new,
              NoiseCurvatureJob::run),
          new Job("duality", DualityJob.class, DualityJob.Args::new, DualityJob::run),
          new Job("report", ReportJob.class, ReportJob.Args::new, ReportJob::run),
          new Job("sql", SqlJob.class, SqlJob.Args::new, SqlJob::run),
          new Job("sql-server", SqlServerJob.class, SqlServerJob.Args::new, SqlServerJob::run),
          new Job("sweep", SweepJob.class, SweepJob.Args::new, SweepJob::run),
          new Job("nightly", NightlyJob.class, NightlyJob.Args::new, NightlyJob::run),
          new Job("quickstart", QuickstartJob.class, QuickstartJob.Args::new, QuickstartJob::run));

  /** The jobs that read a selection of runs with --run. */
  static final Set<String> RUN_SELECTING =
      Set.of(
          "order-params",
          "phases",
          "loss-separation",
          "clean",
          "trajectory-pca",
          "landscape",
          "curvature",
          "variance-flatness",
          "noise-curvature",
          "duality");

  /** Per job, every option with a default and the constant that default must come from. */
  static final Map<String, Map<String, Object>> DEFAULTS = new LinkedHashMap<>();

  static {
    DEFAULTS.put("train", Map.of());
    DEFAULTS.put("order-params", Map.of());
    DEFAULTS.put(
        "phases",
        Map.of(
            "--test-drop", Thresholds.TEST_DROP_DEFAULT,
            "--memorize-start", Thresholds.MEMORIZE_START_DEFAULT,
            "--memorize-end", Thresholds.MEMORIZE_END_DEFAULT,
            "--separation-fraction", Thresholds.SEPARATION_FRACTION_DEFAULT,
            "--min-separation", Thresholds.MIN_SEPARATION_DEFAULT,
            "--alignment-drop", Thresholds.ALIGNMENT_DROP_DEFAULT,
            "--log-floor", Phases.Options.LOG_FLOOR_DEFAULT,
            "--mixture-max-samples", Phases.Options.MIXTURE_MAX_SAMPLES_DEFAULT));
    DEFAULTS.put(
        "loss-separation",
        Map.of(
            "--window", LossSeparation.Options.WINDOW_DEFAULT,
            "--log-floor", LossSeparation.Options.LOG_FLOOR_DEFAULT));
    DEFAULTS.put(
        "clean",
        Map.of(
            "--score", Cleaning.Options.SCORE_DEFAULT,
            "--window", Cleaning.Options.WINDOW_DEFAULT,
            "--log-floor", Cleaning.Options.LOG_FLOOR_DEFAULT,
            "--mixture-max-samples", Cleaning.Options.MIXTURE_MAX_SAMPLES_DEFAULT));
    DEFAULTS.put(
        "trajectory-pca",
        Map.of(
            "--method", TrajectoryPca.Options.METHOD_DEFAULT,
            "--mllib-max-params", TrajectoryPca.Options.MLLIB_MAX_PARAMS_DEFAULT,
            "--directions", TrajectoryPca.Options.DIRECTIONS_DEFAULT,
            "--components", TrajectoryPca.Options.COMPONENTS_DEFAULT,
            "--block-mb", TrajectoryPca.Options.BLOCK_MB_DEFAULT));
    DEFAULTS.put(
        "landscape",
        Map.of(
            "--components", Landscape.Options.COMPONENTS_DEFAULT,
            "--factor", FlatnessSearch.Settings.FACTOR_DEFAULT,
            "--initial-step", FlatnessSearch.Settings.INITIAL_STEP_DEFAULT,
            "--growth", FlatnessSearch.Settings.GROWTH_DEFAULT,
            "--search-range", FlatnessSearch.Settings.MAX_THETA_DEFAULT,
            "--tolerance", FlatnessSearch.Settings.RELATIVE_TOLERANCE_DEFAULT,
            "--search", FlatnessSearch.Settings.SEARCH_DEFAULT.label(),
            "--tasks", Landscape.Options.TASKS_DEFAULT,
            "--max-samples", RunModelOracleFactory.MAX_SAMPLES_DEFAULT,
            "--seed", RunModelOracleFactory.SEED_DEFAULT));
    DEFAULTS.put(
        "curvature",
        Map.ofEntries(
            Map.entry("--every", Curvature.Options.EVERY_DEFAULT),
            Map.entry("--top-k", Curvature.Options.TOP_K_DEFAULT),
            Map.entry("--lanczos-steps", Curvature.Options.LANCZOS_STEPS_DEFAULT),
            Map.entry("--trace-probes", Curvature.Options.TRACE_PROBES_DEFAULT),
            Map.entry("--density-probes", Curvature.Options.DENSITY_PROBES_DEFAULT),
            Map.entry("--density-steps", Curvature.Options.DENSITY_STEPS_DEFAULT),
            Map.entry("--subset", Curvature.Options.SUBSET_DEFAULT),
            Map.entry("--seed", Curvature.Options.SEED_DEFAULT),
            Map.entry("--tasks", Curvature.Options.TASKS_DEFAULT)));
    DEFAULTS.put(
        "variance-flatness",
        Map.of(
            "--fit-from", VarianceFlatness.Options.FIT_FROM_DEFAULT,
            "--fit-to", VarianceFlatness.Options.FIT_TO_DEFAULT,
            "--fit-every", VarianceFlatness.Options.FIT_EVERY_DEFAULT,
            "--rank-from", VarianceFlatness.Options.RANK_FROM_DEFAULT,
            "--rank-to", VarianceFlatness.Options.RANK_TO_DEFAULT,
            "--confidence", VarianceFlatness.Options.CONFIDENCE_DEFAULT,
            "--variance-fraction", VarianceFlatness.Options.VARIANCE_FRACTION_DEFAULT));
    DEFAULTS.put(
        "noise-curvature",
        Map.of(
            "--layer", NoiseCurvature.Options.LAYER_DEFAULT,
            "--gamma-range", NoiseCurvature.Options.GAMMA_RANGE_DEFAULT,
            "--floor", NoiseCurvatureStats.FLOOR_DEFAULT,
            "--full-eh2-max", NoiseCurvature.Options.FULL_EH2_MAX_DEFAULT,
            "--tasks", NoiseCurvature.Options.TASKS_DEFAULT,
            "--max-samples", RunLayerProbeFactory.MAX_SAMPLES_DEFAULT,
            "--seed", RunLayerProbeFactory.SEED_DEFAULT));
    DEFAULTS.put(
        "duality",
        Map.of(
            "--layer", Duality.Options.LAYER_DEFAULT,
            "--pairing", Duality.Options.PAIRING_DEFAULT,
            "--directions", Duality.Options.DIRECTIONS_DEFAULT,
            "--dense-max", Duality.Options.DENSE_MAX_DEFAULT,
            "--tasks", Duality.Options.TASKS_DEFAULT,
            "--seed", Duality.Options.SEED_DEFAULT));
    DEFAULTS.put("report", Map.of("--out", Report.Options.OUT_DIR_DEFAULT));
    DEFAULTS.put(
        "sql",
        Map.of(
            "--limit", SqlQueries.Options.LIMIT_DEFAULT,
            "--truncate", TextTable.TRUNCATE_DEFAULT));
    DEFAULTS.put(
        "sql-server",
        Map.of(
            "--port", SqlServerJob.PORT_DEFAULT,
            "--host", SqlServerJob.HOST_DEFAULT,
            "--refresh-seconds", SqlServerJob.REFRESH_SECONDS_DEFAULT));
    DEFAULTS.put("sweep", Map.of("--retries", Sweeps.Options.RETRIES_DEFAULT));
    DEFAULTS.put("nightly", Map.of("--retries", Sweeps.Options.RETRIES_DEFAULT));
    DEFAULTS.put(
        "quickstart",
        Map.of(
            "--data-dir", RunConfig.DataConfig.PATH_DEFAULT,
            "--scale", QuickstartJob.SCALE_DEFAULT));
  }

  /**
   * Options whose absence means something (so they have no parser default) but whose help names the
   * constant used when they are left out.
   */
  static final Map<String, Map<String, Object>> DEFAULTS_IN_TEXT =
      Map.of(
          "clean", Map.of("--at", Cleaning.Options.RULE_DEFAULT),
          "sql", Map.of("--format", SqlQueries.Options.FORMAT_DEFAULT),
          "report", Map.of("--runs", Report.SHOWN_DEFAULT));

  @TempDir Path temp;

  @Test
  void anUnknownOptionIsRefusedWithASuggestion() {
    for (Job job : JOBS) {
      assertThatThrownBy(() -> job.body().run(new String[] {"--lakee", "x"}))
          .as(job.name())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("Unknown option '--lakee'; did you mean --lake")
          .hasMessageEndingWith("? (see jobs/" + job.name() + " --help)");
    }
    assertThatThrownBy(() -> PhasesJob.run(new String[] {"--test-drp=0.8"}))
        .as("--option=value spelling")
        .hasMessageContaining("'--test-drp=0.8'")
        .hasMessageContaining("did you mean --test-drop?");
  }

  @Test
  void aStrayArgumentIsRefusedNamingTheValueAndTheFix() {
    for (Job job : JOBS) {
      boolean takesSweep = job.name().equals("sweep") || job.name().equals("nightly");
      String[] args = takesSweep ? new String[] {"s.yaml", "stray"} : new String[] {"stray"};
      assertThatThrownBy(() -> job.body().run(args))
          .as(job.name())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("Unexpected argument 'stray'; ")
          .hasMessageEndingWith("(see jobs/" + job.name() + " --help)");
    }
    assertThatThrownBy(() -> TrainJob.run(new String[] {"conf/train.yaml"}))
        .as("the issue's example: a config file without --config")
        .hasMessage(
            "Unexpected argument 'conf/train.yaml'; give a config file with --config FILE"
                + " (see jobs/train --help)");
    assertThatThrownBy(() -> SweepJob.run(new String[] {"--sweep", "a", "b"}))
        .as("a sweep given twice")
        .hasMessageContaining("--sweep a")
        .hasMessageContaining("'b'");
  }

  @Test
  void badInputThroughJobMainIsOneLineWithExitCodeOne() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream stream = new PrintStream(err, true, StandardCharsets.UTF_8);
    assertThat(JobMain.execute("train", new String[] {"conf/train.yaml"}, TrainJob::run, stream))
        .isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8).lines().toList())
        .as("one line")
        .hasSize(1)
        .first()
        .asString()
        .startsWith("train: Unexpected argument 'conf/train.yaml'");
    err.reset();
    assertThat(
            JobMain.execute(
                "phases", new String[] {"--test-drop", "x", "--debug"}, PhasesJob::run, stream))
        .isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .as("the value and the option, and with --debug the stack trace")
        .startsWith("phases: Invalid value for option '--test-drop': 'x'")
        .contains("\tat ");
  }

  @Test
  void everyJobTakesTheStandardOptionsAndDebug() {
    for (Job job : JOBS) {
      CommandSpec spec = job.spec();
      assertThat(spec.findOption("--lake").defaultValue())
          .as("%s --lake", job)
          .isEqualTo(Lake.LOCATION_DEFAULT);
      assertThat(spec.findOption("--debug")).as("%s --debug", job).isNotNull();
      assertThat(spec.findOption("-h")).as("%s -h", job).isNotNull();
      assertThat(spec.findOption("--run") != null || !RUN_SELECTING.contains(job.name()))
          .as("%s --run", job)
          .isTrue();
      Object parsed = Cli.parse(job.options().get(), new String[] {"--debug", "--lake", "L"});
      assertThat(parsed).as("%s accepts --debug", job).isNotNull();
      assertThat(printedBy(job, "--debug", "--help")).as("%s --debug --help", job).isNotBlank();
    }
  }

  @Test
  void theHelpOfEveryJobListsEveryOption() {
    for (Job job : JOBS) {
      String help = printedBy(job, "--help");
      assertThat(help).as("%s usage line", job).startsWith("Usage: jobs/" + job.name());
      for (OptionSpec option : job.spec().options()) {
        assertThat(option.hidden()).as("%s %s hidden", job, option.longestName()).isFalse();
        assertThat(help).as("%s help", job).contains(String.join(", ", option.names()));
        assertThat(optionHelp(help, option.longestName()))
            .as("%s %s has a description", job, option.longestName())
            .matches(".*--\\S+\\s+\\S.*");
      }
    }
  }

  @Test
  void everyDefaultInTheHelpIsItsConstant() {
    assertThat(DEFAULTS.keySet())
        .as("every job is in the table")
        .containsExactlyElementsOf(JOBS.stream().map(Job::name).toList());
    for (Job job : JOBS) {
      CommandSpec spec = job.spec();
      String help = printedBy(job, "--help");
      Map<String, Object> expected = DEFAULTS.get(job.name());
      Set<String> defaulted = new TreeSet<>();
      for (OptionSpec option : spec.options()) {
        if (option.defaultValue() != null && !option.longestName().equals("--lake")) {
          defaulted.add(option.longestName());
        }
      }
      assertThat(defaulted)
          .as("%s: the options with a default are the ones the table checks", job)
          .isEqualTo(expected.keySet());
      Object parsed = Cli.parse(job.options().get(), new String[0]);
      CommandSpec parsedSpec = Cli.commandLine(parsed).getCommandSpec();
      for (Map.Entry<String, Object> e : expected.entrySet()) {
        String constant = String.valueOf(e.getValue());
        OptionSpec option = spec.findOption(e.getKey());
        assertThat(option.defaultValue()).as("%s %s default", job, e.getKey()).isEqualTo(constant);
        assertThat(String.valueOf((Object) parsedSpec.findOption(e.getKey()).getValue()))
            .as("%s %s parsed without options", job, e.getKey())
            .isEqualTo(constant);
        assertThat(optionHelp(help, e.getKey()))
            .as("%s %s help", job, e.getKey())
            .contains("default: " + constant);
      }
      for (Map.Entry<String, Object> e :
          DEFAULTS_IN_TEXT.getOrDefault(job.name(), Map.of()).entrySet()) {
        assertThat(optionHelp(help, e.getKey()))
            .as("%s %s help", job, e.getKey())
            .contains("default: " + e.getValue());
      }
    }
  }

  /**
   * The help loads no Spark, Hadoop, Scala or DJL class (it prints before any job body runs) and
   * prints nothing on stderr: each job's --help in a JVM of its own, with class loading logged.
   */
  @Test
  void helpLoadsNeitherSparkNorDjl() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    for (Job job : JOBS) {
      Path log = temp.resolve(job.name() + "-classes.log");
      Process p =
          new ProcessBuilder(
                  java,
                  "-Xlog:class+load=info:file=" + log,
                  "-cp",
                  System.getProperty("java.class.path"),
                  job.main().getName(),
                  "--help")
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s --help finished", job).isTrue();
      assertThat(p.exitValue()).as("%s --help exit code: %s", job, err).isZero();
      assertThat(out).as("%s --help", job).startsWith("Usage: jobs/" + job.name());
      assertThat(err).as("%s --help stderr", job).isEmpty();
      List<String> heavy = new ArrayList<>();
      for (String line : Files.readAllLines(log)) {
        if (line.matches(".* (org\\.apache\\.(spark|hadoop)|scala|ai\\.djl)\\..*")) {
          heavy.add(line);
        }
      }
      assertThat(heavy).as("%s --help loads no Spark, Hadoop, Scala or DJL class", job).isEmpty();
    }
  }

  @Test
  void trainKeepsItsConfigPrecedence() throws Exception {
    Path conf = Files.createDirectories(temp.resolve("conf"));
    Files.writeString(
        conf.resolve("train.yaml"),
        "sgd:\n  learning_rate: 0.2\n  batch_size: 16\n  seed: 4\n  momentum: 0.5\n"
            + "threads: 3\ndevice: cpu\nname: from-conf\n");
    Path file = temp.resolve("mine.yaml");
    Files.writeString(
        file, "sgd:\n  learning_rate: 0.3\n  batch_size: 24\n  seed: 6\nthreads: 5\n");
    String previous = System.getProperty("sgdlens.conf.dir");
    System.setProperty("sgdlens.conf.dir", conf.toString());
    try {
      RunConfig codeAndConf = TrainJob.resolve(new String[0], Map.of());
      assertThat(codeAndConf.sgd.learningRate).as("conf/train.yaml over code").isEqualTo(0.2);
      assertThat(codeAndConf.sgd.weightDecay)
          .as("code default")
          .isEqualTo(new RunConfig().sgd.weightDecay);

      RunConfig c =
          TrainJob.resolve(
              new String[] {
                "--config",
                file.toString(),
                "--lr",
                "0.4",
                "--seed",
                "8",
                "--set",
                "sgd.learning_rate=0.5",
                "--hidden",
                "32,16",
                "--no-bias"
              },
              Map.of("SGDLENS_THREADS", "7", "SGDLENS_DEVICE", "gpu"));
      assertThat(c.name).as("conf/train.yaml, nothing later").isEqualTo("from-conf");
      assertThat(c.sgd.momentum).as("conf/train.yaml, nothing later").isEqualTo(0.5);
      assertThat(c.sgd.batchSize).as("--config over conf/train.yaml").isEqualTo(24);
      assertThat(c.threads).as("environment over --config").isEqualTo(7);
      assertThat(c.device).as("environment over conf/train.yaml").isEqualTo("gpu");
      assertThat(c.sgd.seed).as("an option over --config").isEqualTo(8);
      assertThat(c.sgd.learningRate).as("--set over an option").isEqualTo(0.5);
      assertThat(c.model.hidden).as("--hidden list").containsExactly(32, 16);
      assertThat(c.model.bias).as("--no-bias").isFalse();

      RunConfig env =
          TrainJob.resolve(new String[] {"--threads", "2"}, Map.of("SGDLENS_THREADS", "7"));
      assertThat(env.threads).as("an option over the environment").isEqualTo(2);
    } finally {
      if (previous == null) {
        System.clearProperty("sgdlens.conf.dir");
      } else {
        System.setProperty("sgdlens.conf.dir", previous);
      }
    }
  }

  /** What {@code run(args)} prints on stdout. */
  private static String printedBy(Job job, String... args) {
    PrintStream stdout = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      assertThat(job.body().run(args)).as("%s exit code", job).isZero();
    } catch (Exception e) {
      throw new AssertionError(job + " " + List.of(args) + ": " + e, e);
    } finally {
      System.setOut(stdout);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }

  /** An option's entry in the help: its line and the description lines under it, on one line. */
  private static String optionHelp(String help, String name) {
    List<String> lines = help.lines().toList();
    StringBuilder entry = new StringBuilder();
    boolean in = false;
    for (String line : lines) {
      boolean optionLine = line.matches("\\s{2,6}(-\\w, )?--[\\w-]+.*");
      if (optionLine) {
        in = line.matches("\\s{2,6}(-\\w, )?" + name + "([= ].*|$)");
      } else if (line.isBlank()) {
        in = false;
      }
      if (in) {
        entry.append(' ').append(line.strip());
      }
    }
    assertThat(entry).as("help entry of %s", name).isNotEmpty();
    return entry.toString().strip();
  }
}
