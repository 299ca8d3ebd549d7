package org.sgdlens.lake;

/** Names of columns that code of several tables refers to, as declared in {@code schemas/}. */
public final class Columns {
  /**
   * The PCA window '<from_step>-<to_step>' of pca_variances, pca_directions, flatness and
   * variance_flatness; named {@code window} before (a reserved word in DuckDB).
   */
  public static final String PCA_WINDOW = "pca_window";

  /**
   * Recorded steps averaged by a score, in cleaning and separation_summary; named {@code window}
   * before (a reserved word in DuckDB).
   */
  public static final String WINDOW_STEPS = "window_steps";

  /**
   * Offset of a chunk's first value in its vector, in weights, gradients, final_params and
   * pca_directions; named {@code offset} before (reserved in DuckDB and in Spark SQL's ANSI mode).
   */
  public static final String CHUNK_OFFSET = "chunk_offset";

  /**
   * Offset of a parameter in the flattened parameter vector, in param_layout; named {@code offset}
   * before (reserved in DuckDB and in Spark SQL's ANSI mode).
   */
  public static final String PARAM_OFFSET = "param_offset";

  private Columns() {}
}
