package org.sgdlens.lake;

import java.sql.Timestamp;

/** One run of one night's sweep in {@code nightly_summary}, with the bands it fell outside of. */
public record NightlySummaryRow(
    String runId,
    String sweep,
    String night,
    String configKey,
    String status,
    boolean newRun,
    boolean newFailure,
    Double finalTestAccuracy,
    Double psi,
    Double maxAuroc,
    String outOfBand,
    Timestamp recordedAt)
    implements ResultRow {
  @Override
  public String table() {
    return Tables.NIGHTLY_SUMMARY;
  }

  @Override
  public Object[] columns() {
    return new Object[] {
      runId,
      sweep,
      night,
      configKey,
      status,
      newRun,
      newFailure,
      finalTestAccuracy,
      psi,
      maxAuroc,
      outOfBand,
      recordedAt
    };
  }
}
