package org.sgdlens.cli;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.analysis.OrderParams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** Entry point of the order-params job: Gram matrices and order parameters of every ensemble. */
public final class OrderParamsJob {
  @Command(
      name = "jobs/order-params",
      description =
          "Gram matrices of the recorded minibatch-gradient ensembles (table gram) and the order"
              + " parameters of docs/science.md section 1 (table order_params), per run and"
              + " recorded step, of every committed run or the --run ones.")
  static final class Args {
    @Mixin StandardOptions standard = new StandardOptions();
    @Mixin RunSelection runs = new RunSelection();
  }

  private OrderParamsJob() {}

  public static void main(String[] a) {
    JobMain.main("order-params", a, OrderParamsJob::run);
  }

  static int run(String[] args) {
    Args a = Cli.parse(new Args(), args);
    if (a == null) {
      return 0;
    }
    SparkSession spark = SparkSession.builder().appName("sgdlens-order-params").getOrCreate();
    OrderParams.Result r =
        OrderParams.run(spark, new OrderParams.Options(a.standard.lake, a.runs.ids()));
    System.out.printf(
        "order-params: %d ensemble steps, %d Gram entries, %d warnings%n",
        r.orderParams().size(), r.gramRows(), r.warnings().size());
    for (Row row : r.orderParams()) {
      System.out.printf(
          "  %s step %d: M=%d A=%s R=%s noise_trace=%s B_simple=%s%s%n",
          row.<String>getAs("run_id"),
          row.<Long>getAs("step"),
          row.<Integer>getAs("ensemble_size"),
          Jobs.fmt(row, "mean_grad_norm"),
          Jobs.fmt(row, "alignment"),
          Jobs.fmt(row, "noise_trace"),
          Jobs.fmt(row, "noise_scale"),
          row.getBoolean(row.fieldIndex("diverged")) ? " DIVERGED" : "");
    }
    return 0;
  }
}
