package org.sgdlens.sweep;

import java.util.Arrays;
import org.sgdlens.lake.Tables;
import org.sgdlens.record.RunConfig;

/**
 * The analyses a sweep runs, in dependency order (phases reads order_params, cleaning reads
 * separation_summary, landscape reads pca_directions, variance_flatness reads both), each with the
 * result table whose run partition says "done" and the recording it needs.
 */
public enum Analysis {
  ORDER_PARAMS("order_params", Tables.ORDER_PARAMS),
  PHASES("phases", Tables.PHASES),
  LOSS_SEPARATION("loss_separation", Tables.SEPARATION_SUMMARY),
  CLEANING("cleaning", Tables.CLEANING),
  TRAJECTORY_PCA("trajectory_pca", Tables.PCA_VARIANCES),
  LANDSCAPE("landscape", Tables.FLATNESS),
  VARIANCE_FLATNESS("variance_flatness", Tables.VARIANCE_FLATNESS);

  private final String id;
  private final String doneTable;

  Analysis(String id, String doneTable) {
    this.id = id;
    this.doneTable = doneTable;
  }

  public String id() {
    return id;
  }

  /** The result table in which a run's partition means the analysis has run on it. */
  public String doneTable() {
    return doneTable;
  }

  /** Whether a run recorded what this analysis needs. */
  public boolean appliesTo(RunConfig c) {
    return switch (this) {
      case ORDER_PARAMS -> !c.record.gradients.isNever();
      case PHASES -> !c.record.metrics.isNever();
      case LOSS_SEPARATION, CLEANING ->
          !c.record.sampleLosses.isNever() && c.noise.fraction > 0 && !c.dataset.onlyClean;
      case TRAJECTORY_PCA, LANDSCAPE, VARIANCE_FLATNESS -> !c.record.weights.isNever();
    };
  }

  public static Analysis byName(String name) {
    return Arrays.stream(values())
        .filter(a -> a.id.equals(name))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "Unknown analysis '"
                        + name
                        + "' in the sweep file; use any of "
                        + Arrays.stream(values()).map(Analysis::id).toList()));
  }
}
