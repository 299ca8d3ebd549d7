package org.sgdlens.sweep;

import static org.apache.spark.sql.functions.col;

import java.io.PrintStream;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.util.CollectionAccumulator;
import org.sgdlens.analysis.Cleaning;
import org.sgdlens.analysis.LakeTables;
import org.sgdlens.analysis.Landscape;
import org.sgdlens.analysis.LossSeparation;
import org.sgdlens.analysis.OrderParams;
import org.sgdlens.analysis.Phases;
import org.sgdlens.analysis.TrajectoryPca;
import org.sgdlens.analysis.VarianceFlatness;
import org.sgdlens.lake.Columns;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.RunStatus;
import org.sgdlens.lake.SchemaRegistry;
import org.sgdlens.lake.SweepRunsRow;
import org.sgdlens.lake.SweepSummaryRow;
import org.sgdlens.lake.Tables;
import org.sgdlens.record.ConfigLoader;
import org.sgdlens.record.RunModelOracleFactory;

/**
 * Runs a sweep: expands it, records its membership in {@code sweep_runs}, trains the runs that are
 * not committed yet as Spark tasks (one task per run), runs each analysis on the runs it has not
 * seen, and writes {@code sweep_summary}. Idempotent: a second run of the same sweep trains
 * nothing, analyses nothing and rewrites no table (rows are written only when they changed).
 */
public final class Sweeps {
  private Sweeps() {}

  /**
   * @param idPrefix run id prefix and run name; null for the sweep's name
   * @param retries extra training attempts of a failed run (each resumes from its checkpoint)
   * @param analyse run the analyses after training
   * @param out where progress lines go
   */
  public record Options(
      String lake, SweepSpec spec, String idPrefix, int retries, boolean analyse, PrintStream out) {
    /** Extra attempts of a failed run; each resumes from the run's last checkpoint. */
    public static final int RETRIES_DEFAULT = 1;

    public Options {
      if (retries < 0) {
        throw new IllegalArgumentException("--retries is " + retries + "; give 0 or more");
      }
      Objects.requireNonNull(spec, "spec");
    }
  }

  /** What one run of the sweep ended as. */
  public record RunState(
      int index,
      String runId,
      String configKey,
      String variedJson,
      String status,
      boolean trained,
      int attempts,
      String message) {}

  /**
   * @param trained runs a task trained or tried to train this time (failed ones included)
   * @param skipped runs already committed before this sweep started
   * @param analysed per analysis, the runs it ran on this time
   * @param analysisFailures analyses that threw, with the runs and the error
   * @param tablesWritten tables this sweep wrote rows to (empty on a no-op re-run)
   */
  public record Result(
      String sweep,
      List<RunState> runs,
      int trained,
      int skipped,
      int failed,
      Map<String, Integer> analysed,
      List<String> analysisFailures,
      List<String> tablesWritten,
      List<Row> summary,
      List<String> warnings) {
    public int total() {
      return runs.size();
    }

    public int analysedRuns() {
      return analysed.values().stream().mapToInt(Integer::intValue).sum();
    }

    public boolean ok() {
      return failed == 0 && analysisFailures.isEmpty();
    }

    public String text() {
      StringBuilder s = new StringBuilder();
      s.append(
          String.format(
              Locale.ROOT,
              "sweep %s: %d runs, %d trained now, %d already committed, %d failed%n",
              sweep,
              total(),
              trained - failed,
              skipped,
              failed));
      for (RunState r : runs) {
        if (r.status().equals(RunStatus.FAILED.name())) {
          s.append("  FAILED ")
              .append(r.runId())
              .append(" after ")
              .append(r.attempts())
              .append(" attempt(s): ")
              .append(r.message())
              .append('\n');
        }
      }
      s.append("  analyses run now: ").append(analysed.isEmpty() ? "none" : analysed).append('\n');
      analysisFailures.forEach(f -> s.append("  analysis FAILED: ").append(f).append('\n'));
      warnings.stream().limit(20).forEach(w -> s.append("  warning: ").append(w).append('\n'));
      if (warnings.size() > 20) {
        s.append("  ... ").append(warnings.size() - 20).append(" more warnings\n");
      }
      s.append("  tables written: ")
          .append(tablesWritten.isEmpty() ? "none" : tablesWritten)
          .append('\n');
      return s.toString();
    }
  }

