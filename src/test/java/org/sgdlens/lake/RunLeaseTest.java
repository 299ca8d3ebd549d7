package org.sgdlens.lake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One writer per run id: refused contenders, recovered dead holders, detected theft. */
class RunLeaseTest {
  @TempDir Path dir;

  @Test
  void aSecondWriterIsRefusedNamingTheHolderAndTheFile() {
    Lake lake = Lake.open(dir.toString());
    try (RunLease first = RunLease.acquire(lake, "r")) {
      assertThatThrownBy(() -> RunLease.acquire(lake, "r"))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining(
              "Run r is being written by process " + ProcessHandle.current().pid())
          .hasMessageContaining("_leases/r.lease")
          .hasMessageContaining("nothing was written");
      first.verify();
    }
    try (RunLease again = RunLease.acquire(lake, "r")) {
      again.verify();
    }
    assertThat(Files.exists(dir.resolve("_leases/r.lease"))).as("released").isFalse();
  }

  @Test
  void ofManyWritersStartingAtOnceExactlyOneGetsTheLease() throws Exception {
    Lake lake = Lake.open(dir.toString());
    int writers = 8;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    CountDownLatch start = new CountDownLatch(1);
    CountDownLatch hold = new CountDownLatch(1);
    List<Future<Boolean>> results = new ArrayList<>();
    for (int i = 0; i < writers; i++) {
      results.add(
          pool.submit(
              () -> {
                start.await();
                try (RunLease lease = RunLease.acquire(lake, "race")) {
                  hold.await(10, TimeUnit.SECONDS);
                  return true;
                } catch (IllegalStateException refused) {
                  return false;
                }
              }));
    }
    start.countDown();
    Thread.sleep(500);
    hold.countDown();
    int winners = 0;
    for (Future<Boolean> f : results) {
      winners += f.get() ? 1 : 0;
    }
    pool.shutdown();
    assertThat(winners).isEqualTo(1);
  }

  @Test
  void aDeadWritersLeaseOnThisHostIsTakenOverAtOnce() throws Exception {
    Lake lake = Lake.open(dir.toString());
    Process holder =
        new ProcessBuilder(
                ProcessHandle.current().info().command().orElse("java"),
                "-cp",
                System.getProperty("java.class.path"),
                LeaseHolder.class.getName(),
                dir.toString(),
                "r")
            .redirectErrorStream(true)
            .start();
    try {
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).isEqualTo("holding");
      assertThatThrownBy(() -> RunLease.acquire(lake, "r"))
          .hasMessageContaining("process " + holder.pid());
    } finally {
      holder.destroyForcibly().waitFor(); // kill -9: no chance to release
    }
    assertThat(Files.exists(dir.resolve("_leases/r.lease"))).as("left behind").isTrue();
    long t0 = System.nanoTime();
    try (RunLease lease = RunLease.acquire(lake, "r")) {
      lease.verify();
    }
    assertThat((System.nanoTime() - t0) / 1e9).as("seconds to recover").isLessThan(5);
  }

  /** Holds a lease until killed (child process of the test above). */
  public static final class LeaseHolder {
    public static void main(String[] args) throws Exception {
      RunLease lease = RunLease.acquire(Lake.open(args[0]), args[1]);
      System.out.println("holding");
      System.out.flush();
      Thread.sleep(60_000);
      lease.close();
    }
  }

  private static void writeLease(Path file, String host, Instant refreshed) throws Exception {
    Files.createDirectories(file.getParent());
    Files.writeString(
        file,
        "{\"token\":\"t-other\",\"host\":\""
            + host
            + "\",\"pid_namespace\":\"x\",\"pid\":4242,\"pid_start_millis\":1,"
            + "\"acquired\":\"2026-12-01T00:00:00Z\"}\n");
    Files.setLastModifiedTime(file, FileTime.from(refreshed));
  }

  @Test
  void aLeaseFromAnotherHostIsHonouredUntilItGoesStale() throws Exception {
    org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration();
    conf.setLong(RunLease.TTL_SECONDS, 30);
    Lake lake = Lake.open(dir.toString(), conf);
    Path file = dir.resolve("_leases/r.lease");
    writeLease(file, "other-host", Instant.now());
    assertThatThrownBy(() -> RunLease.acquire(lake, "r"))
        .hasMessageContaining("process 4242 on other-host")
        .hasMessageContaining("after 30 s without refresh");
    writeLease(file, "other-host", Instant.now().minusSeconds(31));
    try (RunLease lease = RunLease.acquire(lake, "r")) {
      lease.verify();
    }
  }

  @Test
  void aWriterWhoseLeaseWasTakenCannotCommit() throws Exception {
    Lake lake = Lake.open(dir.toString());
    try (RunLease lease = RunLease.acquire(lake, "r")) {
      writeLease(dir.resolve("_leases/r.lease"), "other-host", Instant.now());
      assertThatThrownBy(lease::verify)
          .hasMessageContaining("lost the lease of run r")
          .hasMessageContaining("other-host")
          .hasMessageContaining("without committing");
    }
    assertThat(Files.exists(dir.resolve("_leases/r.lease")))
        .as("the thief's lease is not deleted by the loser")
        .isTrue();
  }

  @Test
  void theHolderKeepsItsLeaseFresh() throws Exception {
    org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration();
    conf.setLong(RunLease.TTL_SECONDS, 2);
    Lake lake = Lake.open(dir.toString(), conf);
    Path file = dir.resolve("_leases/r.lease");
    try (RunLease lease = RunLease.acquire(lake, "r")) {
      Files.setLastModifiedTime(file, FileTime.from(Instant.now().minusSeconds(60)));
      Thread.sleep(1_000);
      assertThat(Files.getLastModifiedTime(file).toInstant())
          .as("refreshed by the heartbeat")
          .isAfter(Instant.now().minusSeconds(5));
    }
  }
}
