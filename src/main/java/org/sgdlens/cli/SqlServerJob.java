package org.sgdlens.cli;

import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.connect.service.SparkConnectService;
import org.apache.spark.sql.connect.service.SparkConnectService$;
import org.sgdlens.analysis.LakeCatalog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code sql-server}: a long-running Spark Connect server over the lake's catalog, for repeated
 * queries from any Spark Connect client (the JVM client, PySpark's connect client, notebooks)
 * without a JVM start per query. Every client session sees the lake's tables by name, as {@code
 * jobs/sql} does; the catalog is refreshed at start and then every {@code --refresh-seconds}, which
 * costs a folder listing when nothing changed (docs/catalog.md).
 */
public final class SqlServerJob {
  /** Spark Connect's own key for the gRPC port (its default is 15002). */
  static final String PORT_KEY = "spark.connect.grpc.binding.port";

  /** Spark Connect's key for the address the server binds. */
  static final String ADDRESS_KEY = "spark.connect.grpc.binding.address";

  static final int PORT_DEFAULT = 15002;
  static final String HOST_DEFAULT = "127.0.0.1";
  static final int REFRESH_SECONDS_DEFAULT = 30;

  @Command(
      name = "jobs/sql-server",
      description =
          "Serves the lake's tables to Spark Connect clients (sc://HOST:PORT): the JVM client,"
              + " PySpark's connect client (pyspark --remote), notebooks. Tables are the ones"
              + " jobs/sql sees, refreshed every --refresh-seconds. Runs until stopped (Ctrl-C,"
              + " SIGTERM).",
      footerHeading = "%nExamples:%n",
      footer = {
        "  jobs/sql-server --lake ./lake &",
        "  pyspark --remote sc://127.0.0.1:15002   # then spark.sql(\"SELECT * FROM runs\")"
      })
  static final class Args {
    @Mixin StandardOptions standard = new StandardOptions();

    @Option(
        names = "--port",
        paramLabel = "N",
        defaultValue = "" + PORT_DEFAULT,
        description = "gRPC port (default: ${DEFAULT-VALUE}, Spark Connect's)")
    int port;

    @Option(
        names = "--host",
        paramLabel = "ADDRESS",
        defaultValue = HOST_DEFAULT,
        description =
            "address to bind (default: ${DEFAULT-VALUE}, this machine only; 0.0.0.0 for every"
                + " interface: Spark Connect has no authentication of its own)")
    String host;

    @Option(
        names = "--refresh-seconds",
        paramLabel = "S",
        defaultValue = "" + REFRESH_SECONDS_DEFAULT,
        description = "catalog refresh interval, 0 = only at start (default: ${DEFAULT-VALUE})")
    int refreshSeconds;
  }

  private SqlServerJob() {}

  public static void main(String[] args) {
    JobMain.main("sql-server", args, SqlServerJob::run);
  }

  static int run(String[] args) {
    Args a = Cli.parse(new Args(), args);
    if (a == null) {
      return 0;
    }
    if (a.port < 0 || a.port > 65535) {
      throw new IllegalArgumentException(
          "--port is " + a.port + "; give a TCP port in 0-65535 (0 picks a free one)");
    }
    if (a.refreshSeconds < 0) {
      throw new IllegalArgumentException(
          "--refresh-seconds is " + a.refreshSeconds + "; give 0 (start only) or more");
    }
    String lake = a.standard.lake;
    SparkSession spark =
        SqlJob.session(
            lake,
            "sgdlens-sql-server",
            Map.of(PORT_KEY, String.valueOf(a.port), ADDRESS_KEY, a.host));
    LakeCatalog.Refresh r = LakeCatalog.refresh(spark, lake);
    Server server = start(spark, lake, a.refreshSeconds);
    System.out.printf(
        "sql-server: %d tables and %d views of %s at sc://%s:%d (Ctrl-C stops)%n",
        r.tables().size(), r.views().size(), lake, a.host, server.port());
    System.out.flush();
    server.awaitStop();
    return 0;
  }

  /** A running server: Spark Connect's gRPC service plus the periodic catalog refresh. */
  static final class Server implements AutoCloseable {
    private final ScheduledExecutorService refresher;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final int port;

    private Server(ScheduledExecutorService refresher, int port) {
      this.refresher = refresher;
      this.port = port;
    }

    int port() {
      return port;
    }

    void awaitStop() {
      Runtime.getRuntime().addShutdownHook(new Thread(this::close, "sql-server-stop"));
      try {
        stopped.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void close() {
      // Let a refresh in progress finish: interrupting it closes the Derby connection under it.
      refresher.shutdown();
      try {
        refresher.awaitTermination(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      SparkConnectService.stop(scala.Option.empty(), scala.Option.empty());
      stopped.countDown();
    }
  }

  /** Starts Spark Connect on {@code spark}'s context and the refresh of {@code lake}'s catalog. */
  static Server start(SparkSession spark, String lake, int refreshSeconds) {
    SparkConnectService.start(spark.sparkContext());
    int port = SparkConnectService$.MODULE$.localPort();
    ScheduledExecutorService refresher =
        Executors.newSingleThreadScheduledExecutor(
            task -> {
              Thread t = new Thread(task, "sql-server-refresh");
              t.setDaemon(true);
              return t;
            });
    if (refreshSeconds > 0) {
      // Not a static field: --help must load no logging (and so no Hive) classes.
      Logger log = LoggerFactory.getLogger(SqlServerJob.class);
      refresher.scheduleWithFixedDelay(
          () -> {
            try {
              LakeCatalog.refresh(spark, lake);
            } catch (RuntimeException e) {
              log.warn(
                  "Catalog refresh of {} failed; serving the last one: {}", lake, e.toString());
            }
          },
          refreshSeconds,
          refreshSeconds,
          TimeUnit.SECONDS);
    }
    return new Server(refresher, port);
  }
}