  public static Result run(SparkSession spark, Options o) {
    SweepSpec spec = o.spec();
    String prefix = o.idPrefix() == null ? spec.name() : o.idPrefix();
    List<SweepSpec.Planned> planned = spec.expand(prefix);
    Lake lake = Lake.open(o.lake());
    String root = lake.root().toString();
    PrintStream out = o.out();
    int n = planned.size();
    List<String> warnings = new ArrayList<>();

    // 1. Train what is not committed yet.
    Map<String, SweepTask.Outcome> outcomes = new HashMap<>();
    List<SweepTask.Input> todo = new ArrayList<>();
    AtomicInteger done = new AtomicInteger();
    int skipped = 0;
    for (SweepSpec.Planned p : planned) {
      if (lake.runStatus(p.runId()).filter(RunStatus.COMMITTED.name()::equals).isPresent()) {
        skipped++;
        out.printf(
            Locale.ROOT,
            "sweep %s: run %d/%d done (skipped) %s%n",
            spec.name(),
            done.incrementAndGet(),
            n,
            p.runId());
      } else {
        todo.add(
            new SweepTask.Input(
                p.index(), p.runId(), root, ConfigLoader.toJson(p.config()), o.retries()));
      }
    }
    if (!todo.isEmpty()) {
      long t0 = System.nanoTime();
      train(spark, spec.name(), todo, n, done, out).forEach(t -> outcomes.put(t.runId(), t));
      out.printf(
          Locale.ROOT,
          "sweep %s: trained %d run(s) in %.1f s%n",
          spec.name(),
          todo.size(),
          (System.nanoTime() - t0) / 1e9);
    }

    // 2. Membership and statuses.
    Map<String, Row> previous = existing(spark, root, Tables.SWEEP_RUNS, planned);
    List<RunState> states = new ArrayList<>();
    int failed = 0;
    for (SweepSpec.Planned p : planned) {
      SweepTask.Outcome t = outcomes.get(p.runId());
      String status;
      String message = null;
      if (t != null) {
        status = t.status();
        message = t.message();
      } else {
        status = RunStatus.COMMITTED.name();
      }
      if (status.equals(RunStatus.FAILED.name())) {
        failed++;
      }
      states.add(
          new RunState(
              p.index(),
              p.runId(),
              p.configKey(),
              p.variedJson(),
              status,
              t != null,
              t == null ? 0 : t.attempts(),
              message));
    }

    // 3. Analyses on the committed runs that have not had them.
    Map<String, Set<String>> analysesDone = new LinkedHashMap<>();
    for (SweepSpec.Planned p : planned) {
      Set<String> set = new TreeSet<>();
      Row prev = previous.get(p.runId());
      if (prev != null) {
        for (String a : prev.getString(prev.fieldIndex("analyses")).split(",")) {
          if (!a.isBlank()) {
            set.add(a);
          }
        }
      }
      for (Analysis a : Analysis.values()) {
        if (lake.exists(lake.partition(a.doneTable(), p.runId()))) {
          set.add(a.id());
        }
      }
      analysesDone.put(p.runId(), set);
    }
    Map<String, Integer> analysed = new LinkedHashMap<>();
    List<String> analysisFailures = new ArrayList<>();
    if (o.analyse()) {
      for (Analysis a : spec.analyses()) {
        List<String> pending = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          SweepSpec.Planned p = planned.get(i);
          if (states.get(i).status().equals(RunStatus.COMMITTED.name())
              && a.appliesTo(p.config())
              && !analysesDone.get(p.runId()).contains(a.id())) {
            pending.add(p.runId());
          }
        }
        if (pending.isEmpty()) {
          continue;
        }
        long t0 = System.nanoTime();
        try {
          warnings.addAll(analyse(spark, root, a, pending, spec.settings()));
          out.printf(
              Locale.ROOT,
              "sweep %s: %s on %d run(s) in %.1f s%n",
              spec.name(),
              a.id(),
              pending.size(),
              (System.nanoTime() - t0) / 1e9);
          pending.forEach(id -> analysesDone.get(id).add(a.id()));
          analysed.put(a.id(), pending.size());
        } catch (RuntimeException e) {
          analysisFailures.add(a.id() + " on " + pending + ": " + e);
        }
      }
    }

