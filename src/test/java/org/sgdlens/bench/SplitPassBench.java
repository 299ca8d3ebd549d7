package org.sgdlens.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.sgdlens.kernel.Permutations;
import org.sgdlens.record.Network;
import org.sgdlens.record.RunConfig;
import org.sgdlens.record.TrainingData;

/**
 * What a one-backward clean/mislabeled split (issue 13 item 6) could save on the built-in MLP, in
 * one run: the recorder's two passes today (the clean rows and the mislabeled rows of each ensemble
 * minibatch, forward and backward each, copied out) beside one pass over the whole minibatch
 * (copied out). A one-backward split costs at least the whole pass (it runs that pass and then
 * splits each layer's weight-gradient contraction), so the ratio bounds what it can gain. Rounds
 * alternate the two, the medians are printed.
 *
 * <p>Usage: {@code SplitPassBench [hidden=256] [noise=0.2] [members=64] [rounds=9]}; the dataset
 * folder from SGDLENS_DATA_DIR (default Debian's fashion-mnist).
 */
public final class SplitPassBench {
  private SplitPassBench() {}

  public static void main(String[] args) {
    System.setProperty("ai.djl.pytorch.num_threads", "1");
    int hidden = args.length > 0 ? Integer.parseInt(args[0]) : 256;
    double noise = args.length > 1 ? Double.parseDouble(args[1]) : 0.2;
    int members = args.length > 2 ? Integer.parseInt(args[2]) : 64;
    int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 9;
    int b = 64;
    RunConfig c = new RunConfig();
    c.runId = "split-pass";
    c.dataset.path =
        System.getenv().getOrDefault("SGDLENS_DATA_DIR", "/usr/share/datasets/fashion-mnist");
    c.model.hidden = new ArrayList<>(List.of(hidden));
    c.noise.fraction = noise;
    c.device = "cpu";
    TrainingData data = TrainingData.load(c);
    try (Network net =
        new Network(c.model, data.inputShape(), data.classes(), ai.djl.Device.cpu())) {
      net.setWeights(net.initialWeights(1));
      byte[] whole = new byte[(int) net.size() * Float.BYTES];
      byte[] clean = new byte[whole.length];
      byte[] wrong = new byte[whole.length];
      int[] perm = Permutations.permutation(data.trainSize(), 7, 0);
      double[] split = new double[rounds];
      double[] one = new double[rounds];
      for (int r = -1; r < rounds; r++) { // round -1 warms up
        long t0 = System.nanoTime();
        for (int m = 0; m < members; m++) {
          int[] cr = new int[b];
          int[] wr = new int[b];
          int nc = 0;
          int nw = 0;
          for (int i = m * b; i < (m + 1) * b; i++) {
            if (data.mislabeled(perm[i])) {
              wr[nw++] = perm[i];
            } else {
              cr[nc++] = perm[i];
            }
          }
          net.gradient(
              data.trainX(), data.features(), data.givenLabels(), cr, 0, nc, 1.0 / b, clean);
          net.gradient(
              data.trainX(), data.features(), data.givenLabels(), wr, 0, nw, 1.0 / b, wrong);
        }
        long t1 = System.nanoTime();
        for (int m = 0; m < members; m++) {
          net.gradient(
              data.trainX(), data.features(), data.givenLabels(), perm, m * b, b, 1.0 / b, whole);
        }
        long t2 = System.nanoTime();
        if (r >= 0) {
          split[r] = (t1 - t0) / 1e9;
          one[r] = (t2 - t1) / 1e9;
        }
      }
      Arrays.sort(split);
      Arrays.sort(one);
      double s = split[rounds / 2];
      double o = one[rounds / 2];
      System.out.printf(
          Locale.ROOT,
          "MLP 784-%d-10 (P = %d), noise %.2f, %d members of B = %d, median of %d rounds:%n"
              + "  two passes (clean rows, mislabeled rows), as recorded today: %.4f s%n"
              + "  one pass over the whole minibatch (the floor of a one-backward split): %.4f s%n"
              + "  floor / today = %.3f: a one-backward split saves at most %.1f%% of the ensemble"
              + " passes%n",
          hidden,
          net.size(),
          noise,
          members,
          b,
          rounds,
          s,
          o,
          o / s,
          100 * (1 - o / s));
    }
  }
}
