package org.sgdlens.record;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The writer's queue is bounded by the bytes its tasks hold, not only by their number. */
class SerialWorkerTest {
  /** Waits until {@code t} blocks or ends; true when it is blocked. */
  private static boolean blocks(Thread t) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      Thread.State s = t.getState();
      if (s == Thread.State.TERMINATED) {
        return false;
      }
      if (s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING) {
        return true;
      }
      Thread.sleep(1);
    }
    throw new AssertionError("thread " + t.getName() + " neither blocked nor ended");
  }

  @Test
  void aTaskThatWouldExceedTheByteBudgetBlocksItsSubmitterUntilBytesAreFree() throws Exception {
    CountDownLatch writing = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<String> ran = Collections.synchronizedList(new ArrayList<>());
    // Room for 64 tasks by count, for 100 bytes by size.
    SerialWorker worker = new SerialWorker("test-writer", 64, 100, () -> {}, () -> {});
    try {
      worker.submit(
          () -> {
            writing.countDown();
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            ran.add("first");
          },
          60);
      writing.await();
      worker.submit(() -> ran.add("small"), 30);
      assertThat(worker.heldBytes()).as("running 60 + queued 30").isEqualTo(90);

      Thread producer =
          new Thread(() -> worker.submit(() -> ran.add("second"), 60), "test-producer");
      producer.start();
      assertThat(blocks(producer))
          .as("a 60-byte task while 90 of 100 bytes are held waits, though the count has room")
          .isTrue();
      assertThat(worker.heldBytes()).as("not admitted").isEqualTo(90);

      release.countDown();
      producer.join();
      worker.close();
      assertThat(ran).containsExactly("first", "small", "second");
      assertThat(worker.heldBytes()).isZero();
    } finally {
      release.countDown();
      worker.abort();
    }
  }

  @Test
  void aTaskLargerThanTheBudgetIsLetInAloneRatherThanNever() throws Exception {
    List<String> ran = Collections.synchronizedList(new ArrayList<>());
    SerialWorker worker = new SerialWorker("test-writer", 8, 100, () -> {}, () -> {});
    worker.submit(() -> ran.add("huge"), 1_000);
    worker.submit(() -> ran.add("huge again"), 1_000);
    worker.submit(() -> ran.add("unsized"));
    worker.close();
    assertThat(ran).containsExactly("huge", "huge again", "unsized");
    assertThat(worker.heldBytes()).isZero();
  }

  @Test
  void aFailedWorkerStillFreesTheBytesOfTheTasksItSkips() {
    SerialWorker worker = new SerialWorker("test-writer", 8, 100, () -> {}, () -> {});
    worker.submit(
        () -> {
          throw new IllegalStateException("disk full");
        },
        80);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> {
              // Waits for the 80 bytes, then sees the failure instead of blocking forever.
              for (int i = 0; i < 1_000; i++) {
                worker.submit(() -> {}, 80);
              }
            })
        .hasMessage("disk full");
    worker.abort();
    assertThat(worker.heldBytes()).isZero();
  }
}
