package org.sgdlens.analysis;

import java.util.Arrays;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.expressions.Aggregator;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.sgdlens.kernel.Quantiles;
import org.sgdlens.kernel.Separation;
import scala.Tuple3;

/**
 * The order statistics of a step as one Spark aggregate: exact AUROC of two scores (the loss and
 * the history score) for the mislabeled class (Mann-Whitney, ties one half; {@link
 * Separation#auroc}) and the quantiles of the first score per class (linear interpolation, the
 * definition of Spark's {@code percentile}). Each group keeps its scores per class and sorts them
 * once at the end. With {@code groupBy(run_id, step)} it gives every step of every run in the same
 * pass as the other group statistics, instead of one MLlib job per step (and several times faster
 * than Spark's exact {@code percentile}, which hashes every distinct value).
 */
public final class RankAuroc
    extends Aggregator<Tuple3<Double, Double, Boolean>, RankAuroc.Buffer, RankAuroc.Out> {
  private static final long serialVersionUID = 1L;

  private final double[] levels;

  private RankAuroc(double[] levels) {
    this.levels = levels.clone();
  }

  /**
   * {@code rank_auroc(score, second_score, positive)}: a struct of the two AUROCs (null if a class
   * is empty) and the first score's quantiles at {@code levels} per class (null if it is empty).
   */
  static UserDefinedFunction udaf(double... levels) {
    return functions.udaf(
        new RankAuroc(levels),
        Encoders.tuple(Encoders.DOUBLE(), Encoders.DOUBLE(), Encoders.BOOLEAN()));
  }

  /** The aggregate's result; a bean, so Spark sees named struct fields. */
  public static final class Out implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private Double auroc;
    private Double historyAuroc;
    private double[] positiveQuantiles;
    private double[] negativeQuantiles;

    public Double getAuroc() {
      return auroc;
    }

    public void setAuroc(Double v) {
      auroc = v;
    }

    public Double getHistoryAuroc() {
      return historyAuroc;
    }

    public void setHistoryAuroc(Double v) {
      historyAuroc = v;
    }

    public double[] getPositiveQuantiles() {
      return positiveQuantiles;
    }

    public void setPositiveQuantiles(double[] v) {
      positiveQuantiles = v;
    }

    public double[] getNegativeQuantiles() {
      return negativeQuantiles;
    }

    public void setNegativeQuantiles(double[] v) {
      negativeQuantiles = v;
    }
  }

  /** Scores of one group, per class: [0] the first score, [1] the second. */
  public static final class Buffer implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    double[][] pos = {new double[16], new double[16]};
    double[][] neg = {new double[16], new double[16]};
    int nPos;
    int nNeg;

    void add(double a, double b, boolean positive) {
      if (positive) {
        if (nPos == pos[0].length) {
          pos = grow(pos, nPos);
        }
        pos[0][nPos] = a;
        pos[1][nPos++] = b;
      } else {
        if (nNeg == neg[0].length) {
          neg = grow(neg, nNeg);
        }
        neg[0][nNeg] = a;
        neg[1][nNeg++] = b;
      }
    }

    void addAll(Buffer o) {
      for (int i = 0; i < o.nPos; i++) {
        add(o.pos[0][i], o.pos[1][i], true);
      }
      for (int i = 0; i < o.nNeg; i++) {
        add(o.neg[0][i], o.neg[1][i], false);
      }
    }

    private static double[][] grow(double[][] a, int n) {
      int size = Math.max(16, n * 2);
      return new double[][] {Arrays.copyOf(a[0], size), Arrays.copyOf(a[1], size)};
    }
  }

  @Override
  public Buffer zero() {
    return new Buffer();
  }

  @Override
  public Buffer reduce(Buffer b, Tuple3<Double, Double, Boolean> in) {
    if (in._1() != null && in._2() != null && in._3() != null) {
      b.add(in._1(), in._2(), in._3());
    }
    return b;
  }

  @Override
  public Buffer merge(Buffer a, Buffer b) {
    if (a.nPos + a.nNeg < b.nPos + b.nNeg) {
      b.addAll(a);
      return b;
    }
    a.addAll(b);
    return a;
  }

  @Override
  public Out finish(Buffer b) {
    Out out = new Out();
    out.setAuroc(Rows.finite(Separation.auroc(b.pos[0], b.nPos, b.neg[0], b.nNeg)));
    out.setHistoryAuroc(Rows.finite(Separation.auroc(b.pos[1], b.nPos, b.neg[1], b.nNeg)));
    Arrays.sort(b.pos[0], 0, b.nPos); // already sorted unless the group is one-sided
    Arrays.sort(b.neg[0], 0, b.nNeg);
    out.setPositiveQuantiles(quantiles(b.pos[0], b.nPos));
    out.setNegativeQuantiles(quantiles(b.neg[0], b.nNeg));
    return out;
  }

  private double[] quantiles(double[] sorted, int n) {
    if (n == 0) {
      return null;
    }
    double[] values = Arrays.copyOf(sorted, n);
    double[] q = new double[levels.length];
    for (int i = 0; i < q.length; i++) {
      q[i] = Quantiles.ofSorted(values, levels[i]);
    }
    return q;
  }

  @Override
  public Encoder<Buffer> bufferEncoder() {
    return Encoders.kryo(Buffer.class);
  }

  @Override
  public Encoder<Out> outputEncoder() {
    return Encoders.bean(Out.class);
  }
}
