package org.sgdlens.lake;

import java.sql.Timestamp;

/**
 * A sweep's member run in {@code sweep_runs}: its place in the sweep, the varied keys, the status
 * ({@link RunStatus} name, or {@code PENDING} before it was trained) and the analyses done on it.
 */
public record SweepRunsRow(
    String runId,
    String sweep,
    int runIndex,
    String variedJson,
    String configKey,
    String status,
    String message,
    String analyses,
    Timestamp updatedAt)
    implements ResultRow {
  /** The status of a member that has not been trained yet (the others carry a RunStatus name). */
  public static final String PENDING = "PENDING";

  @Override
  public String table() {
    return Tables.SWEEP_RUNS;
  }

  @Override
  public Object[] columns() {
    return new Object[] {
      runId, sweep, runIndex, variedJson, configKey, status, message, analyses, updatedAt
    };
  }
}
