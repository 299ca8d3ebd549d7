package org.sgdlens.record;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Lowers the scheduling priority of the calling thread (Linux nice value of one thread). The
 * recorder's threads run at a higher nice value than the training thread, so when the machine has
 * fewer free cores than runnable threads the kernel gives training its core and the recorder the
 * rest: recording then slows itself, not the trajectory's wall clock. Raising one's own nice value
 * needs no privilege. Elsewhere (not Linux, no libc through JNA) this does nothing.
 */
final class ThreadNice {
  private static final int PRIO_PROCESS = 0;

  private interface LibC extends Library {
    int setpriority(int which, int who, int prio);
  }

  private static final LibC LIBC = load();

  private ThreadNice() {}

  private static LibC load() {
    if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
      return null;
    }
    try {
      return Native.load("c", LibC.class);
    } catch (Throwable e) {
      return null;
    }
  }

  /** Sets the calling thread's nice value; returns whether it was applied. */
  static boolean set(int nice) {
    if (LIBC == null || nice == 0) {
      return false;
    }
    try {
      // /proc/thread-self links to <pid>/task/<tid>: the kernel id of this thread.
      String link = Files.readSymbolicLink(Path.of("/proc/thread-self")).toString();
      int tid = Integer.parseInt(link.substring(link.lastIndexOf('/') + 1));
      return LIBC.setpriority(PRIO_PROCESS, tid, nice) == 0;
    } catch (Exception | LinkageError e) {
      return false;
    }
  }

  /** The calling thread's nice value as the kernel reports it (field 19 of its stat). */
  static int get() {
    try {
      String stat = Files.readString(Path.of("/proc/thread-self/stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Integer.parseInt(fields[16]);
    } catch (Exception e) {
      return 0;
    }
  }
}
