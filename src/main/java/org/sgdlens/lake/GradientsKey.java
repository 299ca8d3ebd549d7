package org.sgdlens.lake;

/**
 * The key of one recorded minibatch gradient in {@code gradients}: ensemble member {@code member}
 * at {@code step}, summed over the samples {@code part} names ({@code count} of the {@code
 * batchSize}).
 */
public record GradientsKey(
    long step, int member, GradientPart part, int ensembleSize, int batchSize, int count)
    implements VectorKey {
  @Override
  public String table() {
    return Tables.GRADIENTS;
  }

  @Override
  public Object[] prefix() {
    return new Object[] {step, member, part.stored(), ensembleSize, batchSize, count};
  }
}
