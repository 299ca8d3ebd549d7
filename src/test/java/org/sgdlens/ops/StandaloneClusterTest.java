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
    TestLakes.write(lake, ROWS, List.of("catalog_test_result"));
    // A shuffle (GROUP BY) and a join (the committed-runs view), read by executors from the lake.
    String query =
        "SELECT m.run_id, count(*) AS n, sum(m.step) AS steps, max(r.psi) AS max_psi"
            + " FROM metrics m JOIN catalog_test_result r ON m.run_id = r.run_id AND m.step = r.step"
            + " GROUP BY m.run_id ORDER BY m.run_id";

    Launchers.Run local =
        Launchers.run(
            "sql",
            Map.of(),
            300,
            "--lake", lake.toString(),
            "-e", query,
            "--output", temp.resolve("local").toString(),
            "--format", "csv");
    assertThat(local.exitCode()).as(local.describe()).isZero();

    try (StandaloneCluster cluster = new StandaloneCluster(temp.resolve("cluster"), 2, 1, "1g")) {
      cluster.start();
      System.out.printf("standalone cluster (1 master, 2 workers) started in %d ms%n",
          cluster.startMillis());
      long t0 = System.nanoTime();
      Launchers.Run remote =
          cluster.submit(
              "sql",
              Map.of(),
              "--executor-memory", "512m",
              "--total-executor-cores", "2",
              "--lake", lake.toString(),
              "-e", query,
              "--output", temp.resolve("cluster-out").toString(),
              "--format", "csv");
      System.out.printf("cluster submit took %d ms%n", (System.nanoTime() - t0) / 1_000_000);
      assertThat(remote.exitCode()).as(remote.describe()).isZero();
      assertThat(cluster.masterLog())
          .as("the application ran on the cluster's executors")
          .contains("Launching executor");
      assertThat(csv(temp.resolve("cluster-out")))
          .as("cluster result equals local result")
          .isEqualTo(csv(temp.resolve("local")))
          .contains("r1," + ROWS + "," + (ROWS * (ROWS - 1) / 2) + "," + (ROWS - 1 + 0.25));
    }
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
