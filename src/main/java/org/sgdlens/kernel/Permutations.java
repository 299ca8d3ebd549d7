package org.sgdlens.kernel;

import java.util.SplittableRandom;

/** Seeded permutations that depend only on (seed, key), so any epoch or step can be replayed. */
public final class Permutations {
  private Permutations() {}

  /** Mixes a seed and a key into an independent stream seed (SplitMix64 finaliser). */
  public static long mix(long seed, long key) {
    long z = seed + 0x9E3779B97F4A7C15L * (key + 1);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** A permutation of 0..n-1 determined by (seed, key). */
  public static int[] permutation(int n, long seed, long key) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    LabelNoise.shuffle(p, new SplittableRandom(mix(seed, key)));
    return p;
  }
}
