package org.sgdlens.record;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One thread running submitted tasks in order. {@link #submit} blocks while {@code capacity} tasks
 * wait, or while the bytes the waiting and running tasks hold would exceed the byte budget: the
 * count bounds the memory of small tasks, the bytes that of tasks holding whole vectors (a gradient
 * of ResNet-18 is 44.7 MB, and 32 of them fit in the count). The first failure is rethrown to the
 * submitter on its next call, so a full disk stops training instead of losing records.
 */
final class SerialWorker implements AutoCloseable {
  private static final Task POISON = new Task(() -> {}, 0);
  private static final java.lang.management.ThreadMXBean THREADS =
      java.lang.management.ManagementFactory.getThreadMXBean();

  /** A queued task and the bytes it holds until it has run. */
  private record Task(Runnable run, long bytes) {}

  private final BlockingQueue<Task> queue;
  private final long byteBudget;
  private final Thread thread;
  private final AtomicReference<Throwable> failure = new AtomicReference<>();

  /** Bytes held by the tasks queued or running; guarded by {@code this}. */
  private long heldBytes;

  private volatile long busyNanos;
  private volatile long cpuNanos;

  SerialWorker(String name, int capacity, Runnable onStart, Runnable onStop) {
    this(name, capacity, Long.MAX_VALUE, onStart, onStop);
  }

  /**
   * A worker whose queued and running tasks hold at most {@code byteBudget} bytes together (as
   * {@link #submit(Runnable, long)} declares them), except that a task larger than the budget is
   * let in alone: it waits until nothing else is held.
   */
  SerialWorker(String name, int capacity, long byteBudget, Runnable onStart, Runnable onStop) {
    if (byteBudget < 1) {
      throw new IllegalArgumentException("Byte budget of " + name + " is " + byteBudget);
    }
    this.byteBudget = byteBudget;
    this.queue = new ArrayBlockingQueue<>(Math.max(1, capacity));
    this.thread =
        new Thread(
            () -> {
              try {
                onStart.run();
                while (true) {
                  Task task = queue.take();
                  if (task == POISON) {
                    break;
                  }
                  try {
                    if (failure.get() == null) {
                      long t0 = System.nanoTime();
                      long c0 = THREADS.getCurrentThreadCpuTime();
                      try {
                        task.run().run();
                      } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                      }
                      busyNanos += System.nanoTime() - t0;
                      cpuNanos += THREADS.getCurrentThreadCpuTime() - c0;
                    }
                  } finally {
                    release(task.bytes());
                  }
                }
              } catch (Throwable t) {
                failure.compareAndSet(null, t);
              } finally {
                try {
                  onStop.run();
                } catch (Throwable t) {
                  failure.compareAndSet(null, t);
                } finally {
                  // Nothing runs any more: a submitter waiting for bytes must not wait forever.
                  synchronized (this) {
                    heldBytes = 0;
                    notifyAll();
                  }
                }
              }
            },
            name);
    thread.setDaemon(true);
    thread.start();
  }

  private synchronized void release(long bytes) {
    heldBytes = Math.max(0, heldBytes - bytes);
    notifyAll();
  }

  /** Bytes held by the tasks queued or running. */
  synchronized long heldBytes() {
    return heldBytes;
  }

  void submit(Runnable task) {
    submit(task, 0);
  }

  /**
   * Queues a task that holds {@code bytes} (a vector it writes) until it has run: blocks while the
   * tasks already held would exceed the byte budget with it, or {@code capacity} tasks wait.
   */
  void submit(Runnable task, long bytes) {
    rethrow();
    try {
      if (bytes > 0) {
        reserve(bytes);
      }
      try {
        queue.put(new Task(task, bytes));
      } catch (InterruptedException | RuntimeException e) {
        release(bytes);
        throw e;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while queueing a record", e);
    }
  }

  private void reserve(long bytes) throws InterruptedException {
    synchronized (this) {
      while (heldBytes > 0 && heldBytes + bytes > byteBudget) {
        // A failed worker skips its tasks (their bytes still come back) or has stopped.
        wait(100);
        rethrow();
      }
      heldBytes += bytes;
    }
  }

  /** Seconds this worker spent running tasks. */
  double busySeconds() {
    return busyNanos / 1e9;
  }

  /** CPU seconds (user and system) this worker's thread spent running tasks. */
  double cpuSeconds() {
    return cpuNanos / 1e9;
  }

  void rethrow() {
    Throwable t = failure.get();
    if (t != null) {
      if (t instanceof RuntimeException r) {
        throw r;
      }
      if (t instanceof Error e) {
        throw e;
      }
      throw new IllegalStateException(t);
    }
  }

  /** Runs every queued task, stops the thread and rethrows the first failure. */
  @Override
  public void close() {
    close(() -> {});
  }

  /**
   * As {@link #close()}, running {@code watch} every 100 ms while the queue drains; when {@code
   * watch} throws (a stop request), the tasks not started yet are dropped, the running one
   * finishes, and the exception propagates.
   */
  void close(Runnable watch) {
    try {
      queue.put(POISON);
      while (thread.isAlive()) {
        try {
          watch.run();
        } catch (RuntimeException stop) {
          abort();
          throw stop;
        }
        thread.join(100);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    rethrow();
  }

  /** Drops the tasks not started yet, lets the running one finish and stops the thread. */
  void abort() {
    queue.clear();
    try {
      queue.put(POISON);
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    queue.clear();
  }
}
