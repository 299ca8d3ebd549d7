package org.sgdlens.record;

/**
 * {@code record.curvature}: when the Hessian of the training loss is measured during training (any
 * {@link Schedule} form), and what is measured then: the same estimates, with the same meaning of
 * each setting, as {@code jobs/curvature} computes after the fact (docs/curvature.md, "Curvature
 * during training").
 */
public final class CurvatureSchedule extends Schedule {
  /** Eigenvalues wanted (Lanczos top-k). */
  public int topK = 5;

  /** Lanczos steps; 0 for min(P_S, max(2k + 20, 3k)). */
  public int lanczosSteps = 0;

  /** Rademacher probes of the Hutchinson trace. */
  public int traceProbes = 20;

  /** Probes of the SLQ spectral density; 0 records no density. */
  public int densityProbes = 0;

  /** Lanczos steps per density probe (at most P_S are taken). */
  public int densitySteps = 40;

  /** Seeded subset of training rows the loss averages over; 0 for the whole training set. */
  public int subset = 1000;

  /**
   * The Hessian block, as jobs/curvature --layer: a layer (fc2: its weight and bias) or a parameter
   * (fc2.weight); null for all parameters. It is the table's {@code scope}.
   */
  public String layer = null;

  /** The {@code scope} column of the rows: the layer, or {@code all}. */
  public String scope() {
    return layer == null ? "all" : layer;
  }

  /** Seed of the subset, the Lanczos start vector and the probes (jobs/curvature --seed). */
  public long seed = 0;

  public static CurvatureSchedule none() {
    return new CurvatureSchedule();
  }

  /** Checks the schedule and the settings, naming the key and the fix. */
  public void validateAll() {
    validate("record.curvature");
    if (isNever()) {
      return;
    }
    positive("top_k", topK, "e.g. 5");
    positive("trace_probes", traceProbes, "e.g. 20");
    if (lanczosSteps < 0) {
      throw bad("lanczos_steps", lanczosSteps, "use 0 (the default count) or at least top_k");
    }
    if (lanczosSteps > 0 && lanczosSteps < topK) {
      throw bad(
          "lanczos_steps",
          lanczosSteps,
          "it must be at least top_k (" + topK + "); use 0 for the default count");
    }
    if (densityProbes < 0) {
      throw bad("density_probes", densityProbes, "use 0 (no density) or e.g. 10");
    }
    if (densityProbes > 0) {
      positive("density_steps", densitySteps, "e.g. 40");
    }
    if (layer != null && layer.isBlank()) {
      throw new IllegalArgumentException(
          "record.curvature.layer is blank; name a layer such as fc2 or a parameter such as"
              + " fc2.weight (see param_layout), or leave it out for all parameters");
    }
    if (subset < 0) {
      throw bad("subset", subset, "use 0 (the whole training set) or a row count, e.g. 1000");
    }
  }

  private static void positive(String key, int value, String example) {
    if (value < 1) {
      throw bad(key, value, "use 1 or more, " + example);
    }
  }

  private static IllegalArgumentException bad(String key, int value, String fix) {
    return new IllegalArgumentException("record.curvature." + key + " is " + value + "; " + fix);
  }
}
