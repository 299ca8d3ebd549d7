package org.sgdlens.lake;

/**
 * The activity-weight duality of one run's layer ({@code duality_summary}): predicted against
 * measured gap.
 */
public record DualitySummaryRow(
    String runId,
    long step,
    String layer,
    String pairing,
    int params,
    int directions,
    String hessian,
    double lambdaMax,
    long trainSamples,
    long testSamples,
    long pairs,
    long pairsSkipped,
    double predictedGap,
    double predictedGapSecant,
    double firstOrderGap,
    double curvatureGap,
    double firstOrderFull,
    double capturedFraction,
    double measuredGapPairs,
    double measuredGap,
    double trainLoss,
    double testLoss,
    double identityErrorMax,
    double lossIdentityErrorMax,
    double meanPairDistance,
    double meanDualNorm)
    implements ResultRow {
  @Override
  public String table() {
    return Tables.DUALITY_SUMMARY;
  }

  @Override
  public Object[] columns() {
    return new Object[] {
      runId,
      step,
      layer,
      pairing,
      params,
      directions,
      hessian,
      lambdaMax,
      trainSamples,
      testSamples,
      pairs,
      pairsSkipped,
      predictedGap,
      predictedGapSecant,
      firstOrderGap,
      curvatureGap,
      firstOrderFull,
      capturedFraction,
      measuredGapPairs,
      measuredGap,
      trainLoss,
      testLoss,
      identityErrorMax,
      lossIdentityErrorMax,
      meanPairDistance,
      meanDualNorm
    };
  }
}
