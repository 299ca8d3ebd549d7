package org.sgdlens.kernel;

import java.util.SplittableRandom;

/**
 * Random crop with padding and horizontal flip of C x H x W images (torchvision's {@code
 * RandomCrop(size, padding)} then {@code RandomHorizontalFlip()}): each image is padded by {@code
 * padding} pixels of {@code fill[c]} on every side, cropped back to H x W at a uniform offset, then
 * mirrored left-right with probability 1/2. The draws of a minibatch come from (seed, step) alone,
 * so a resumed run replays them.
 */
public final class Augmentation {
  private final int channels;
  private final int height;
  private final int width;
  private final int padding;
  private final boolean flip;
  private final float[] fill;
  private final float[] scratch;

  /**
   * @param shape {C, H, W}
   * @param fill the padding value of each channel (a black pixel after normalisation)
   */
  public Augmentation(int[] shape, int padding, boolean flip, float[] fill) {
    if (shape.length != 3) {
      throw new IllegalArgumentException(
          "Augmentation needs images of shape [C, H, W], not " + java.util.Arrays.toString(shape));
    }
    if (padding < 0) {
      throw new IllegalArgumentException("Crop padding " + padding + " is negative; use 0 or more");
    }
    if (fill.length != shape[0]) {
      throw new IllegalArgumentException(
          fill.length + " fill values for " + shape[0] + " channels; give one per channel");
    }
    this.channels = shape[0];
    this.height = shape[1];
    this.width = shape[2];
    this.padding = padding;
    this.flip = flip;
    this.fill = fill.clone();
    this.scratch = new float[channels * height * width];
  }

  /** Augments the first {@code count} images of {@code batch} in place; not thread-safe. */
  public void apply(float[] batch, int count, long seed, long step) {
    SplittableRandom random =
        new SplittableRandom(Permutations.mix(Permutations.mix(seed, 0xA06), step));
    int size = channels * height * width;
    for (int i = 0; i < count; i++) {
      int dy = padding > 0 ? random.nextInt(2 * padding + 1) - padding : 0;
      int dx = padding > 0 ? random.nextInt(2 * padding + 1) - padding : 0;
      boolean mirror = flip && random.nextBoolean();
      System.arraycopy(batch, i * size, scratch, 0, size);
      transform(scratch, 0, batch, i * size, dy, dx, mirror);
    }
  }

  /**
   * One image shifted by (dy, dx) (the crop at offset (padding + dy, padding + dx) of the padded
   * image) and then mirrored if asked: out(c, y, x) = in(c, y + dy, x' + dx) with x' = W-1-x when
   * mirrored, or fill[c] outside the image.
   */
  public void transform(
      float[] in, int inOffset, float[] out, int outOffset, int dy, int dx, boolean mirror) {
    int plane = height * width;
    for (int c = 0; c < channels; c++) {
      int base = c * plane;
      for (int y = 0; y < height; y++) {
        int sy = y + dy;
        for (int x = 0; x < width; x++) {
          int sx = (mirror ? width - 1 - x : x) + dx;
          out[outOffset + base + y * width + x] =
              sy >= 0 && sy < height && sx >= 0 && sx < width
                  ? in[inOffset + base + sy * width + sx]
                  : fill[c];
        }
      }
    }
  }
}
