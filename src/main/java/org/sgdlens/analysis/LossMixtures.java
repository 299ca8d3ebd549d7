package org.sgdlens.analysis;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.kurtosis;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log;
import static org.apache.spark.sql.functions.skewness;

import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.sgdlens.kernel.TwoGaussianMixture;

/**
 * Label-free shape of the per-sample loss distribution at each recorded step: moments, Sarle's
 * bimodality coefficient and a two-component Gaussian mixture on log losses (the high component's
 * weight estimates the noise fraction without knowing which labels are wrong).
 */
final class LossMixtures {
  /** Default floor applied before taking log l_n (float32 losses can be exactly 0). */
  static final double LOG_FLOOR_DEFAULT = 1e-8;

  /** Default cap on the values a per-step mixture fit sees (an even-quantile subsample). */
  static final int MAX_SAMPLES_DEFAULT = 20_000;

  static final StructType SCHEMA =
      new StructType()
          .add("run_id", DataTypes.StringType, false)
          .add("step", DataTypes.LongType, false)
          .add("loss_samples", DataTypes.LongType, false)
          .add("log_loss_skewness", DataTypes.DoubleType, true)
          .add("log_loss_kurtosis", DataTypes.DoubleType, true)
          .add("bimodality_coefficient", DataTypes.DoubleType, true)
          .add("mixture_low_mean", DataTypes.DoubleType, true)
          .add("mixture_low_std", DataTypes.DoubleType, true)
          .add("mixture_high_mean", DataTypes.DoubleType, true)
          .add("mixture_high_std", DataTypes.DoubleType, true)
          .add("mixture_high_weight", DataTypes.DoubleType, true)
          .add("mixture_separation", DataTypes.DoubleType, true)
          .add("mixture_threshold", DataTypes.DoubleType, true);

  private LossMixtures() {}

  /**
   * Adds {@code log_loss = log(max(loss, floor))}; rows with a NaN or infinite loss are dropped.
   */
  static Dataset<Row> withLogLoss(Dataset<Row> sampleLosses, double floor) {
    if (!(floor > 0)) {
      throw new IllegalArgumentException(
          "--log-floor is " + floor + "; give a small positive number such as 1e-8");
    }
    return sampleLosses
        .where(
            col("loss")
                .isNotNull()
                .and(col("loss").isNaN().unary_$bang())
                .and(col("loss").lt(Double.POSITIVE_INFINITY)))
        .withColumn("log_loss", log(greatest(col("loss"), lit(floor))));
  }

  /** One row per (run, step) in {@link #SCHEMA}. */
  static Dataset<Row> perStep(Dataset<Row> sampleLosses, double floor, int maxSamples) {
    if (maxSamples < 4) {
      throw new IllegalArgumentException(
          "--mixture-max-samples is "
              + maxSamples
              + "; give at least 4 (default "
              + MAX_SAMPLES_DEFAULT
              + ")");
    }
    return withLogLoss(sampleLosses, floor)
        .groupBy("run_id", "step")
        .agg(
            count(lit(1)).as("n"),
            skewness("log_loss").as("skew"),
            kurtosis("log_loss").as("kurt"),
            collect_list("log_loss").as("values"))
        .map((MapFunction<Row, Row>) r -> fit(r, maxSamples), Encoders.row(SCHEMA));
  }

  private static Row fit(Row r, int maxSamples) {
    long n = r.getAs("n");
    Double skew = r.getAs("skew");
    Double kurt = r.getAs("kurt");
    Object[] out = new Object[SCHEMA.size()];
    set(out, "run_id", r.getAs("run_id"));
    set(out, "step", r.getAs("step"));
    set(out, "loss_samples", n);
    if (skew != null && kurt != null && n >= 4) {
      set(out, "log_loss_skewness", Rows.finite(TwoGaussianMixture.sampleSkewness(skew, n)));
      set(out, "log_loss_kurtosis", Rows.finite(TwoGaussianMixture.sampleExcessKurtosis(kurt, n)));
      set(
          out,
          "bimodality_coefficient",
          Rows.finite(TwoGaussianMixture.bimodalityCoefficient(skew, kurt, n)));
    }
    List<Double> list = r.getList(r.fieldIndex("values"));
    if (list.size() >= 4) {
      double[] values = list.stream().mapToDouble(Double::doubleValue).toArray();
      // collect_list has no order; sorting makes the fit deterministic and an even stride
      // through sorted values keeps every quantile when the step has more than maxSamples.
      Arrays.sort(values);
      if (values.length > maxSamples) {
        double[] sub = new double[maxSamples];
        for (int i = 0; i < maxSamples; i++) {
          sub[i] = values[(int) ((long) i * values.length / maxSamples)];
        }
        values = sub;
      }
      TwoGaussianMixture m = TwoGaussianMixture.fit(values);
      set(out, "mixture_low_mean", Rows.finite(m.meanLow()));
      set(out, "mixture_low_std", Rows.finite(m.sdLow()));
      set(out, "mixture_high_mean", Rows.finite(m.meanHigh()));
      set(out, "mixture_high_std", Rows.finite(m.sdHigh()));
      set(out, "mixture_high_weight", Rows.finite(m.weightHigh()));
      set(out, "mixture_separation", Rows.finite(m.separation()));
      set(out, "mixture_threshold", Rows.finite(m.threshold()));
    }
    return RowFactory.create(out);
  }

  /** Puts a value in its {@link #SCHEMA} column. */
  private static void set(Object[] row, String column, Object value) {
    row[SCHEMA.fieldIndex(column)] = value;
  }
}
