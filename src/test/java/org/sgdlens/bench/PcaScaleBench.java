package org.sgdlens.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.analysis.TrajectoryLakes;
import org.sgdlens.analysis.TrajectoryPca;

/**
 * Scale check of the Gram PCA path (bench/pca-scale/run.sh drives it; not a unit test).
 *
 * <pre>
 *   write --lake L --params P --snapshots T [--chunk C]   synthetic trajectory into a lake
 *   pca   --lake L [--directions K] [--local-dir D] [--method gram|mllib]
 *                                                        trajectory PCA on local[2]
 * </pre>
 *
 * The trajectory is a drift plus 4 planted components of known amplitude plus noise, written chunk
 * by chunk (the writer holds one chunk and the P-vector of the current state).
 */
public final class PcaScaleBench {
  /** Planted component amplitudes: the top sample variances should be near these squared × P. */
  static final double[] AMPLITUDES = {0.02, 0.01, 0.005, 0.0025};

  private PcaScaleBench() {}

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    String lake = arg(args, "--lake", "bench/out/pca-scale/lake");
    switch (mode) {
      case "write" ->
          write(
              lake,
              Long.parseLong(arg(args, "--params", "10000000")),
              Integer.parseInt(arg(args, "--snapshots", "200")),
              Integer.parseInt(arg(args, "--chunk", "65536")));
      case "pca" ->
          pca(
              lake,
              Integer.parseInt(arg(args, "--directions", "5")),
              arg(args, "--local-dir", "bench/out/pca-scale/spark-local"),
              TrajectoryPca.Method.parse(arg(args, "--method", "gram")));
      default -> throw new IllegalArgumentException("mode '" + mode + "': give write or pca");
    }
  }

  static void write(String lake, long params, int snapshots, int chunk) {
    long start = System.nanoTime();
    int pool = 1 << 22;
    SplittableRandom random = new SplittableRandom(2026);
    float[] noise = new float[pool];
    for (int i = 0; i < pool; i++) {
      noise[i] = (float) random.nextGaussian();
    }
    double[][] scores = new double[snapshots][AMPLITUDES.length];
    int[] shifts = new int[snapshots];
    for (int s = 0; s < snapshots; s++) {
      for (int j = 0; j < AMPLITUDES.length; j++) {
        scores[s][j] = AMPLITUDES[j] * random.nextGaussian();
      }
      shifts[s] = random.nextInt(pool);
    }
    long[] steps = new long[snapshots];
    for (int s = 0; s < snapshots; s++) {
      steps[s] = 10_000L + s;
    }
    TrajectoryLakes.writeRun(
        lake,
        "scale",
        params,
        steps,
        chunk,
        (s, offset, out) -> {
          double[] a = scores[s];
          int shift = shifts[s];
          for (int i = 0; i < out.length; i++) {
            long k = offset + i;
            // planted directions: ±1 patterns from a hash of the coordinate (unit after /sqrt(P))
            long h = k * 0x9E3779B97F4A7C15L;
            double v = 0.05 * Math.sin(k * 1e-3) + 1e-4 * s;
            for (int j = 0; j < a.length; j++) {
              v += ((h >>> (60 - j)) & 1) == 0 ? a[j] : -a[j];
            }
            out[i] = (float) (v + 0.001 * noise[(int) ((k + shift) & (pool - 1))]);
          }
        });
    double seconds = (System.nanoTime() - start) / 1e9;
    double gb = params * (double) snapshots * 4 / 1e9;
    System.out.printf(
        Locale.ROOT,
        "wrote T=%d x P=%d floats (%.2f GB) in %.1f s (%.0f MB/s)%n",
        snapshots,
        params,
        gb,
        seconds,
        gb * 1e3 / seconds);
  }

  static void pca(String lake, int directions, String localDir, TrajectoryPca.Method method)
      throws IOException {
    SparkSession spark =
        SparkSession.builder()
            .appName("sgdlens-bench-pca-scale")
            .master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.local.dir", localDir)
            .getOrCreate();
    long start = System.nanoTime();
    TrajectoryPca.Result result =
        TrajectoryPca.run(
            spark,
            new TrajectoryPca.Options(
                lake,
                List.of("scale"),
                null,
                null,
                null,
                method,
                5000,
                directions,
                64L << 20,
                null));
    double seconds = (System.nanoTime() - start) / 1e9;
    TrajectoryPca.RunResult r = result.runs().get(0);
    System.out.printf(
        Locale.ROOT,
        "%s PCA: T=%d P=%d blocks=%d directions=%d in %.1f s%n",
        r.method().label(),
        r.snapshots(),
        r.params(),
        r.blocks(),
        r.directionsWritten(),
        seconds);
    // Expected spectrum: the planted components (variance a_j² P) and the drift 1e-4·s along
    // (1,…,1) (variance 1e-8 (T²−1)/12 · P), sorted; sampling error ≈ sqrt(2/T) relative.
    double[] expected = new double[AMPLITUDES.length + 1];
    for (int j = 0; j < AMPLITUDES.length; j++) {
      expected[j] = AMPLITUDES[j] * AMPLITUDES[j] * r.params();
    }
    double t = r.snapshots();
    expected[AMPLITUDES.length] = 1e-8 * (t * t - 1) / 12 * r.params();
    java.util.Arrays.sort(expected);
    for (int i = 0; i < Math.min(6, r.variances().length); i++) {
      String planted =
          i < expected.length
              ? String.format(Locale.ROOT, " (expected ~%.4g)", expected[expected.length - 1 - i])
              : " (noise)";
      System.out.printf(Locale.ROOT, "  sigma^2_%d = %.6g%s%n", i + 1, r.variances()[i], planted);
    }
    // Live heap is read from the GC log by run.sh; here the limit and the process's peak RSS.
    System.out.printf(
        Locale.ROOT,
        "max heap %.0f MB, %s%n",
        Runtime.getRuntime().maxMemory() / 1e6,
        procStatus("VmHWM"));
    spark.stop();
  }

  private static String procStatus(String key) throws IOException {
    Path status = Path.of("/proc/self/status");
    if (!Files.exists(status)) {
      return key + " n/a";
    }
    return Files.readAllLines(status).stream()
        .filter(l -> l.startsWith(key + ":"))
        .map(l -> "peak RSS " + l.substring(key.length() + 1).trim())
        .findFirst()
        .orElse(key + " n/a");
  }

  private static String arg(String[] args, String key, String fallback) {
    for (int i = 1; i + 1 < args.length; i++) {
      if (args[i].equals(key)) {
        return args[i + 1];
      }
    }
    return fallback;
  }
}
