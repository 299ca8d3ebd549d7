package org.sgdlens.lake;

import java.util.List;

/** Names of the lake's tables; each has a schema file {@code schemas/<name>.json}. */
public final class Tables {
  public static final String RUNS = "runs";
  public static final String PARAM_LAYOUT = "param_layout";
  public static final String SAMPLES = "samples";
  public static final String WEIGHTS = "weights";
  public static final String GRADIENTS = "gradients";
  public static final String SAMPLE_LOSSES = "sample_losses";
  public static final String METRICS = "metrics";
  public static final String FINAL_PARAMS = "final_params";

  // Result tables of the gradient-ensemble, phase and loss-separation analyses.
  public static final String GRAM = "gram";
  public static final String ORDER_PARAMS = "order_params";
  public static final String PHASE_SIGNALS = "phase_signals";
  public static final String PHASES = "phases";
  public static final String PHASE_BOUNDARIES = "phase_boundaries";
  public static final String LOSS_SEPARATION = "loss_separation";
  public static final String SEPARATION_SUMMARY = "separation_summary";
  public static final String FLAGGED_SAMPLES = "flagged_samples";
  public static final String CLEANING = "cleaning";
  public static final String PCA_VARIANCES = "pca_variances";
  public static final String PCA_DIRECTIONS = "pca_directions";
  public static final String LANDSCAPE_PROFILES = "landscape_profiles";
  public static final String FLATNESS = "flatness";
  public static final String VARIANCE_FLATNESS = "variance_flatness";

  // Result tables of the SGD-noise-versus-curvature analysis (docs/curvature.md section 5).
  public static final String NOISE_CURVATURE_PAIRS = "noise_curvature_pairs";
  public static final String NOISE_CURVATURE = "noise_curvature";
  // Hessian curvature at recorded weights (jobs/curvature, docs/curvature.md).
  public static final String CURVATURE = "curvature";
  public static final String CURVATURE_DENSITY = "curvature_density";
  // Activity-weight duality of a dense layer (jobs/duality, docs/generalization.md).
  public static final String DUALITY = "duality";
  public static final String DUALITY_SUMMARY = "duality_summary";

  // Sweep membership, cross-run summaries and nightly history (jobs/sweep, jobs/nightly).
  public static final String SWEEP_RUNS = "sweep_runs";
  public static final String SWEEP_SUMMARY = "sweep_summary";
  public static final String NIGHTLY_SUMMARY = "nightly_summary";

  /** Tables the train job writes, one partition per run. */
  public static final List<String> RECORDS =
      List.of(PARAM_LAYOUT, SAMPLES, WEIGHTS, GRADIENTS, SAMPLE_LOSSES, METRICS, FINAL_PARAMS);

  /**
   * Tables the train job stages and commits with a run: its records, and the curvature it measured
   * during training (record.curvature), which share their tables with jobs/curvature.
   */
  public static final List<String> STAGED =
      List.of(
          PARAM_LAYOUT,
          SAMPLES,
          WEIGHTS,
          GRADIENTS,
          SAMPLE_LOSSES,
          METRICS,
          FINAL_PARAMS,
          CURVATURE,
          CURVATURE_DENSITY);

  /**
   * Result tables of the analysis jobs, one partition per run. Retraining a run (--overwrite)
   * deletes its partitions, so no result outlives the data it was computed from.
   */
  public static final List<String> RESULTS =
      List.of(
          GRAM,
          ORDER_PARAMS,
          PHASE_SIGNALS,
          PHASES,
          PHASE_BOUNDARIES,
          LOSS_SEPARATION,
          SEPARATION_SUMMARY,
          FLAGGED_SAMPLES,
          CLEANING,
          PCA_VARIANCES,
          PCA_DIRECTIONS,
          LANDSCAPE_PROFILES,
          FLATNESS,
          VARIANCE_FLATNESS,
          NOISE_CURVATURE_PAIRS,
          NOISE_CURVATURE,
          CURVATURE,
          CURVATURE_DENSITY,
          DUALITY,
          DUALITY_SUMMARY);

  /** Every table of the lake; analyses append their result tables here. */
  public static final List<String> ALL =
      List.of(
          RUNS,
          PARAM_LAYOUT,
          SAMPLES,
          WEIGHTS,
          GRADIENTS,
          SAMPLE_LOSSES,
          METRICS,
          FINAL_PARAMS,
          GRAM,
          ORDER_PARAMS,
          PHASE_SIGNALS,
          PHASES,
          PHASE_BOUNDARIES,
          LOSS_SEPARATION,
          SEPARATION_SUMMARY,
          FLAGGED_SAMPLES,
          CLEANING,
          PCA_VARIANCES,
          PCA_DIRECTIONS,
          LANDSCAPE_PROFILES,
          FLATNESS,
          VARIANCE_FLATNESS,
          NOISE_CURVATURE_PAIRS,
          NOISE_CURVATURE,
          CURVATURE,
          CURVATURE_DENSITY,
          DUALITY,
          DUALITY_SUMMARY,
          SWEEP_RUNS,
          SWEEP_SUMMARY,
          NIGHTLY_SUMMARY);

  private Tables() {}
}
