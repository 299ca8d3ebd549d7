package org.sgdlens.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ScheduleTest {
  @Test
  void everyNIncludesZeroAndTheFinalStep() {
    Schedule s = Schedule.every(10);
    assertThat(s.resolve(35, 7)).containsExactly(0L, 10L, 20L, 30L, 35L);
  }

  @Test
  void explicitStepsBeyondTheEndAreDropped() {
    Schedule s = new Schedule();
    s.steps = List.of(5L, 1L, 100L);
    assertThat(s.resolve(50, 10)).containsExactly(1L, 5L);
  }

  @Test
  void logSpacedStepsAreIncreasingAndDeduplicated() {
    Schedule s = new Schedule();
    s.logspace = new Schedule.LogSpace();
    s.logspace.from = 1;
    s.logspace.to = 1000;
    s.logspace.count = 4;
    assertThat(s.resolve(5000, 10)).containsExactly(1L, 10L, 100L, 1000L);
  }

  @Test
  void perEpochFiresAtEpochBoundaries() {
    Schedule s = new Schedule();
    s.perEpoch = 1;
    assertThat(s.resolve(30, 10)).containsExactly(0L, 10L, 20L, 30L);
  }

  @Test
  void twoFormsAtOnceAreRejected() {
    Schedule s = Schedule.every(5);
    s.steps = List.of(3L);
    assertThatThrownBy(() -> s.validate("record.weights")).hasMessageContaining("record.weights");
  }
}
