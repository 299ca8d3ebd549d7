package org.sgdlens.record;

import java.util.EnumSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * The steps each record kind is due at: the resolved schedules of a run ({@code record.*}), plus
 * metrics at the last step and at a diverged step.
 */
record RecordSchedule(
    TreeSet<Long> weights,
    TreeSet<Long> gradients,
    TreeSet<Long> sampleLosses,
    TreeSet<Long> metrics,
    TreeSet<Long> curvature,
    long total) {
  boolean due(long step, boolean diverged) {
    return weights.contains(step)
        || gradients.contains(step)
        || sampleLosses.contains(step)
        || metrics.contains(step)
        || curvature.contains(step)
        || step == total
        || diverged;
  }

  Set<Recorder.Kind> kinds(long step, boolean diverged) {
    Set<Recorder.Kind> kinds = EnumSet.noneOf(Recorder.Kind.class);
    if (weights.contains(step)) {
      kinds.add(Recorder.Kind.WEIGHTS);
    }
    if (gradients.contains(step)) {
      kinds.add(Recorder.Kind.GRADIENTS);
    }
    if (sampleLosses.contains(step)) {
      kinds.add(Recorder.Kind.SAMPLE_LOSSES);
    }
    if (curvature.contains(step)) {
      kinds.add(Recorder.Kind.CURVATURE);
    }
    if (metrics.contains(step) || step == total || diverged) {
      kinds.add(Recorder.Kind.METRICS);
    }
    return kinds;
  }

  static RecordSchedule of(RunConfig.RecordConfig rc, long total, long perEpoch) {
    return new RecordSchedule(
        rc.weights.resolve(total, perEpoch),
        rc.gradients.resolve(total, perEpoch),
        rc.sampleLosses.resolve(total, perEpoch),
        rc.metrics.resolve(total, perEpoch),
        rc.curvature.resolve(total, perEpoch),
        total);
  }
}
