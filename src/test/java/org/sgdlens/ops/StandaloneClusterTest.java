package org.sgdlens.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster path end to end: a Master and two Workers on loopback, a job submitted through the
 * launcher with --master spark://..., executors launched by the Workers from the SPARK_HOME jars
 * plus the jars the launcher ships, and a result identical to local mode. Run it with
 * bench/cluster-test.sh (it is excluded from mvn test: about a minute and five JVMs).
 */
@Tag("slow")
@Tag("cluster")
class StandaloneClusterTest {
  private static final int ROWS = 40;

  @TempDir Path temp;

  @Test
  void sqlJobOnTheStandaloneClusterEqualsLocalMode() {
    Path lake = temp.resolve("lake");
    TestLakes.write(lake, ROWS, List.of());
    // A join (with the committed-runs view) and a shuffle (GROUP BY), read by executors.
    String query =
        "SELECT m.run_id, count(*) AS n, sum(m.step) AS steps, max(r.learning_rate) AS lr"
            + " FROM metrics m JOIN runs r ON m.run_id = r.run_id"
            + " GROUP BY m.run_id ORDER BY m.run_id";
    String expected = "r1," + ROWS + "," + (ROWS * (ROWS - 1) / 2) + ",0.25";

    Launchers.Run local = sql(Map.of(), lake, query, temp.resolve("local"));
    assertThat(local.exitCode()).as(local.describe()).isZero();
    List<String> reference = csv(temp.resolve("local"));
    assertThat(reference).as("local result").containsExactly("run_id,n,steps,lr", expected);

    try (StandaloneCluster cluster = new StandaloneCluster(temp.resolve("cluster"), 2, 1, "1g")) {
      cluster.start();
      System.out.printf(
          "standalone cluster (1 master, 2 workers) started in %d ms%n", cluster.startMillis());

      long t0 = System.nanoTime();
      Launchers.Run remote =
          cluster.submit(
              "sql",
              Map.of(),
              "--executor-memory",
              "512m",
              "--total-executor-cores",
              "2",
              "--lake",
              lake.toString(),
              "-e",
              query,
              "--output",
              temp.resolve("cluster-out").toString(),
              "--format",
              "csv");
      System.out.printf("cluster submit (no distribution) took %d ms%n", millisSince(t0));
      assertThat(remote.exitCode()).as(remote.describe()).isZero();
      assertThat(cluster.masterLog())
          .as("the application ran on the cluster's executors")
          .contains("Launching executor");
      assertThat(csv(temp.resolve("cluster-out")))
          .as("cluster result equals local result")
          .isEqualTo(reference);

      // The same through a Spark distribution's bin/spark-submit (SPARK_HOME), locally and on
      // the cluster: the launcher then ships its jars with --driver-class-path / --jars.
      Map<String, String> distribution =
          Map.of(
              "SPARK_HOME", cluster.sparkHome().toString(),
              "SGDLENS_SPARK_SUBMIT", cluster.sparkHome().resolve("bin/spark-submit").toString());
      t0 = System.nanoTime();
      Launchers.Run viaSubmitLocal = sql(distribution, lake, query, temp.resolve("dist-local"));
      System.out.printf("local run via bin/spark-submit took %d ms%n", millisSince(t0));
      assertThat(viaSubmitLocal.exitCode()).as(viaSubmitLocal.describe()).isZero();
      assertThat(csv(temp.resolve("dist-local")))
          .as("local run through bin/spark-submit")
          .isEqualTo(reference);

      t0 = System.nanoTime();
      Launchers.Run viaSubmitCluster =
          cluster.submit(
              "sql",
              distribution,
              "--total-executor-cores",
              "2",
              "--executor-memory",
              "512m",
              "--lake",
              lake.toString(),
              "-e",
              query,
              "--output",
              temp.resolve("dist-cluster").toString(),
              "--format",
              "csv");
      System.out.printf("cluster submit via bin/spark-submit took %d ms%n", millisSince(t0));
      assertThat(viaSubmitCluster.exitCode()).as(viaSubmitCluster.describe()).isZero();
      assertThat(csv(temp.resolve("dist-cluster")))
          .as("cluster run through bin/spark-submit")
          .isEqualTo(reference);
    }
  }

