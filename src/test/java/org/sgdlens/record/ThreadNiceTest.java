package org.sgdlens.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ThreadNiceTest {
  @Test
  void raisesTheNiceValueOfTheCallingThreadOnly() throws Exception {
    assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"), "Linux only");
    int mine = ThreadNice.get();
    AtomicInteger seen = new AtomicInteger(-100);
    AtomicInteger applied = new AtomicInteger();
    Thread t =
        new Thread(
            () -> {
              applied.set(ThreadNice.set(Math.min(19, mine + 7)) ? 1 : 0);
              seen.set(ThreadNice.get());
            });
    t.start();
    t.join();
    assertThat(applied.get()).as("setpriority through JNA succeeded").isEqualTo(1);
    assertThat(seen.get())
        .as("the kernel's nice value of that thread")
        .isEqualTo(Math.min(19, mine + 7));
    assertThat(ThreadNice.get()).as("the calling thread is untouched").isEqualTo(mine);
  }
}
