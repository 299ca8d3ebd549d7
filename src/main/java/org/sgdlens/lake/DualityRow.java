package org.sgdlens.lake;

/**
 * One eigen-direction of the activity-weight duality decomposition of a run's layer ({@code
 * duality}).
 */
public record DualityRow(
    String runId,
    long step,
    String layer,
    String pairing,
    int i,
    double h,
    double muG,
    double muW,
    double sigmaG,
    double sigmaW,
    double c,
    double contribution,
    double firstOrder,
    double curvatureTerm,
    double sharpnessSpread,
    double contributionSecant)
    implements ResultRow {
  @Override
  public String table() {
    return Tables.DUALITY;
  }

  @Override
  public Object[] columns() {
    return new Object[] {
      runId,
      step,
      layer,
      pairing,
      i,
      h,
      muG,
      muW,
      sigmaG,
      sigmaW,
      c,
      contribution,
      firstOrder,
      curvatureTerm,
      sharpnessSpread,
      contributionSecant
    };
  }
}
