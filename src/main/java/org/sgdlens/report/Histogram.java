package org.sgdlens.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Row;

/**
 * Histograms of log10 per-sample loss for clean and mislabeled samples over one shared set of
 * equal-width bins, each normalised to its group size (the groups differ in size by 1/rho).
 *
 * @param edges bin edges in log10 loss, {@code bins + 1} of them
 */
record Histogram(double[] edges, long[] cleanCounts, long[] wrongCounts, long clean, long wrong) {

  /** Rows with columns mislabeled (boolean) and loss (double); null losses are skipped. */
  static Histogram of(List<Row> rows, int bins, double floor) {
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    List<double[]> values = new ArrayList<>(rows.size());
    for (Row r : rows) {
      Double loss = r.getAs("loss");
      if (loss == null || !Double.isFinite(loss)) {
        continue;
      }
      double x = Math.log10(Math.max(loss, floor));
      values.add(new double[] {x, Boolean.TRUE.equals(r.getAs("mislabeled")) ? 1 : 0});
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    if (values.isEmpty()) {
      lo = 0;
      hi = 1;
    }
    if (hi - lo < 1e-9) {
      lo -= 0.5;
      hi += 0.5;
    }
    double[] edges = new double[bins + 1];
    for (int i = 0; i <= bins; i++) {
      edges[i] = lo + (hi - lo) * i / bins;
    }
    long[] c = new long[bins];
    long[] w = new long[bins];
    long nc = 0;
    long nw = 0;
    for (double[] v : values) {
      int b = (int) Math.min(bins - 1, Math.floor((v[0] - lo) / (hi - lo) * bins));
      if (v[1] > 0) {
        w[b]++;
        nw++;
      } else {
        c[b]++;
        nc++;
      }
    }
    return new Histogram(edges, c, w, nc, nw);
  }

  /** Bin centres as loss values, two significant digits. */
  List<String> labels() {
    List<String> out = new ArrayList<>();
    for (int i = 0; i + 1 < edges.length; i++) {
      out.add(String.format(Locale.ROOT, "%.2g", Math.pow(10, (edges[i] + edges[i + 1]) / 2)));
    }
    return out;
  }

  double[] cleanFractions() {
    return fractions(cleanCounts, clean);
  }

  double[] wrongFractions() {
    return fractions(wrongCounts, wrong);
  }

  private static double[] fractions(long[] counts, long total) {
    double[] out = new double[counts.length];
    for (int i = 0; i < counts.length; i++) {
      out[i] = total == 0 ? 0 : counts[i] / (double) total;
    }
    return out;
  }
}
