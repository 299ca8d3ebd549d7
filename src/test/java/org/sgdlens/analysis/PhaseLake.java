package org.sgdlens.analysis;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.lake.SchemaRegistry;
import org.sgdlens.lake.Tables;

/**
 * A synthetic lake whose phase boundaries are known by construction.
 *
 * <p>Run {@code noisy}: N samples, every 5th mislabeled (rho = 0.2), log losses mu(t) + 0.6 z_n
 * with a fixed z_n per sample. The clean/wrong gap of the log-loss means grows as 3.2 (1 -
 * exp(-t/15)) + 0.002 min(t, 145); the j-th mislabeled sample is memorised (moves to the clean
 * mean) at t = 145 + 0.5 j. Test error 0.15 + 0.75 exp(-t/15) up to t = 145, then rising with
 * memorisation; f_W = memorised fraction; a sample's prediction matches its given label unless it
 * is a mislabeled sample not yet memorised. Ground truth: I-&gt;II at step 40, II-&gt;III at 160,
 * III-&gt;IV at 240.
 *
 * <p>Run {@code clean}: no label noise, log losses unimodal; test error 0.12 + 0.78 exp(-t/15),
 * alignment R = 0.6 exp(-t/20) + 0.02: fast-&gt;exploration at step 40 both ways.
 *
 * <p>Missing steps on purpose: {@code noisy} has no metrics row at step 100, {@code clean} no
 * order_params row at step 50.
 */
final class PhaseLake {
  static final int NOISY_N = 1000;
  static final int CLEAN_N = 500;
  static final double SIGMA = 0.6;
  static final double M0 = Math.log(2.3);
  static final long[] STEPS = new long[30];
  static final long GRADIENT_FREE_STEP = 280;

  static {
    for (int i = 0; i < STEPS.length; i++) {
      STEPS[i] = 10L * i;
    }
  }

  /** run -> step -> per-sample loss. */
  final Map<String, Map<Long, double[]>> losses = new LinkedHashMap<>();

  final boolean[] mislabeled = new boolean[NOISY_N];

  static double gap(long t) {
    return 3.2 * (1 - Math.exp(-t / 15.0)) + 0.002 * Math.min(t, 145);
  }

  static int memorised(long t) {
    // j memorised when 145 + 0.5 j <= t
    return t < 145 ? 0 : (int) Math.min(200, Math.floor((t - 145) / 0.5) + 1);
  }

  PhaseLake write(SparkSession spark, String lake) {
    Random rnd = new Random(31);
    double[] zNoisy = new double[NOISY_N];
    double[] zClean = new double[CLEAN_N];
    for (int i = 0; i < NOISY_N; i++) {
      zNoisy[i] = rnd.nextGaussian();
      mislabeled[i] = i % 5 == 0;
    }
    for (int i = 0; i < CLEAN_N; i++) {
      zClean[i] = rnd.nextGaussian();
    }
    List<Row> sampleRows = new ArrayList<>();
    List<Row> metricRows = new ArrayList<>();
    List<Row> opRows = new ArrayList<>();
    List<Row> gradientRows = new ArrayList<>();
    Map<Long, double[]> noisy = new LinkedHashMap<>();
    Map<Long, double[]> clean = new LinkedHashMap<>();
    for (long t : STEPS) {
      double g = gap(t);
      double muC = M0 - 0.75 * g;
      double muW = M0 + 0.25 * g;
      int mem = memorised(t);
      double[] l = new double[NOISY_N];
      int correct = 0;
      for (int i = 0; i < NOISY_N; i++) {
        boolean wrongHigh = mislabeled[i] && i / 5 >= mem;
        l[i] = Math.exp((wrongHigh ? muW : muC) + SIGMA * zNoisy[i]);
        // Predicted as the given label unless a not-yet-memorised mislabeled sample.
        sampleRows.add(SyntheticLake.loss("noisy", t, i, mislabeled[i], l[i], !wrongHigh));
        correct += l[i] < Math.log(2) ? 1 : 0;
      }
      noisy.put(t, l);
      double fw = mem / 200.0;
      double testError =
          t <= 145
              ? 0.15 + 0.75 * Math.exp(-t / 15.0)
              : 0.15 + 0.75 * Math.exp(-145 / 15.0) + 0.3 * fw;
      if (t != 100) {
        metricRows.add(
            SyntheticLake.metrics(
                "noisy", t, mean(l), correct / (double) NOISY_N, 1 - testError, fw, 1 - testError));
      }

      double mu = M0 - 3 * (1 - Math.exp(-t / 15.0));
      double[] lc = new double[CLEAN_N];
      int correctC = 0;
      for (int i = 0; i < CLEAN_N; i++) {
        lc[i] = Math.exp(mu + SIGMA * zClean[i]);
        sampleRows.add(SyntheticLake.loss("clean", t, i, false, lc[i]));
        correctC += lc[i] < Math.log(2) ? 1 : 0;
      }
      clean.put(t, lc);
      double testErrorC = 0.12 + 0.78 * Math.exp(-t / 15.0);
      metricRows.add(
          SyntheticLake.metrics(
              "clean", t, mean(lc), correctC / (double) CLEAN_N, null, null, 1 - testErrorC));
      // Gradients on a sparser schedule than metrics (none at 280): no order_params expected
      // there. At 50 the ensemble was recorded but order-params left it out: that one is missing.
      if (t != GRADIENT_FREE_STEP) {
        gradientRows.addAll(
            SyntheticLake.gradient("clean", t, 0, "all", 1, 50, 50, new float[] {1, 2}, 2));
        if (t != 50) {
          opRows.add(orderParams("clean", t, 0.6 * Math.exp(-t / 20.0) + 0.02));
        }
      }
    }
    losses.put("noisy", noisy);
    losses.put("clean", clean);
    SyntheticLake.runs(
        spark,
        lake,
        SyntheticLake.run("noisy", NOISY_N, 200, 50),
        SyntheticLake.run("clean", CLEAN_N, 0, 50));
    SyntheticLake.write(spark, lake, Tables.SAMPLE_LOSSES, sampleRows);
    SyntheticLake.write(spark, lake, Tables.METRICS, metricRows);
    SyntheticLake.write(spark, lake, Tables.ORDER_PARAMS, opRows);
    SyntheticLake.write(spark, lake, Tables.GRADIENTS, gradientRows);
    return this;
  }

  private static Row orderParams(String run, long step, double alignment) {
    Object[] v = new Object[SchemaRegistry.schema(Tables.ORDER_PARAMS).columns().size()];
    v[0] = run;
    v[1] = step;
    v[2] = 8;
    v[3] = 50;
    v[4] = 100L;
    v[5] = 1;
    v[6] = false;
    v[9] = false;
    v[10] = 0L;
    v[11] = 1.0; // mean_grad_norm
    v[13] = alignment;
    return RowFactory.create(v);
  }

  static double mean(double[] x) {
    double s = 0;
    for (double v : x) {
      s += v;
    }
    return s / x.length;
  }
}