  /**
   * The whole pipeline on the cluster: a sweep (training as Spark tasks on the Workers' executors,
   * DJL included, then every analysis) submitted through the launcher, against the same sweep in
   * local mode. Every table of both lakes must hold the same rows.
   */
  @Test
  void wholePipelineOnTheStandaloneClusterEqualsLocalMode() throws IOException {
    Path sweep = temp.resolve("tiny.yaml");
    try (var in = StandaloneClusterTest.class.getResourceAsStream("/sweeps/tiny.yaml")) {
      Files.write(sweep, in.readAllBytes());
    }
    Path localLake = temp.resolve("local-lake");
    Path clusterLake = temp.resolve("cluster-lake");
    long t0 = System.nanoTime();
    Launchers.Run local =
        Launchers.run(
            "sweep", Map.of(), 900, "--lake", localLake.toString(), "--sweep", sweep.toString());
    System.out.printf(
        "local pipeline (sweep: train + every analysis) took %d ms%n", millisSince(t0));
    assertThat(local.exitCode()).as(local.describe()).isZero();

    try (StandaloneCluster cluster = new StandaloneCluster(temp.resolve("cluster"), 2, 1, "2g")) {
      cluster.start();
      t0 = System.nanoTime();
      Launchers.Run remote =
          cluster.submit(
              "sweep",
              Map.of(),
              "--executor-memory",
              "1g",
              "--total-executor-cores",
              "2",
              "--conf",
              "spark.executor.extraJavaOptions=-Dai.djl.offline=true",
              "--conf",
              "spark.executorEnv.DJL_CACHE_DIR=" + Launchers.projectDir().resolve(".djl-cache"),
              "--lake",
              clusterLake.toString(),
              "--sweep",
              sweep.toString());
      System.out.printf("cluster pipeline took %d ms%n", millisSince(t0));
      assertThat(remote.exitCode()).as(remote.describe()).isZero();
      assertThat(cluster.masterLog()).contains("Launching executor");
    }
    org.apache.spark.sql.SparkSession spark =
        org.apache.spark.sql.SparkSession.builder()
            .appName("compare")
            .master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate();
    try {
      int compared = 0;
      for (String table : org.sgdlens.lake.Tables.ALL) {
        List<TableDigest.Digest> expected = TableDigest.rows(spark, localLake.toString(), table);
        List<TableDigest.Digest> actual = TableDigest.rows(spark, clusterLake.toString(), table);
        assertThat(TableDigest.difference(expected, actual, 1e-9))
            .as("table %s: cluster equals local (doubles to 1e-9)", table)
            .isNull();
        if (!expected.isEmpty()) {
          compared++;
        }
      }
      System.out.printf("%d non-empty tables identical between cluster and local mode%n", compared);
      assertThat(compared).as("tables with rows").isGreaterThanOrEqualTo(15);
    } finally {
      spark.stop();
    }
  }

  private static Launchers.Run sql(Map<String, String> env, Path lake, String query, Path out) {
    return Launchers.run(
        "sql",
        env,
        300,
        "--lake",
        lake.toString(),
        "-e",
        query,
        "--output",
        out.toString(),
        "--format",
        "csv");
  }

  private static long millisSince(long t0) {
    return (System.nanoTime() - t0) / 1_000_000;
  }

  /** The lines of every CSV part file of an output folder. */
  private static List<String> csv(Path folder) {
    try (Stream<Path> files = Files.list(folder)) {
      return files
          .filter(p -> p.getFileName().toString().endsWith(".csv"))
          .sorted()
          .flatMap(
              p -> {
                try {
                  return Files.readAllLines(p).stream();
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              })
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
