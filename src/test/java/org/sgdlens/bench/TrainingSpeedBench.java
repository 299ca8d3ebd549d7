package org.sgdlens.bench;

import java.nio.file.Files;
import org.sgdlens.lake.Lake;
import org.sgdlens.record.RunConfig;
import org.sgdlens.record.TrainRun;

/**
 * Training speed of the 784-256-10 MLP on Fashion-MNIST, batch 64: repeated blocks of plain
 * training, reporting the best and the median block (the best block is the machine's undisturbed
 * speed when other work shares the cores). Args: blocks, steps per block.
 */
public final class TrainingSpeedBench {
  public static void main(String[] args) throws Exception {
    int blocks = args.length > 0 ? Integer.parseInt(args[0]) : 8;
    long steps = args.length > 1 ? Long.parseLong(args[1]) : 1000;
    String dataDir =
        System.getenv().getOrDefault("SGDLENS_DATA_DIR", "/usr/share/datasets/fashion-mnist");
    java.nio.file.Path root = Files.createTempDirectory("sgdlens-speed");
    Lake lake = Lake.open(root.toString());
    RunConfig c = RecordingOverheadBench.config(dataDir, steps, "speed");
    TrainRun.execute(lake, c, true, null);
    double[] rates = new double[blocks];
    double[] cpuRates = new double[blocks];
    for (int b = 0; b < blocks; b++) {
      TrainRun.Outcome o = TrainRun.execute(lake, c, true, null);
      rates[b] = o.stepsPerSecond();
      cpuRates[b] = steps / o.trainingCpuSeconds();
    }
    RecordingOverheadBench.deleteTree(root);
    java.util.Arrays.sort(rates);
    java.util.Arrays.sort(cpuRates);
    System.out.printf(
        "DJL steps/s: best %.0f, median %.0f over %d blocks of %d steps;"
            + " per CPU-second of the training thread: best %.0f, median %.0f%n",
        rates[blocks - 1],
        rates[blocks / 2],
        blocks,
        steps,
        cpuRates[blocks - 1],
        cpuRates[blocks / 2]);
    System.out.printf(
        "RESULT djl_best=%.0f djl_median=%.0f djl_cpu_best=%.0f djl_cpu_median=%.0f%n",
        rates[blocks - 1], rates[blocks / 2], cpuRates[blocks - 1], cpuRates[blocks / 2]);
  }
}
