package org.sgdlens.sweep;

import static org.apache.spark.sql.functions.col;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.analysis.LakeTables;
import org.sgdlens.kernel.Bands;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.NightlySummaryRow;
import org.sgdlens.lake.RunStatus;
import org.sgdlens.lake.SchemaRegistry;
import org.sgdlens.lake.Tables;

/**
 * One night of a nightly sweep: takes the sweep's lock (two nights never overlap), tees the job's
 * output into {@code <state>/<sweep>/<night>.log}, runs the sweep, and writes what changed since
 * earlier nights (new runs, new failures, results outside the bands of earlier nights of the same
 * config) to {@code <state>/<sweep>/<night>-summary.md} and the {@code nightly_summary} table.
 */
public final class Nightly {
  /** Exit codes of a night. */
  public static final int OK = 0;

  public static final int ERROR = 2;
  public static final int LOCKED = 3;
  public static final int FAILURES = 4;

  /** Results compared against earlier nights, by sweep_summary column. */
  static final List<String> BANDED = List.of("final_test_accuracy", "psi", "max_auroc");

  private Nightly() {}

  /**
   * @param stateDir local folder for the lock, logs and summaries (default {@code <lake>/_nightly})
   * @param night the night's date, YYYY-MM-DD
   * @param fresh retrain every run each night under ids prefixed {@code <sweep>-n<YYYYMMDD>}
   */
  public record Options(
      String lake,
      SweepSpec spec,
      Path stateDir,
      String night,
      int retries,
      boolean fresh,
      boolean analyse) {
    public Options {
      try {
        LocalDate.parse(night);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(
            "--night is '" + night + "'; give a date such as 2026-11-27");
      }
    }
  }

  /**
   * @param exitCode 0 ok, 2 the sweep stopped with an error, 3 another night holds the lock, 4 runs
   *     or analyses failed
   * @param sweep null when the night did not run the sweep
   */
  public record Result(
      int exitCode,
      String message,
      Sweeps.Result sweep,
      String previousNight,
      List<String> newRuns,
      List<String> newFailures,
      List<String> outOfBand,
      Path log,
      Path summary,
      String summaryText) {}

  /** Today's date in UTC, the default night. */
  public static String today() {
    return LocalDate.now(ZoneOffset.UTC).toString();
  }

  /** {@code <lake>/_nightly} for a local lake; other lakes need an explicit local folder. */
  public static Path defaultStateDir(String lake) {
    Lake l = Lake.open(lake);
    if (!"file".equals(l.uri().getScheme())) {
      throw new IllegalArgumentException(
          "The lake "
              + lake
              + " is not a local folder; give --state-dir DIR, a local folder for"
              + " the nightly lock, logs and summaries");
    }
    return Path.of(l.uri()).resolve("_nightly");
  }

