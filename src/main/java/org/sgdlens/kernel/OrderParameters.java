package org.sgdlens.kernel;

/**
 * Order parameters of a minibatch-gradient ensemble (docs/science.md section 1), computed from Gram
 * matrices only, so they never need a P-length vector. Undefined quantities (a zero norm in a
 * denominator, no mislabeled part) are NaN.
 *
 * @param members M
 * @param meanGradNorm A = ||gbar||
 * @param meanSqNorm Q = (1/M) sum ||g^mu||^2
 * @param alignment R, mean pair cosine over mu &lt; nu
 * @param alignmentStd population std (ddof 0) of the pair cosines
 * @param alignmentQuantiles pair-cosine quantiles at {@link #QUANTILE_LEVELS}
 * @param alignmentPairs pairs used (pairs with a zero-norm member are left out)
 * @param noiseTrace (1/(M-1)) sum ||g^mu - gbar||^2
 * @param snr ||gbar||^2 / noiseTrace
 * @param noiseScale B noiseTrace / ||gbar||^2
 * @param cleanGradNorm ||G_C||, NaN without a label split
 * @param wrongGradNorm ||G_W||
 * @param cleanWrongCos cos(G_C, G_W)
 * @param ensembleRho wrong / (clean + wrong) counts of the ensemble
 * @param relativeStrength rho ||G_W|| / ((1 - rho) ||G_C||)
 */
