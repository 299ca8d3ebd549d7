package org.sgdlens.analysis;

import java.util.Arrays;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.expressions.Aggregator;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.sgdlens.kernel.Separation;
import scala.Tuple2;
import scala.Tuple3;

/**
 * Exact AUROC of two scores (the loss and the history score) for the mislabeled class, as one Spark
 * aggregate: each group keeps its scores per class and ranks them once at the end (Mann-Whitney,
 * ties one half; {@link Separation#auroc}). With {@code groupBy(run_id, step)} it gives every step
 * of every run in the same pass as the group statistics, instead of one MLlib job per step.
 */
public final class RankAuroc
    extends Aggregator<Tuple3<Double, Double, Boolean>, RankAuroc.Buffer, Tuple2<Double, Double>> {
  private static final long serialVersionUID = 1L;

  /**
   * {@code rank_auroc(score, second_score, positive)}: struct of the two AUROCs, null if one-sided.
   */
  static UserDefinedFunction udaf() {
    return functions.udaf(
        new RankAuroc(), Encoders.tuple(Encoders.DOUBLE(), Encoders.DOUBLE(), Encoders.BOOLEAN()));
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
  public Tuple2<Double, Double> finish(Buffer b) {
    return new Tuple2<>(
        Rows.finite(Separation.auroc(b.pos[0], b.nPos, b.neg[0], b.nNeg)),
        Rows.finite(Separation.auroc(b.pos[1], b.nPos, b.neg[1], b.nNeg)));
  }

  @Override
  public Encoder<Buffer> bufferEncoder() {
    return Encoders.kryo(Buffer.class);
  }

  @Override
  public Encoder<Tuple2<Double, Double>> outputEncoder() {
    return Encoders.tuple(Encoders.DOUBLE(), Encoders.DOUBLE());
  }
}
