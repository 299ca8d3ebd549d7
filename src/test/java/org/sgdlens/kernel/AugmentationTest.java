package org.sgdlens.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Crop-and-flip against a naive oracle that pads, crops and mirrors explicit arrays. */
class AugmentationTest {
  private static final int C = 2;
  private static final int H = 5;
  private static final int W = 7;
  private static final float[] FILL = {-1f, -2f};

  /** Pads to (H + 2p) x (W + 2p) with the fill, crops at (p + dy, p + dx), then mirrors. */
  private static float[] oracle(float[] image, int p, int dy, int dx, boolean mirror) {
    float[][][] padded = new float[C][H + 2 * p][W + 2 * p];
    for (int c = 0; c < C; c++) {
      for (float[] row : padded[c]) {
        java.util.Arrays.fill(row, FILL[c]);
      }
      for (int y = 0; y < H; y++) {
        for (int x = 0; x < W; x++) {
          padded[c][y + p][x + p] = image[(c * H + y) * W + x];
        }
      }
    }
    float[] out = new float[C * H * W];
    for (int c = 0; c < C; c++) {
      for (int y = 0; y < H; y++) {
        float[] cropped = new float[W];
        for (int x = 0; x < W; x++) {
          cropped[x] = padded[c][p + dy + y][p + dx + x];
        }
        for (int x = 0; x < W; x++) {
          out[(c * H + y) * W + x] = mirror ? cropped[W - 1 - x] : cropped[x];
        }
      }
    }
    return out;
  }

  private static float[] random(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) r.nextDouble();
    }
    return out;
  }

  @Test
  void everyShiftAndFlipMatchesThePadCropMirrorOracle() {
    int p = 3;
    Augmentation a = new Augmentation(new int[] {C, H, W}, p, true, FILL);
    float[] image = random(C * H * W, 1);
    for (int dy = -p; dy <= p; dy++) {
      for (int dx = -p; dx <= p; dx++) {
        for (boolean mirror : new boolean[] {false, true}) {
          float[] out = new float[image.length];
          a.transform(image, 0, out, 0, dy, dx, mirror);
          assertThat(out)
              .as("dy %d dx %d mirror %s", dy, dx, mirror)
              .isEqualTo(oracle(image, p, dy, dx, mirror));
        }
      }
    }
  }

  @Test
  void eachImageOfABatchIsOneOfTheAllowedCropsAndTheDrawIsSeededByStep() {
    int p = 2;
    int n = 200;
    Augmentation a = new Augmentation(new int[] {C, H, W}, p, true, FILL);
    float[] batch = random(n * C * H * W, 2);
    float[] first = batch.clone();
    a.apply(first, n, 9, 41);
    float[] again = batch.clone();
    a.apply(again, n, 9, 41);
    assertThat(again).as("same seed and step").isEqualTo(first);
    float[] other = batch.clone();
    a.apply(other, n, 9, 42);
    assertThat(other).as("another step").isNotEqualTo(first);
    int size = C * H * W;
    int mirrored = 0;
    java.util.Set<String> shifts = new java.util.HashSet<>();
    for (int i = 0; i < n; i++) {
      float[] image = java.util.Arrays.copyOfRange(batch, i * size, (i + 1) * size);
      float[] got = java.util.Arrays.copyOfRange(first, i * size, (i + 1) * size);
      String found = null;
      for (int dy = -p; dy <= p && found == null; dy++) {
        for (int dx = -p; dx <= p && found == null; dx++) {
          for (boolean mirror : new boolean[] {false, true}) {
            if (java.util.Arrays.equals(got, oracle(image, p, dy, dx, mirror))) {
              found = dy + "," + dx + "," + mirror;
              mirrored += mirror ? 1 : 0;
              break;
            }
          }
        }
      }
      assertThat(found)
          .as("image %d is a crop of at most %d pixels, maybe mirrored", i, p)
          .isNotNull();
      shifts.add(found.substring(0, found.lastIndexOf(',')));
    }
    assertThat(mirrored).as("about half of 200 mirrored").isBetween(70, 130);
    assertThat(shifts).as("all 25 shifts drawn").hasSize(25);
  }

  @Test
  void offMeansUntouched() {
    Augmentation a = new Augmentation(new int[] {C, H, W}, 0, false, FILL);
    float[] batch = random(3 * C * H * W, 3);
    float[] out = batch.clone();
    a.apply(out, 3, 1, 1);
    assertThat(out).isEqualTo(batch);
    assertThatThrownBy(() -> new Augmentation(new int[] {70}, 4, true, new float[] {0}))
        .hasMessageContaining("[C, H, W]");
  }
}