  /** Runs one night; the session is created only once the lock is held. */
  public static Result run(Supplier<SparkSession> session, Options o) {
    String name = o.spec().name();
    Path lockFile = o.stateDir().resolve(name + ".lock");
    Path dir = o.stateDir().resolve(name);
    Path log = dir.resolve(o.night() + ".log");
    Path summaryFile = dir.resolve(o.night() + "-summary.md");
    try (NightLock lock = NightLock.tryAcquire(lockFile)) {
      if (lock == null) {
        String holder = NightLock.holder(lockFile);
        String message =
            "nightly "
                + name
                + ": another night is still running: "
                + lockFile
                + " is locked"
                + (holder.isBlank() ? "" : " by " + holder)
                + "; wait for it to finish (the lock is released when its process exits)";
        return new Result(
            LOCKED, message, null, null, List.of(), List.of(), List.of(), null, null, null);
      }
      Files.createDirectories(dir);
      PrintStream stdout = System.out;
      PrintStream stderr = System.err;
      try (OutputStream file =
              Files.newOutputStream(log, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
          PrintStream out = new PrintStream(new Tee(stdout, file), true, StandardCharsets.UTF_8);
          PrintStream err = new PrintStream(new Tee(stderr, file), true, StandardCharsets.UTF_8)) {
        System.setOut(out);
        System.setErr(err);
        try {
          out.printf(
              Locale.ROOT,
              "nightly %s: night %s started %s, pid %d, lake %s%n",
              name,
              o.night(),
              Instant.now(),
              ProcessHandle.current().pid(),
              o.lake());
          Result r = night(session.get(), o, out, log, summaryFile);
          out.printf(
              Locale.ROOT,
              "nightly %s: night %s finished %s, exit code %d%n",
              name,
              o.night(),
              Instant.now(),
              r.exitCode());
          return r;
        } finally {
          System.setOut(stdout);
          System.setErr(stderr);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write the nightly log " + log, e);
    }
  }

  private static Result night(
      SparkSession spark, Options o, PrintStream out, Path log, Path summaryFile)
      throws IOException {
    SweepSpec spec = o.spec();
    String root = Lake.open(o.lake()).root().toString();
    String prefix = o.fresh() ? spec.name() + "-n" + o.night().replace("-", "") : null;
    Sweeps.Result sweep = null;
    String error = null;
    try {
      sweep =
          Sweeps.run(
              spark, new Sweeps.Options(o.lake(), spec, prefix, o.retries(), o.analyse(), out));
      out.print(sweep.text());
    } catch (RuntimeException e) {
      error = e.toString();
      out.println("nightly " + spec.name() + ": the sweep stopped: " + error);
    }

    // Earlier nights of this sweep.
    List<Row> history =
        LakeTables.readRaw(spark, root, Tables.NIGHTLY_SUMMARY)
            .where(col("sweep").equalTo(spec.name()).and(col("night").lt(o.night())))
            .collectAsList();
    String previousNight =
        history.stream().map(r -> r.<String>getAs("night")).max(String::compareTo).orElse(null);
    Map<String, String> lastStatus = new HashMap<>();
    TreeSet<String> seenRuns = new TreeSet<>();
    Map<String, Map<String, List<Double>>> byKey = new HashMap<>();
    for (Row h : history) {
      seenRuns.add(h.getAs("run_id"));
      if (h.getAs("night").equals(previousNight)) {
        lastStatus.put(h.getAs("run_id"), h.getAs("status"));
      }
      for (String m : BANDED) {
        Object v = h.getAs(m);
        if (v != null) {
          byKey
              .computeIfAbsent(h.getAs("config_key"), k -> new HashMap<>())
              .computeIfAbsent(m, k -> new ArrayList<>())
              .add((Double) v);
        }
      }
    }

    List<String> newRuns = new ArrayList<>();
    List<String> newFailures = new ArrayList<>();
    List<String> outOfBand = new ArrayList<>();
    List<Row> rows = new ArrayList<>();
    Timestamp now = new Timestamp(System.currentTimeMillis());
    if (sweep != null) {
      Map<String, Row> summary = new HashMap<>();
      sweep.summary().forEach(r -> summary.put(r.getAs(Lake.RUN_ID), r));
      for (Sweeps.RunState s : sweep.runs()) {
        Row sr = summary.get(s.runId());
        boolean isNew = !seenRuns.contains(s.runId());
        boolean newFailure =
            s.status().equals(RunStatus.FAILED.name())
                && !RunStatus.FAILED.name().equals(lastStatus.get(s.runId()));
        if (isNew) {
          newRuns.add(s.runId() + " " + s.variedJson());
        }
        if (newFailure) {
          newFailures.add(s.runId() + ": " + s.message());
        }
        Map<String, Double> values = new TreeMap<>();
        List<String> flags = new ArrayList<>();
        for (String m : BANDED) {
          Object v = sr == null ? null : sr.getAs(m);
          values.put(m, (Double) v);
          List<Double> earlier =
              byKey.getOrDefault(s.configKey(), Map.of()).getOrDefault(m, List.of());
          Bands.Band band = Bands.of(earlier.stream().mapToDouble(Double::doubleValue).toArray());
          if (v != null && band != null && band.excludes((Double) v)) {
            flags.add(
                String.format(
                    Locale.ROOT,
                    "%s %.6g outside [%.6g, %.6g] (%s of %d earlier" + " night(s))",
                    m,
                    (Double) v,
                    band.low(),
                    band.high(),
                    band.rule(),
                    band.count()));
          }
        }
        if (!flags.isEmpty()) {
          outOfBand.add(s.runId() + ": " + String.join("; ", flags));
        }
        rows.add(
            RowFactory.create(
                new NightlySummaryRow(
                        s.runId(),
                        spec.name(),
                        o.night(),
                        s.configKey(),
                        s.status(),
                        isNew,
                        newFailure,
                        values.get("final_test_accuracy"),
                        values.get("psi"),
                        values.get("max_auroc"),
                        flags.isEmpty() ? null : String.join("; ", flags),
                        now)
                    .columns()));
      }
      writeNight(spark, root, o.night(), rows);
    }

    int exit = error != null ? ERROR : sweep.ok() ? OK : FAILURES;
    String text =
        summaryText(
            spec.name(),
            o.night(),
            previousNight,
            sweep,
            error,
            newRuns,
            newFailures,
            outOfBand,
            exit,
            log);
    Files.writeString(summaryFile, text, StandardCharsets.UTF_8);
    out.print(text);
    return new Result(
        exit, error, sweep, previousNight, newRuns, newFailures, outOfBand, log, summaryFile, text);
  }

  /** Replaces this night's rows of the runs, keeping their rows of every other night. */
  private static void writeNight(SparkSession spark, String root, String night, List<Row> rows) {
    if (rows.isEmpty()) {
      return;
    }
    // The rows are built in schema order (RowFactory), without a schema to look names up in.
    int runId = SchemaRegistry.schema(Tables.NIGHTLY_SUMMARY).indexOf(Lake.RUN_ID);
    Object[] ids = rows.stream().map(r -> r.get(runId)).toArray();
    List<Row> all =
        new ArrayList<>(
            LakeTables.readRaw(spark, root, Tables.NIGHTLY_SUMMARY)
                .where(col("run_id").isin(ids).and(col("night").notEqual(night)))
                .selectExpr(LakeTables.columns(Tables.NIGHTLY_SUMMARY))
                .collectAsList());
    all.addAll(rows);
    LakeTables.write(
        spark.createDataFrame(all, LakeTables.sparkSchema(Tables.NIGHTLY_SUMMARY)),
        root,
        Tables.NIGHTLY_SUMMARY);
  }

  static String summaryText(
      String sweep,
      String night,
      String previousNight,
      Sweeps.Result r,
      String error,
      List<String> newRuns,
      List<String> newFailures,
      List<String> outOfBand,
      int exit,
      Path log) {
    StringBuilder s = new StringBuilder();
    s.append("# Nightly sweep ").append(sweep).append(", night ").append(night).append("\n\n");
    s.append("Compared with: ")
        .append(previousNight == null ? "no earlier night (first night)" : "night " + previousNight)
        .append("  \nLog: ")
        .append(log)
        .append("  \nExit code: ")
        .append(exit)
        .append("\n\n");
    if (error != null) {
      s.append("**The sweep stopped with an error:** ").append(error).append("\n\n");
    }
    if (r != null) {
      s.append(
          String.format(
              Locale.ROOT,
              "Runs: %d (%d trained tonight, %d already committed, %d failed); analyses tonight: %s%n%n",
              r.total(),
              r.trained() - r.failed(),
              r.skipped(),
              r.failed(),
              r.analysed().isEmpty() ? "none" : r.analysed()));
    }
    section(s, "New runs", newRuns);
    section(s, "New failures", newFailures);
    section(s, "Results outside the bands of earlier nights", outOfBand);
    section(s, "Failed analyses", r == null ? List.of() : r.analysisFailures());
    return s.toString();
  }

  private static void section(StringBuilder s, String title, List<String> items) {
    s.append("## ")
        .append(title)
        .append(": ")
        .append(items.isEmpty() ? "none" : items.size())
        .append('\n');
    items.forEach(i -> s.append("- ").append(i).append('\n'));
    s.append('\n');
  }

  /** Copies everything written to two streams. */
  private static final class Tee extends OutputStream {
    private final OutputStream a;
    private final OutputStream b;

    Tee(OutputStream a, OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public synchronized void write(int c) throws IOException {
      a.write(c);
      b.write(c);
    }

    @Override
    public synchronized void write(byte[] buf, int off, int len) throws IOException {
      a.write(buf, off, len);
      b.write(buf, off, len);
    }

    @Override
    public synchronized void flush() throws IOException {
      a.flush();
      b.flush();
    }

    @Override
    public void close() throws IOException {
      // The console stream is not ours to close; the file is closed by its owner.
      flush();
    }
  }

  /**
   * An exclusive lock on a local file (java.nio FileLock: released by the OS when the process dies,
   * so a crashed night never blocks the next). The holder writes its PID into the file.
   */
  public static final class NightLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private NightLock(FileChannel channel, FileLock lock) {
      this.channel = channel;
      this.lock = lock;
    }

    /** The lock, or null when another process (or this one) holds it. */
    public static NightLock tryAcquire(Path file) throws IOException {
      Files.createDirectories(file.toAbsolutePath().getParent());
      FileChannel channel =
          FileChannel.open(
              file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        channel.close();
        return null;
      }
      channel.truncate(0);
      channel.write(
          ByteBuffer.wrap(
              ("pid " + ProcessHandle.current().pid() + " since " + Instant.now() + "\n")
                  .getBytes(StandardCharsets.UTF_8)),
          0);
      channel.force(true);
      return new NightLock(channel, lock);
    }

    /** What the lock file says about its holder ("pid N since T"), or "". */
    public static String holder(Path file) {
      try {
        return Files.readString(file, StandardCharsets.UTF_8).trim();
      } catch (IOException e) {
        return "";
      }
    }

    @Override
    public void close() throws IOException {
      lock.release();
      channel.close();
    }
  }
}
