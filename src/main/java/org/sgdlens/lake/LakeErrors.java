package org.sgdlens.lake;

import java.io.IOException;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What a failed lake operation tells the user: the cause in plain words (a full disk says so and
 * names the lake and the free space), the path, and the fix. Every user-facing I/O error of the
 * lake package is built here.
 */
public final class LakeErrors {
  private LakeErrors() {}

  /** The lake's disk (or quota) is full: a write failed for want of space. */
  public static final class DiskFull extends IllegalStateException {
    private final long freeBytes;

    public DiskFull(String message, long freeBytes, Throwable cause) {
      super(message, cause);
      this.freeBytes = freeBytes;
    }

    /** Free bytes on the lake's file system when the error was built; -1 if unknown. */
    public long freeBytes() {
      return freeBytes;
    }
  }

  /** True when {@code t} or one of its causes reports a full disk or an exceeded quota. */
  public static boolean isDiskFull(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof DiskFull) {
        return true;
      }
      String m = String.valueOf(c.getMessage()).toLowerCase(Locale.ROOT);
      if (m.contains("no space left on device")
          || m.contains("disk quota exceeded")
          || m.contains("diskspace quota")
          || c.getClass().getSimpleName().equals("DiskOutOfSpaceException")
          || c.getClass().getSimpleName().equals("DSQuotaExceededException")) {
        return true;
      }
    }
    return false;
  }

  private static final java.util.regex.Pattern LAKE_FILE =
      java.util.regex.Pattern.compile(
          "((?:[a-zA-Z][a-zA-Z0-9+.-]*:)?/\\S*?/([a-z_]+)/run_id=([A-Za-z0-9._-]+)/[^\\s/]+\\.parquet)");

  /**
   * When {@code t} (from Spark or parquet-java) says that a lake file is damaged (a page checksum
   * that does not match, or bytes that do not decode), the message for the user: the file, its
   * table and run, and what to do. Empty for any other failure.
   */
  public static Optional<String> damaged(Throwable t) {
    boolean corrupt = false;
    String file = null;
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      String m = String.valueOf(c.getMessage());
      String name = c.getClass().getSimpleName();
      corrupt |=
          m.contains("CRC checksum verification failed")
              || m.contains("could not verify page integrity")
              || name.equals("ParquetDecodingException")
              || name.equals("CorruptStatistics")
              || m.contains("is not a Parquet file")
              || m.contains("Can not read value at");
      if (file == null) {
        java.util.regex.Matcher f = LAKE_FILE.matcher(m);
        if (f.find()) {
          file = f.group(1);
        }
      }
    }
    if (!corrupt) {
      return Optional.empty();
    }
    if (file == null) {
      return Optional.of(
          "A lake file is damaged (" + rootCause(t) + "); run again with --debug to see which");
    }
    java.util.regex.Matcher f = LAKE_FILE.matcher(file);
    f.find();
    String table = f.group(2);
    String run = f.group(3);
    return Optional.of(
        "The lake file "
            + file
            + " (table "
            + table
            + ", run "
            + run
            + ") is damaged: "
            + rootCause(t)
            + ". Its bytes changed after sgdlens wrote them (disk or copy error). Record run "
            + run
            + " again (jobs/train with --run-id "
            + run
            + " --overwrite and its config)"
            + (Tables.RECORDS.contains(table) || table.equals(Tables.RUNS)
                ? ""
                : ", or rerun the analysis that writes " + table)
            + "; or leave it out with --run for the other runs");
  }

  /** Free bytes on the file system that holds the lake, if the file system says. */
  public static OptionalLong freeBytes(Lake lake) {
    try {
      long remaining = lake.fs().getStatus(lake.root()).getRemaining();
      return remaining >= 0 ? OptionalLong.of(remaining) : OptionalLong.empty();
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty();
    }
  }

  /**
   * The message for a failed lake operation: {@code what} (naming the file or run), then the cause
   * in words; a full disk becomes a {@link DiskFull} message naming the lake and its free space.
   */
  public static String describe(String what, Throwable e, Lake lake) {
    if (isDiskFull(e)) {
      return diskFullMessage(what, e, lake);
    }
    return what + ": " + e.getMessage();
  }

  /** {@code e} as the exception to throw: a {@link DiskFull} when the disk is full. */
  public static RuntimeException wrap(String what, Throwable e, Lake lake) {
    if (e instanceof DiskFull d) {
      return d;
    }
    if (isDiskFull(e)) {
      return new DiskFull(diskFullMessage(what, e, lake), freeBytes(lake).orElse(-1), e);
    }
    if (e instanceof IOException io) {
      return new java.io.UncheckedIOException(what + ": " + e.getMessage(), io);
    }
    return e instanceof RuntimeException r ? r : new IllegalStateException(what, e);
  }

  private static String diskFullMessage(String what, Throwable e, Lake lake) {
    OptionalLong free = freeBytes(lake);
    return what
        + ": the disk holding the lake "
        + lake.root()
        + " is full ("
        + rootCause(e)
        + (free.isPresent() ? "; " + bytes(free.getAsLong()) + " free there now" : "")
        + "). Free some space or point --lake at a larger disk, then run the same command again";
  }

  private static String rootCause(Throwable e) {
    Throwable c = e;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return String.valueOf(c.getMessage());
  }

  /** A byte count for people: {@code 1.2 GB}, {@code 340 MB}, {@code 12 kB}. */
  public static String bytes(long n) {
    if (n >= 1_000_000_000L) {
      return String.format(Locale.ROOT, "%.1f GB", n / 1e9);
    }
    if (n >= 1_000_000L) {
      return String.format(Locale.ROOT, "%.0f MB", n / 1e6);
    }
    if (n >= 1_000L) {
      return String.format(Locale.ROOT, "%.0f kB", n / 1e3);
    }
    return n + " bytes";
  }
}