    // 4. sweep_runs and sweep_summary, rewritten only for rows that changed.
    List<String> written = new ArrayList<>();
    Timestamp now = new Timestamp(System.currentTimeMillis());
    List<Row> runRows = new ArrayList<>();
    for (RunState s : states) {
      runRows.add(
          RowFactory.create(
              new SweepRunsRow(
                      s.runId(),
                      spec.name(),
                      s.index(),
                      s.variedJson(),
                      s.configKey(),
                      s.status(),
                      s.message(),
                      String.join(",", analysesDone.get(s.runId())),
                      now)
                  .columns()));
    }
    if (writeChanged(spark, root, Tables.SWEEP_RUNS, runRows, previous)) {
      written.add(Tables.SWEEP_RUNS);
    }
    List<Row> summary = summaryRows(spark, root, spec.name(), states, now);
    if (writeChanged(
        spark,
        root,
        Tables.SWEEP_SUMMARY,
        summary,
        existing(spark, root, Tables.SWEEP_SUMMARY, planned))) {
      written.add(Tables.SWEEP_SUMMARY);
    }
    for (String a : analysed.keySet()) {
      written.add(Analysis.byName(a).doneTable());
    }
    int trained = (int) states.stream().filter(RunState::trained).count();
    return new Result(
        spec.name(),
        states,
        trained,
        skipped,
        failed,
        analysed,
        analysisFailures,
        written,
        summary,
        warnings);
  }

  /** One Spark task per run; progress lines are printed as tasks finish. */
  private static List<SweepTask.Outcome> train(
      SparkSession spark,
      String sweep,
      List<SweepTask.Input> todo,
      int total,
      AtomicInteger done,
      PrintStream out) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    CollectionAccumulator<String> progress =
        spark.sparkContext().collectionAccumulator("sgdlens-sweep-progress-" + sweep);
    Set<Integer> printed = ConcurrentHashMap.newKeySet();
    long accId = progress.id();
    SparkListener listener =
        new SparkListener() {
          @Override
          public void onTaskEnd(SparkListenerTaskEnd end) {
            for (AccumulableInfo info :
                scala.jdk.javaapi.CollectionConverters.asJava(end.taskInfo().accumulables())) {
              if (info.id() == accId
                  && info.update().isDefined()
                  && info.update().get() instanceof List<?> items) {
                items.forEach(
                    item -> report(sweep, String.valueOf(item), total, done, printed, out));
              }
            }
          }
        };
    spark.sparkContext().addSparkListener(listener);
    List<SweepTask.Outcome> outcomes = new ArrayList<>();
    try {
      spark
          .sparkContext()
          .setJobDescription("sweep " + sweep + ": train " + todo.size() + " run(s)");
      JavaRDD<SweepTask.Input> rdd = jsc.parallelize(todo, todo.size());
      outcomes.addAll(rdd.map(in -> SweepTask.train(in, progress)).collect());
    } catch (Exception e) {
      // A lost executor or a crashed JVM (Spark throws its checked SparkException undeclared):
      // what did not come back counts as failed.
      for (SweepTask.Input in : todo) {
        outcomes.add(
            new SweepTask.Outcome(
                in.index(),
                in.runId(),
                RunStatus.FAILED.name(),
                true,
                false,
                1,
                "Spark task failed: " + e.getMessage(),
                "?",
                0));
      }
    } finally {
      spark.sparkContext().setJobDescription(null);
      spark.sparkContext().removeSparkListener(listener);
    }
    // Listener events are asynchronous: report whatever it has not printed yet.
    for (SweepTask.Outcome t : outcomes) {
      report(sweep, t.index() + "\t" + t.status() + "\t" + t.runId(), total, done, printed, out);
    }
    return outcomes;
  }

  private static synchronized void report(
      String sweep,
      String item,
      int total,
      AtomicInteger done,
      Set<Integer> printed,
      PrintStream out) {
    String[] parts = item.split("\t");
    if (printed.add(Integer.parseInt(parts[0]))) {
      out.printf(
          Locale.ROOT,
          "sweep %s: run %d/%d done (%s) %s%n",
          sweep,
          done.incrementAndGet(),
          total,
          parts[1].equals(RunStatus.COMMITTED.name()) ? "ok" : "failed",
          parts[2]);
    }
  }

  private static List<String> analyse(
      SparkSession spark,
      String root,
      Analysis a,
      List<String> runs,
      SweepSpec.AnalysisSettings s) {
    return switch (a) {
      case ORDER_PARAMS -> OrderParams.run(spark, new OrderParams.Options(root, runs)).warnings();
      case PHASES -> Phases.run(spark, Phases.Options.defaults(root, runs)).warnings();
      case LOSS_SEPARATION ->
          LossSeparation.run(spark, LossSeparation.Options.defaults(root, runs)).warnings();
      case CLEANING -> Cleaning.run(spark, Cleaning.Options.defaults(root, runs)).warnings();
      case TRAJECTORY_PCA ->
          TrajectoryPca.run(
                  spark,
                  TrajectoryPca.Options.builder()
                      .setLake(root)
                      .optRuns(runs)
                      .optLastSteps(s.pcaLastSteps() > 0 ? s.pcaLastSteps() : null)
                      .optDirections(s.pcaDirections())
                      .build())
              .warnings();
      case LANDSCAPE ->
          Landscape.run(
                  spark,
                  Landscape.Options.builder()
                      .setLake(root)
                      .optRuns(runs)
                      .optComponents(s.landscapeComponents())
                      .build(),
                  RunModelOracleFactory::new)
              .warnings();
      case VARIANCE_FLATNESS ->
          VarianceFlatness.run(
                  spark,
                  VarianceFlatness.Options.builder()
                      .setLake(root)
                      .optRuns(runs)
                      .optRankFrom(s.rankFrom())
                      .build())
              .warnings();
    };
  }

  /** The stored rows of a table for the sweep's runs, by run id. */
  static Map<String, Row> existing(
      SparkSession spark, String root, String table, List<SweepSpec.Planned> planned) {
    Object[] ids = planned.stream().map(SweepSpec.Planned::runId).toArray();
    Map<String, Row> out = new HashMap<>();
    for (Row r :
        LakeTables.readRaw(spark, root, table)
            .where(col("run_id").isin(ids))
            .select(
                Arrays.stream(LakeTables.columns(table))
                    .map(org.apache.spark.sql.functions::col)
                    .toArray(org.apache.spark.sql.Column[]::new))
            .collectAsList()) {
      out.put(r.getAs(Lake.RUN_ID), r);
    }
    return out;
  }

  /**
   * Writes the rows that differ from the stored ones in anything but the last column (a timestamp);
   * returns whether anything was written.
   */
  static boolean writeChanged(
      SparkSession spark, String root, String table, List<Row> rows, Map<String, Row> stored) {
    List<Row> changed = new ArrayList<>();
    // New rows come in schema order, some without a schema to look names up in.
    int runId = SchemaRegistry.schema(table).indexOf(Lake.RUN_ID);
    for (Row r : rows) {
      Row old = stored.get((String) r.get(runId));
      if (old == null || !sameIgnoringLast(old, r)) {
        changed.add(r);
      }
    }
    if (changed.isEmpty()) {
      return false;
    }
    LakeTables.write(spark.createDataFrame(changed, LakeTables.sparkSchema(table)), root, table);
    return true;
  }

  private static boolean sameIgnoringLast(Row a, Row b) {
    if (a.length() != b.length()) {
      return false;
    }
    for (int i = 0; i < a.length() - 1; i++) {
      if (!Objects.equals(a.isNullAt(i) ? null : a.get(i), b.isNullAt(i) ? null : b.get(i))) {
        return false;
      }
    }
    return true;
  }

  /** One sweep_summary row per run: its parameters and the headline result of each analysis. */
  static List<Row> summaryRows(
      SparkSession spark, String root, String sweep, List<RunState> states, Timestamp now) {
    Object[] ids = states.stream().map(RunState::runId).toArray();
    Map<String, Row> runs =
        byRun(LakeTables.readRaw(spark, root, Tables.RUNS).where(col("run_id").isin(ids)));
    Map<String, Row> sep =
        byRun(
            LakeTables.read(spark, root, Tables.SEPARATION_SUMMARY)
                .where(col("run_id").isin(ids).and(col("score").equalTo(LossSeparation.LOSS)))
                .orderBy("run_id", Columns.WINDOW_STEPS));
    Map<String, Row> phaseGt =
        byRun(
            LakeTables.read(spark, root, Tables.PHASES)
                .where(
                    col("run_id")
                        .isin(ids)
                        .and(col("phase").equalTo("II"))
                        .and(col("method").equalTo(Phases.GROUND_TRUTH))));
    Map<String, Row> phaseLf =
        byRun(
            LakeTables.read(spark, root, Tables.PHASES)
                .where(
                    col("run_id")
                        .isin(ids)
                        .and(col("phase").equalTo("II"))
                        .and(col("method").equalTo(Phases.LABEL_FREE))));
    Map<String, Row> clean =
        byRun(LakeTables.read(spark, root, Tables.CLEANING).where(col("run_id").isin(ids)));
    Map<String, Row> vf =
        byRun(
            LakeTables.read(spark, root, Tables.VARIANCE_FLATNESS)
                .where(col("run_id").isin(ids))
                .orderBy("run_id", Columns.PCA_WINDOW, "method"));
    List<Row> out = new ArrayList<>();
    org.apache.spark.sql.types.StructType schema = LakeTables.sparkSchema(Tables.SWEEP_SUMMARY);
    for (RunState s : states) {
      Row r = runs.get(s.runId());
      boolean committed = r != null && RunStatus.COMMITTED.name().equals(r.getAs("status"));
      Row sp = sep.get(s.runId());
      Row v = vf.get(s.runId());
      out.add(
          new GenericRowWithSchema(
              new SweepSummaryRow(
                      s.runId(),
                      sweep,
                      s.variedJson(),
                      s.status(),
                      (String) get(r, "dataset"),
                      (String) get(r, "model"),
                      (Double) get(r, "noise_fraction"),
                      (Double) get(r, "learning_rate"),
                      (Integer) get(r, "batch_size"),
                      (Double) get(r, "momentum"),
                      (Double) get(r, "weight_decay"),
                      (Long) get(r, "seed"),
                      committed ? (Long) get(r, "steps") : null,
                      committed ? (Double) get(r, "final_train_loss") : null,
                      committed ? (Double) get(r, "final_test_accuracy") : null,
                      committed ? (Boolean) get(r, "diverged") : null,
                      (Long) get(sp, "t_sep"),
                      (Double) get(sp, "max_auroc"),
                      span(phaseGt.get(s.runId())),
                      span(phaseLf.get(s.runId())),
                      (Double) get(clean.get(s.runId()), "f1"),
                      (Double) get(v, "psi"),
                      (Double) get(v, "psi_ci_low"),
                      (Double) get(v, "psi_ci_high"),
                      now)
                  .columns(),
              schema));
    }
    return out;
  }

  private static Long span(Row phase) {
    if (phase == null
        || phase.isNullAt(phase.fieldIndex("start_step"))
        || phase.isNullAt(phase.fieldIndex("end_step"))) {
      return null;
    }
    return phase.getLong(phase.fieldIndex("end_step"))
        - phase.getLong(phase.fieldIndex("start_step"))
        + 1;
  }

  private static Object get(Row r, String field) {
    if (r == null) {
      return null;
    }
    int i = r.fieldIndex(field);
    return r.isNullAt(i) ? null : r.get(i);
  }

  /** The first row of each run (callers order the data when several rows compete). */
  private static Map<String, Row> byRun(Dataset<Row> data) {
    Map<String, Row> out = new HashMap<>();
    for (Row r : data.collectAsList()) {
      out.putIfAbsent(r.getAs("run_id"), r);
    }
    return out;
  }
}
