package org.sgdlens.bench;

import ai.djl.Device;
import org.sgdlens.kernel.Permutations;
import org.sgdlens.record.Network;
import org.sgdlens.record.RunConfig;
import org.sgdlens.record.TrainingData;

/** Temporary: is a fresh thread or a fresh network slow at first? */
public final class WarmupProbe {
  static void rounds(String label, Network net, TrainingData data, int[] perm, float[] out) {
    StringBuilder sb = new StringBuilder(label);
    for (int r = 0; r < 5; r++) {
      long t = System.nanoTime();
      for (int m = 0; m < 200; m++) {
        net.gradient(data.trainX(), data.features(), data.givenLabels(), perm, m * 64, 64, 1.0 / 64, out);
      }
      sb.append(String.format(" %.0f", (System.nanoTime() - t) / 200e3));
    }
    System.out.println(sb + " us per gradient, rounds of 200");
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("ai.djl.pytorch.num_threads", "1");
    RunConfig c = RecordingOverheadBench.config("/usr/share/datasets/fashion-mnist", 10, "x");
    TrainingData data = TrainingData.load(c);
    int[] perm = Permutations.permutation(data.trainSize(), 7, 0);
    Network a = new Network(c.model, data.inputShape(), data.classes(), Device.cpu());
    a.setWeights(a.initialWeights(1));
    float[] out = new float[(int) a.size()];
    for (int i = 0; i < 3; i++) {
      rounds("main thread, network A", a, data, perm, out);
    }
    for (int i = 0; i < 2; i++) {
      Thread t = new Thread(() -> rounds("fresh thread, network A", a, data, perm, out));
      t.start();
      t.join();
    }
    for (int i = 0; i < 2; i++) {
      Network b = new Network(c.model, data.inputShape(), data.classes(), Device.cpu());
      b.setWeights(b.initialWeights(1));
      rounds("main thread, fresh network", b, data, perm, out);
      b.close();
    }
    for (int i = 0; i < 2; i++) {
      Thread t = new Thread(() -> {
        Network b = new Network(c.model, data.inputShape(), data.classes(), Device.cpu());
        b.setWeights(b.initialWeights(1));
        rounds("fresh thread, fresh network", b, data, perm, out);
        b.close();
      });
      t.start();
      t.join();
    }
    rounds("main thread, network A", a, data, perm, out);
  }
}
