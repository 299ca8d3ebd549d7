package org.sgdlens.lake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * The one writer of a run id. Whoever writes a run (a train job, a sweep task, a retried task)
 * first creates {@code <lake>/_leases/<run id>.lease}, atomically and only if it does not exist,
 * holding who it is; a second writer of the same id finds the file and stops before writing
 * anything, with an error that names the holder. The holder refreshes the file's time every few
 * seconds and deletes it when done.
 *
 * <p>A lease whose holder died (kill -9, a lost node) is recovered: on the holder's own machine at
 * once, when its process is gone (same host name and PID namespace, and no live process with the
 * holder's PID and start time); elsewhere once its time is older than {@link #TTL_SECONDS}. The
 * recovering writer first renames the stale file away, which only one of several contenders can do,
 * then creates its own.
 *
 * <p>Atomic exclusive creation is a hard link on the local file system and a rename on HDFS (which
 * refuses an existing target); on object stores (S3A) it is best effort, see docs/lake.md.
 */
public final class RunLease implements AutoCloseable {
  /** Hadoop/Java property: seconds after which a lease whose holder is on another host is stale. */
  public static final String TTL_SECONDS = "sgdlens.lease.ttl-seconds";

  public static final long TTL_SECONDS_DEFAULT = 120;

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Tokens of the leases held by live writers of this JVM (a sweep runs several at once). */
  private static final Set<String> LIVE = ConcurrentHashMap.newKeySet();

  /** Who holds a lease, as its file says. */
  public record Holder(
      String token,
      String host,
      String pidNamespace,
      long pid,
      long pidStartMillis,
      Instant acquired) {
    String describe() {
      return "process "
          + pid
          + " on "
          + host
          + " since "
          + acquired.toString().replace('T', ' ').replaceAll("\\.\\d+Z$", "Z");
    }
  }

  private final Lake lake;
  private final String runId;
  private final Path path;
  private final Holder self;
  private final Thread heartbeat;
  private volatile boolean released;

  private RunLease(Lake lake, String runId, Path path, Holder self, long heartbeatMillis) {
    this.lake = lake;
    this.runId = runId;
    this.path = path;
    this.self = self;
    this.heartbeat = new Thread(() -> beat(heartbeatMillis), "sgdlens-lease-" + runId);
    heartbeat.setDaemon(true);
  }

  /**
   * Takes the lease of {@code runId}, recovering it from a dead holder.
   *
   * @throws IllegalStateException when a live writer holds it, naming the writer and the file
   */
  public static RunLease acquire(Lake lake, String runId) {
    Path path = lake.lease(runId);
    Holder self = self();
    long ttl = ttlMillis(lake);
    try {
      lake.fs().mkdirs(path.getParent());
      for (int attempt = 0; attempt < 5; attempt++) {
        if (createExclusive(lake, path, encode(self))) {
          LIVE.add(self.token());
          RunLease lease = new RunLease(lake, runId, path, self, Math.max(200, ttl / 8));
          lease.heartbeat.start();
          try {
            lake.at(CrashPoint.LEASE_ACQUIRED);
          } catch (RuntimeException | Error e) {
            lease.close();
            throw e;
          }
          return lease;
        }
        Optional<Holder> holder = read(lake, path);
        Optional<FileStatus> status = status(lake, path);
        if (status.isEmpty()) {
          continue; // released meanwhile: try again
        }
        long age = System.currentTimeMillis() - status.get().getModificationTime();
        if (alive(holder, age, ttl)) {
          throw new IllegalStateException(
              "Run "
                  + runId
                  + " is being written by "
                  + holder.map(Holder::describe).orElse("another writer (its lease is unreadable)")
                  + " (lease "
                  + path
                  + ", refreshed "
                  + Math.max(0, age / 1000)
                  + " s ago); nothing was written. Wait for that writer to finish, or stop it:"
                  + " a dead writer's lease is taken over automatically (on another host after "
                  + ttl / 1000
                  + " s without refresh)");
        }
        // Dead holder: move its lease aside (only one contender can), then try to create ours.
        Path aside = new Path(path.getParent(), path.getName() + ".stale-" + self.token());
        if (renameNoReplace(lake, path, aside)) {
          Optional<Holder> moved = read(lake, aside);
          boolean sameDeadHolder =
              holder.isEmpty()
                  ? moved.isEmpty()
                  : moved.isPresent() && moved.get().token().equals(holder.get().token());
          if (!sameDeadHolder) {
            // Another contender's fresh lease was taken between our look and our move: put it back.
            try (InputStream in = lake.fs().open(aside)) {
              createExclusive(lake, path, in.readAllBytes());
            }
          }
          lake.fs().delete(aside, false);
        }
      }
      throw new IllegalStateException(
          "Could not take the lease "
              + path
              + " of run "
              + runId
              + " after 5 attempts: other writers keep taking it; run one writer per run id");
    } catch (IOException e) {
      throw new UncheckedIOException(
          LakeErrors.describe("Cannot take the lease " + path + " of run " + runId, e, lake), e);
    }
  }

  /** The run id this lease is for. */
  public String runId() {
    return runId;
  }

  /**
   * Fails unless this writer still holds the lease (a writer paused past the TTL may have lost it
   * to another): called before a commit, so a stale writer never commits over a live one.
   */
  public void verify() {
    if (released) {
      throw new IllegalStateException("The lease of run " + runId + " was already released");
    }
    Optional<Holder> holder = read(lake, path);
    if (holder.isEmpty() || !holder.get().token().equals(self.token())) {
      throw new IllegalStateException(
          "This writer lost the lease of run "
              + runId
              + " ("
              + path
              + " now says "
              + holder.map(Holder::describe).orElse("nothing")
              + "); it stops without committing so that the run has one writer");
    }
  }

  /** Deletes the lease file if it is still ours. Never throws over an earlier failure. */
  @Override
  public void close() {
    if (released) {
      return;
    }
    released = true;
    LIVE.remove(self.token());
    heartbeat.interrupt();
    try {
      Optional<Holder> holder = read(lake, path);
      if (holder.isPresent() && holder.get().token().equals(self.token())) {
        lake.fs().delete(path, false);
      }
    } catch (IOException | RuntimeException e) {
      // A lease left behind is recovered by the next writer (its holder, this process, is gone).
    }
  }

  private void beat(long everyMillis) {
    while (!released) {
      try {
        Thread.sleep(everyMillis);
        if (!released) {
          touch();
        }
      } catch (InterruptedException e) {
        return;
      } catch (IOException | RuntimeException e) {
        // A missed refresh only ages the lease; the next one may succeed.
      }
    }
  }

  private void touch() throws IOException {
    try {
      lake.fs().setTimes(path, System.currentTimeMillis(), -1);
    } catch (UnsupportedOperationException e) {
      // Object stores keep no settable times: rewrite the object (one atomic PUT).
      try (OutputStream out = lake.fs().create(path, true)) {
        out.write(encode(self));
      }
    }
  }

  static long ttlMillis(Lake lake) {
    String value = System.getProperty(TTL_SECONDS);
    long seconds =
        value != null
            ? Long.parseLong(value.trim())
            : lake.conf().getLong(TTL_SECONDS, TTL_SECONDS_DEFAULT);
    if (seconds < 1) {
      throw new IllegalArgumentException(
          TTL_SECONDS
              + " is "
              + seconds
              + "; use a number of seconds, e.g. "
              + TTL_SECONDS_DEFAULT);
    }
    return seconds * 1000;
  }

  /** Whether the holder may still be writing. */
  private static boolean alive(Optional<Holder> holder, long ageMillis, long ttlMillis) {
    if (holder.isEmpty()) {
      // Unreadable: being created this instant, or damaged. Trust it until it is stale.
      return ageMillis < ttlMillis;
    }
    Holder h = holder.get();
    Holder me = self();
    if (h.host().equals(me.host()) && h.pidNamespace().equals(me.pidNamespace())) {
      if (h.pid() == me.pid()) {
        return h.pidStartMillis() == me.pidStartMillis() && LIVE.contains(h.token());
      }
      return ProcessHandle.of(h.pid())
          .flatMap(p -> p.info().startInstant())
          .map(start -> start.toEpochMilli() == h.pidStartMillis())
          .orElse(false);
    }
    return ageMillis < ttlMillis;
  }

  private static Holder self() {
    ProcessHandle me = ProcessHandle.current();
    return new Holder(
        UUID.randomUUID().toString(),
        hostName(),
        pidNamespace(),
        me.pid(),
        me.info().startInstant().map(Instant::toEpochMilli).orElse(0L),
        Instant.now());
  }

  private static String hostName() {
    try {
      return Files.readString(java.nio.file.Path.of("/proc/sys/kernel/hostname")).trim();
    } catch (IOException | RuntimeException e) {
      try {
        return java.net.InetAddress.getLocalHost().getHostName();
      } catch (IOException e2) {
        return "unknown-host";
      }
    }
  }

  /**
   * Containers that share a host name have their own PID namespaces: PIDs compare only within one.
   */
  private static String pidNamespace() {
    try {
      return Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/ns/pid")).toString();
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  private static byte[] encode(Holder h) {
    ObjectNode node = JSON.createObjectNode();
    node.put("token", h.token());
    node.put("host", h.host());
    node.put("pid_namespace", h.pidNamespace());
    node.put("pid", h.pid());
    node.put("pid_start_millis", h.pidStartMillis());
    node.put("acquired", h.acquired().toString());
    return (node.toString() + "\n").getBytes(StandardCharsets.UTF_8);
  }

  static Optional<Holder> read(Lake lake, Path path) {
    try (InputStream in = lake.fs().open(path)) {
      JsonNode n = JSON.readTree(in);
      return Optional.of(
          new Holder(
              n.get("token").asText(),
              n.get("host").asText(),
              n.path("pid_namespace").asText(""),
              n.get("pid").asLong(),
              n.path("pid_start_millis").asLong(),
              Instant.parse(n.get("acquired").asText())));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private static Optional<FileStatus> status(Lake lake, Path path) throws IOException {
    try {
      return Optional.of(lake.fs().getFileStatus(path));
    } catch (java.io.FileNotFoundException e) {
      return Optional.empty();
    }
  }

  private static boolean isLocal(Lake lake) {
    return "file".equals(lake.root().toUri().getScheme());
  }

  /** Creates {@code path} holding {@code bytes} only if it does not exist; false if it does. */
  static boolean createExclusive(Lake lake, Path path, byte[] bytes) throws IOException {
    Path tmp = new Path(path.getParent(), "." + path.getName() + "." + UUID.randomUUID() + ".tmp");
    try (OutputStream out = lake.fs().create(tmp, false)) {
      out.write(bytes);
    }
    try {
      if (isLocal(lake)) {
        // A hard link appears whole and fails if the name exists (link(2) is atomic).
        try {
          Files.createLink(local(path), local(tmp));
          return true;
        } catch (FileAlreadyExistsException e) {
          return false;
        }
      }
      // HDFS refuses to rename onto an existing file.
      return !lake.fs().exists(path) && lake.fs().rename(tmp, path);
    } finally {
      lake.fs().delete(tmp, false);
    }
  }

  private static boolean renameNoReplace(Lake lake, Path from, Path to) throws IOException {
    if (isLocal(lake)) {
      try {
        Files.move(local(from), local(to), StandardCopyOption.ATOMIC_MOVE);
        return true;
      } catch (NoSuchFileException e) {
        return false;
      }
    }
    return lake.fs().rename(from, to);
  }

  private static java.nio.file.Path local(Path p) {
    return java.nio.file.Path.of(p.toUri());
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "lease of %s (%s)", runId, self.describe());
  }

  /** How long a lease may go without refresh before a writer on another host takes it over. */
  public static Duration ttl(Lake lake) {
    return Duration.ofMillis(ttlMillis(lake));
  }
}
