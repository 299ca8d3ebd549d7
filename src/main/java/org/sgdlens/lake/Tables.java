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

  /** Tables the train job writes, one partition per run. */
  public static final List<String> RECORDS =
      List.of(PARAM_LAYOUT, SAMPLES, WEIGHTS, GRADIENTS, SAMPLE_LOSSES, METRICS, FINAL_PARAMS);

  /** Every table of the lake; analyses append their result tables here. */
  public static final List<String> ALL =
      List.of(
          RUNS, PARAM_LAYOUT, SAMPLES, WEIGHTS, GRADIENTS, SAMPLE_LOSSES, METRICS, FINAL_PARAMS);

  private Tables() {}
}
