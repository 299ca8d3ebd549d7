package org.sgdlens.lake;

/** One point of a snapshot's SLQ spectral density in {@code curvature_density}. */
public record CurvatureDensityRow(
    long step, String scope, int point, double eigenvalue, double density, String source)
    implements TableRow {
  @Override
  public String table() {
    return Tables.CURVATURE_DENSITY;
  }

  @Override
  public Object[] values() {
    return new Object[] {step, scope, point, eigenvalue, density, source};
  }
}
