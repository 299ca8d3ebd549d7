package org.sgdlens.bench;

import org.sgdlens.lake.Lake;
import org.sgdlens.record.RunConfig;
import org.sgdlens.record.TrainRun;

/**
 * How much two compute streams slow each other on this machine's two cores, nothing recorded or
 * written: plain training's loop (T0) and the recording schedule's passes (Tc, on a second thread)
 * each alone, then both at once; and, as controls, training beside a thread that only streams
 * memory and beside one that only computes in registers. It bounds what running the probe on "the
 * idle core" can reach: the recorder's T1 cannot beat the passes' own co-running speed. Run through
 * bench/co-running.
 */
public final class CoRunningBench {
  private static volatile boolean stop;
  private static volatile double sink;

  /** Plain training's loop time while another thread repeats {@code work} until it ends. */
  private static double beside(Lake lake, RunConfig plain, java.util.function.DoubleSupplier work)
      throws InterruptedException {
    stop = false;
    Thread other =
        new Thread(
            () -> {
              double c = 0;
              while (!stop) {
                c += work.getAsDouble();
              }
              sink = c;
            });
    other.start();
    try {
      return TrainRun.execute(lake, plain, true, null).wallSeconds();
    } finally {
      stop = true;
      other.join();
    }
  }

  public static void main(String[] args) throws Exception {
    RecordingOverheadBench.Setup setup = RecordingOverheadBench.Setup.of(args, 4, "sgdlens-corun");
    RunConfig plain = RecordingOverheadBench.config(setup.dataDir(), setup.steps(), "plain");
    RunConfig recorded =
        RecordingOverheadBench.recordedConfig(setup.dataDir(), setup.steps(), "recorded");
    System.out.println(
        "Co-running, MLP 784-256-10, Fashion-MNIST, batch 64, "
            + setup.steps()
            + " steps"
            + " (first round is warm-up)");
    System.out.println(
        "  round   Tc alone   T0 alone   Tc beside T0   T0 beside Tc   T0 beside a memory streamer"
            + "   T0 beside a scalar loop");
    float[] big = new float[64 << 20]; // 256 MB, far beyond the caches
    for (int r = 0; r <= setup.repeats(); r++) {
      double tcAlone = RecordingOverheadBench.computeOnly(recorded, setup.steps());
      double t0Alone = TrainRun.execute(setup.lake(), plain, true, null).wallSeconds();
      double[] tcBeside = new double[1];
      // The second thread loads its data before its clock starts, as training does: the two
      // timed loops overlap to within the data load.
      Thread passes =
          new Thread(
              () -> tcBeside[0] = RecordingOverheadBench.computeOnly(recorded, setup.steps()));
      passes.start();
      double t0Beside = TrainRun.execute(setup.lake(), plain, true, null).wallSeconds();
      passes.join();
      // Controls: a thread that only streams memory (one float per 64-byte line), and one that
      // only computes in registers; neither is the recorder, both hold the other core.
      double t0Streamer =
          beside(
              setup.lake(),
              plain,
              () -> {
                double c = 0;
                for (int i = 0; i < big.length; i += 16) {
                  c += big[i];
                }
                return c;
              });
      double t0Scalar =
          beside(
              setup.lake(),
              plain,
              () -> {
                double c = 0;
                for (int i = 0; i < 1_000_000; i++) {
                  c = c * 1.0001 + 0.9999;
                }
                return c;
              });
      System.out.printf(
          "  %5s   %6.2f s   %6.2f s   %6.2f s (%+.0f%%)   %6.2f s (%+.0f%%)   %6.2f s (%+.0f%%)"
              + "               %6.2f s (%+.0f%%)%n",
          r == 0 ? "warm" : Integer.toString(r),
          tcAlone,
          t0Alone,
          tcBeside[0],
          100 * (tcBeside[0] / tcAlone - 1),
          t0Beside,
          100 * (t0Beside / t0Alone - 1),
          t0Streamer,
          100 * (t0Streamer / t0Alone - 1),
          t0Scalar,
          100 * (t0Scalar / t0Alone - 1));
    }
    RecordingOverheadBench.deleteTree(setup.root());
  }
}
