package org.sgdlens.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import org.sgdlens.lake.Lake;
import org.sgdlens.record.RunConfig;
import org.sgdlens.record.TrainRun;

/**
 * How much two compute streams slow each other on this machine's two cores, nothing recorded or
 * written: plain training (T0) and the recording schedule's passes (Tc, on a second thread) each
 * alone, then both at once. It bounds what running the probe on "the idle core" can reach: the
 * recorder's T1 cannot beat the passes' own co-running speed. Run through bench/co-running.
 */
public final class CoRunningBench {
  public static void main(String[] args) throws Exception {
    long steps = args.length > 0 ? Long.parseLong(args[0]) : 1874;
    int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    String dataDir = System.getenv().getOrDefault("SGDLENS_DATA_DIR", "/usr/share/datasets/fashion-mnist");
    System.setProperty("ai.djl.pytorch.num_threads", "1");
    Path root = Files.createTempDirectory("sgdlens-corun");
    Lake lake = Lake.open(root.toString());
    RunConfig plain = RecordingOverheadBench.config(dataDir, steps, "plain");
    RunConfig recorded = RecordingOverheadBench.recordedConfig(dataDir, steps, "recorded");
    System.out.println("Co-running, MLP 784-256-10, Fashion-MNIST, batch 64, " + steps + " steps"
        + " (first round is warm-up)");
    System.out.println("  round   Tc alone   T0 alone   Tc beside T0   T0 beside Tc");
    for (int r = 0; r <= repeats; r++) {
      double tcAlone = RecordingOverheadBench.computeOnly(recorded, steps);
      double t0Alone = TrainRun.execute(lake, plain, true, null).trainAndRecordSeconds();
      double[] tcBeside = new double[1];
      // The second thread loads its data before its clock starts, as training does: the two
      // timed loops overlap to within the data load.
      Thread passes = new Thread(() -> tcBeside[0] = RecordingOverheadBench.computeOnly(recorded, steps));
      passes.start();
      double t0Beside = TrainRun.execute(lake, plain, true, null).trainAndRecordSeconds();
      passes.join();
      System.out.printf("  %5s   %6.2f s   %6.2f s   %6.2f s (%+.0f%%)   %6.2f s (%+.0f%%)%n",
          r == 0 ? "warm" : Integer.toString(r), tcAlone, t0Alone, tcBeside[0],
          100 * (tcBeside[0] / tcAlone - 1), t0Beside, 100 * (t0Beside / t0Alone - 1));
    }
    RecordingOverheadBench.deleteTree(root);
  }
}
