package org.sgdlens.record;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One thread running submitted tasks in order. {@link #submit} blocks while {@code capacity} tasks
 * wait, which bounds the memory held by snapshots in flight; the first failure is rethrown to the
 * submitter on its next call, so a full disk stops training instead of losing records.
 */
final class SerialWorker implements AutoCloseable {
  private static final Runnable POISON = () -> {};
  private static final java.lang.management.ThreadMXBean THREADS =
      java.lang.management.ManagementFactory.getThreadMXBean();
  private final BlockingQueue<Runnable> queue;
  private final Thread thread;
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private volatile long busyNanos;
  private volatile long cpuNanos;

  SerialWorker(String name, int capacity, Runnable onStart, Runnable onStop) {
    this.queue = new ArrayBlockingQueue<>(Math.max(1, capacity));
    this.thread =
        new Thread(
            () -> {
              try {
                onStart.run();
                while (true) {
                  Runnable task = queue.take();
                  if (task == POISON) {
                    break;
                  }
                  if (failure.get() == null) {
                    long t0 = System.nanoTime();
                    long c0 = THREADS.getCurrentThreadCpuTime();
                    try {
                      task.run();
                    } catch (Throwable t) {
                      failure.compareAndSet(null, t);
                    }
                    busyNanos += System.nanoTime() - t0;
                    cpuNanos += THREADS.getCurrentThreadCpuTime() - c0;
                  }
                }
              } catch (Throwable t) {
                failure.compareAndSet(null, t);
              } finally {
                try {
                  onStop.run();
                } catch (Throwable t) {
                  failure.compareAndSet(null, t);
                }
              }
            },
            name);
    thread.setDaemon(true);
    thread.start();
  }

  void submit(Runnable task) {
    rethrow();
    try {
      queue.put(task);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while queueing a record", e);
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
