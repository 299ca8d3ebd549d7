package org.sgdlens.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.hash;
import static org.apache.spark.sql.functions.sum;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.analysis.LakeTables;
import org.sgdlens.analysis.LossSeparation;
import org.sgdlens.lake.Tables;

/**
 * loss-separation beside its peer and its floor, in one JVM, per run of a lake: DuckDB computing
 * the same exact AUROCs (average ranks), group statistics and d' per step in one SQL statement; a
 * plain Spark scan of the same rows and columns; and the job itself. Each timing is the best of
 * {@code --repeats} after {@code --warmup} (1) runs, so all three read from the page cache. Prints
 * the largest difference between the job's and DuckDB's AUROC and d' as a check that both computed
 * the same.
 *
 * <p>Usage: {@code LossSeparationScaleBench --lake DIR --window 5 --repeats 2 RUN...}
 */
public final class LossSeparationScaleBench {
  private LossSeparationScaleBench() {}

  public static void main(String[] args) throws Exception {
    String lake = null;
    int window = LossSeparation.Options.WINDOW_DEFAULT;
    int repeats = 2;
    int warmup = 1;
    List<String> runs = new java.util.ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--lake" -> lake = args[++i];
        case "--window" -> window = Integer.parseInt(args[++i]);
        case "--repeats" -> repeats = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        default -> runs.add(args[i]);
      }
    }
    SparkSession spark =
        SparkSession.builder()
            .appName("loss-separation-scale")
            .master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate();
    spark.sparkContext().setLogLevel("ERROR");
    System.out.printf(
        Locale.ROOT,
        "%-14s %10s %10s %10s %10s %8s %8s %10s %10s%n",
        "run",
        "rows",
        "scan s",
        "job s",
        "duckdb s",
        "job/duck",
        "job/scan",
        "max|dAUC|",
        "max|dd'|");
    try (Connection duck = DriverManager.getConnection("jdbc:duckdb:")) {
      try (Statement st = duck.createStatement()) {
        st.execute("SET threads = 2");
      }
      for (String run : runs) {
        String finalLake = lake;
        int finalWindow = window;
        long[] rows = new long[1];
        double scan =
            best(
                warmup,
                repeats,
                () -> {
                  Row r =
                      LakeTables.read(spark, finalLake, Tables.SAMPLE_LOSSES)
                          .where(col("run_id").equalTo(run))
                          .agg(
                              count("*"),
                              sum(
                                  hash(
                                      col("step"),
                                      col("sample_index"),
                                      col("mislabeled"),
                                      col("loss"))))
                          .first();
                  rows[0] = r.getLong(0);
                });
        LossSeparation.Options o =
            LossSeparation.Options.builder()
                .setLake(lake)
                .optRuns(List.of(run))
                .optWindow(window)
                .build();
        LossSeparation.Result[] result = new LossSeparation.Result[1];
        double job = best(warmup, repeats, () -> result[0] = LossSeparation.run(spark, o));
        Map<Long, double[]> duckRows = new HashMap<>();
        String sql = duckSql(lake, run, finalWindow, o.logFloor());
        double duckS =
            best(
                warmup,
                repeats,
                () -> {
                  duckRows.clear();
                  try (Statement st = duck.createStatement();
                      ResultSet rs = st.executeQuery(sql)) {
                    while (rs.next()) {
                      duckRows.put(
                          rs.getLong("step"),
                          new double[] {
                            rs.getDouble("auroc"),
                            rs.getDouble("history_auroc"),
                            rs.getDouble("d_prime")
                          });
                    }
                  }
                });
        double dAuc = 0;
        double dD = 0;
        for (Row r : result[0].steps()) {
          double[] d = duckRows.get(r.<Long>getAs("step"));
          if (d == null) {
            throw new IllegalStateException("DuckDB has no row for step " + r.getAs("step"));
          }
          if (r.getAs("auroc") != null) {
            dAuc = Math.max(dAuc, Math.abs(r.<Double>getAs("auroc") - d[0]));
            dAuc = Math.max(dAuc, Math.abs(r.<Double>getAs("history_auroc") - d[1]));
          }
          if (r.getAs("d_prime") != null) {
            dD = Math.max(dD, Math.abs(r.<Double>getAs("d_prime") - d[2]));
          }
        }
        System.out.printf(
            Locale.ROOT,
            "%-14s %10d %10.2f %10.2f %10.2f %8.2f %8.2f %10.1e %10.1e%n",
            run,
            rows[0],
            scan,
            job,
            duckS,
            job / duckS,
            job / scan,
            dAuc,
            dD);
      }
    }
    spark.stop();
  }

  /**
   * The same quantities in DuckDB: history by a window per sample, average ranks per step (rank +
   * (ties - 1) / 2), AUROC = (rank sum of W - |W|(|W|+1)/2) / (|W||C|), statistics with FILTER.
   */
  static String duckSql(String lake, String run, int window, double floor) {
    String files = lake + "/" + Tables.SAMPLE_LOSSES + "/run_id=" + run + "/**/*.parquet";
    String q = "[0.05, 0.25, 0.5, 0.75, 0.95]";
    return String.format(
        Locale.ROOT,
        """
        WITH l AS (
          SELECT step, sample_index, mislabeled, loss FROM read_parquet('%s')
          WHERE loss IS NOT NULL AND NOT isnan(loss) AND loss < 'inf'::DOUBLE),
        s AS (
          SELECT *, ln(greatest(loss, %s)) AS log_loss,
            avg(loss) OVER w AS history, count(loss) OVER w AS history_steps
          FROM l WINDOW w AS (PARTITION BY sample_index ORDER BY step
                              ROWS BETWEEN %d PRECEDING AND CURRENT ROW)),
        r AS (
          SELECT *, ln(greatest(history, %s)) AS log_history,
            rank() OVER (PARTITION BY step ORDER BY loss)
              + (count(*) OVER (PARTITION BY step, loss) - 1) / 2.0 AS rank_loss,
            rank() OVER (PARTITION BY step ORDER BY history)
              + (count(*) OVER (PARTITION BY step, history) - 1) / 2.0 AS rank_history
          FROM s),
        g AS (
          SELECT step,
            count(*) FILTER (WHERE NOT mislabeled) AS nc, count(*) FILTER (WHERE mislabeled) AS nw,
            avg(loss) FILTER (WHERE NOT mislabeled) AS clean_mean,
            stddev_samp(loss) FILTER (WHERE NOT mislabeled) AS clean_std,
            quantile_cont(loss, %s) FILTER (WHERE NOT mislabeled) AS clean_q,
            avg(loss) FILTER (WHERE mislabeled) AS wrong_mean,
            stddev_samp(loss) FILTER (WHERE mislabeled) AS wrong_std,
            quantile_cont(loss, %s) FILTER (WHERE mislabeled) AS wrong_q,
            avg(log_loss) FILTER (WHERE NOT mislabeled) AS lcm,
            var_samp(log_loss) FILTER (WHERE NOT mislabeled) AS lcv,
            avg(log_loss) FILTER (WHERE mislabeled) AS lwm,
            var_samp(log_loss) FILTER (WHERE mislabeled) AS lwv,
            avg(log_history) FILTER (WHERE NOT mislabeled) AS hcm,
            var_samp(log_history) FILTER (WHERE NOT mislabeled) AS hcv,
            avg(log_history) FILTER (WHERE mislabeled) AS hwm,
            var_samp(log_history) FILTER (WHERE mislabeled) AS hwv,
            max(history_steps) AS history_steps,
            sum(rank_loss) FILTER (WHERE mislabeled) AS rl,
            sum(rank_history) FILTER (WHERE mislabeled) AS rh
          FROM r GROUP BY step)
        SELECT *,
          (rl - nw * (nw + 1) / 2.0) / (nw * nc) AS auroc,
          (rh - nw * (nw + 1) / 2.0) / (nw * nc) AS history_auroc,
          (lwm - lcm) / sqrt(((nw - 1) * lwv + (nc - 1) * lcv) / (nw + nc - 2)) AS d_prime,
          (hwm - hcm) / sqrt(((nw - 1) * hwv + (nc - 1) * hcv) / (nw + nc - 2)) AS history_d_prime
        FROM g ORDER BY step
        """,
        files,
        floor,
        window - 1,
        floor,
        q,
        q);
  }

  interface Work {
    void run() throws Exception;
  }

  /** Best wall time in seconds of {@code repeats} runs after one warm-up. */
  static double best(int warmup, int repeats, Work w) throws Exception {
    for (int i = 0; i < warmup; i++) {
      w.run();
    }
    double best = Double.MAX_VALUE;
    for (int i = 0; i < repeats; i++) {
      long t0 = System.nanoTime();
      w.run();
      best = Math.min(best, (System.nanoTime() - t0) / 1e9);
    }
    return best;
  }
}
