package org.sgdlens.lake;

/**
 * One snapshot's Hessian estimates in {@code curvature}, as the recorder writes them for {@code
 * record.curvature} (jobs/curvature writes the same columns through Spark).
 */
public record CurvatureRow(
    long step,
    String scope,
    double loss,
    int numParams,
    String sampleSet,
    int sampleRows,
    Long sampleSeed,
    int k,
    double topEigenvalue,
    double[] eigenvalues,
    double[] eigenResiduals,
    int lanczosIterations,
    double trace,
    double traceSe,
    int probes,
    long seed,
    String source)
    implements TableRow {
  /** {@code source} of rows measured during training. */
  public static final String SOURCE_RECORD = "record";

  /** {@code source} of rows computed afterwards by jobs/curvature. */
  public static final String SOURCE_JOB = "job";

  @Override
  public String table() {
    return Tables.CURVATURE;
  }

  @Override
  public Object[] values() {
    return new Object[] {
      step,
      scope,
      loss,
      numParams,
      sampleSet,
      sampleRows,
      sampleSeed,
      k,
      topEigenvalue,
      eigenvalues,
      eigenResiduals,
      lanczosIterations,
      trace,
      traceSe,
      probes,
      seed,
      source
    };
  }
}