public record OrderParameters(
    int members,
    int batchSize,
    double meanGradNorm,
    double meanSqNorm,
    double alignment,
    double alignmentStd,
    double[] alignmentQuantiles,
    int alignmentPairs,
    double noiseTrace,
    double snr,
    double noiseScale,
    double cleanGradNorm,
    double wrongGradNorm,
    double cleanWrongCos,
    double ensembleRho,
    double relativeStrength) {

  /** Levels of {@link #alignmentQuantiles()}: min, 5%, 25%, median, 75%, 95%, max. */
  public static final double[] QUANTILE_LEVELS = {0, 0.05, 0.25, 0.5, 0.75, 0.95, 1};

  /**
   * Order parameters of an ensemble recorded without a clean/wrong split.
   *
   * @param gram the M x M Gram matrix K[mu][nu] = &lt;g^mu, g^nu&gt;
   * @param batchSize B
   */
  public static OrderParameters fromGram(double[][] gram, int batchSize) {
    int m = gram.length;
    if (m < 2) {
      throw new IllegalArgumentException(
          "An ensemble of " + m + " minibatch gradient(s) has no spread; record at least 2");
    }
    double sumAll = 0;
    double trace = 0;
    for (int i = 0; i < m; i++) {
      if (gram[i].length != m) {
        throw new IllegalArgumentException(
            "Gram matrix row " + i + " has " + gram[i].length + " entries, expected " + m);
      }
      trace += gram[i][i];
      for (int j = 0; j < m; j++) {
        sumAll += gram[i][j];
      }
    }
    double meanSq = trace / m;
    double gbarSq = Math.max(0, sumAll / ((double) m * m));
    // tr(cov) = (sum_mu ||g^mu||^2 - M ||gbar||^2) / (M-1); tiny negatives are rounding of zero.
    double noiseTrace = Math.max(0, (trace - m * gbarSq) / (m - 1));

    int pairsMax = m * (m - 1) / 2;
    double[] cosines = new double[pairsMax];
    int pairs = 0;
    for (int i = 0; i < m; i++) {
      for (int j = i + 1; j < m; j++) {
        if (gram[i][i] > 0 && gram[j][j] > 0) {
          cosines[pairs++] = gram[i][j] / Math.sqrt(gram[i][i] * gram[j][j]);
        }
      }
    }
    double mean = Double.NaN;
    double std = Double.NaN;
    double[] quantiles = new double[QUANTILE_LEVELS.length];
    java.util.Arrays.fill(quantiles, Double.NaN);
    if (pairs > 0) {
      double[] used = java.util.Arrays.copyOf(cosines, pairs);
      double sum = 0;
      for (double c : used) {
        sum += c;
      }
      mean = sum / pairs;
      double ss = 0;
      for (double c : used) {
        ss += (c - mean) * (c - mean);
      }
      std = Math.sqrt(ss / pairs);
      quantiles = Quantiles.of(used, QUANTILE_LEVELS);
    }
    return new OrderParameters(
        m,
        batchSize,
        Math.sqrt(gbarSq),
        meanSq,
        mean,
        std,
        quantiles,
        pairs,
        noiseTrace,
        ratio(gbarSq, noiseTrace),
        ratio(batchSize * noiseTrace, gbarSq),
        Double.NaN,
        Double.NaN,
        Double.NaN,
        Double.NaN,
        Double.NaN);
  }

  /**
   * Order parameters of an ensemble recorded as clean and wrong parts, g^mu = g^mu_C + g^mu_W.
   *
   * @param cleanClean CC[mu][nu] = &lt;g^mu_C, g^nu_C&gt;
   * @param cleanWrong CW[mu][nu] = &lt;g^mu_C, g^nu_W&gt; (not symmetric)
   * @param wrongWrong WW[mu][nu] = &lt;g^mu_W, g^nu_W&gt;
   * @param cleanCount sum over members of |mu ∩ C|
   * @param wrongCount sum over members of |mu ∩ W|
   */
  public static OrderParameters fromParts(
      double[][] cleanClean,
      double[][] cleanWrong,
      double[][] wrongWrong,
      long cleanCount,
      long wrongCount,
      int batchSize) {
    int m = cleanClean.length;
    if (cleanWrong.length != m || wrongWrong.length != m) {
      throw new IllegalArgumentException(
          "Gram blocks disagree on M: CC "
              + m
              + ", CW "
              + cleanWrong.length
              + ", WW "
              + wrongWrong.length);
    }
    if (cleanCount < 0 || wrongCount < 0) {
      throw new IllegalArgumentException(
          "Sample counts must be non-negative, got clean " + cleanCount + ", wrong " + wrongCount);
    }
    double[][] full = new double[m][m];
    double sumCc = 0;
    double sumCw = 0;
    double sumWw = 0;
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        full[i][j] = cleanClean[i][j] + cleanWrong[i][j] + cleanWrong[j][i] + wrongWrong[i][j];
        sumCc += cleanClean[i][j];
        sumCw += cleanWrong[i][j];
        sumWw += wrongWrong[i][j];
      }
    }
    OrderParameters base = fromGram(full, batchSize);
    // ||sum_mu g^mu_C||^2 = sum of CC; G_C rescales that sum to the clean-subset mean loss.
    double sumCleanNorm = Math.sqrt(Math.max(0, sumCc));
    double sumWrongNorm = Math.sqrt(Math.max(0, sumWw));
    double cleanNorm = cleanCount > 0 ? batchSize * sumCleanNorm / cleanCount : Double.NaN;
    double wrongNorm = wrongCount > 0 ? batchSize * sumWrongNorm / wrongCount : Double.NaN;
    double cos = ratio(sumCw, sumCleanNorm * sumWrongNorm);
    long total = cleanCount + wrongCount;
    double rho = total > 0 ? (double) wrongCount / total : Double.NaN;
    double strength = ratio(rho * wrongNorm, (1 - rho) * cleanNorm);
    return new OrderParameters(
        base.members,
        batchSize,
        base.meanGradNorm,
        base.meanSqNorm,
        base.alignment,
        base.alignmentStd,
        base.alignmentQuantiles,
        base.alignmentPairs,
        base.noiseTrace,
        base.snr,
        base.noiseScale,
        cleanNorm,
        wrongNorm,
        cos,
        rho,
        strength);
  }

  private static double ratio(double num, double den) {
    return den == 0 || Double.isNaN(den) ? Double.NaN : num / den;
  }
}
