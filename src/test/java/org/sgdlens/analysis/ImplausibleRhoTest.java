package org.sgdlens.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.sgdlens.lake.Tables;

/**
 * When the loss mixture puts most samples in its high component (what a fast-memorising network
 * does to the method at an early step), the clean job says the fit has probably failed instead of
 * silently flagging most of the data.
 */
class ImplausibleRhoTest extends SparkTestBase {
  @Test
  void aMixtureWeightAboveOneHalfIsWarnedAbout() {
    String lake = lakePath("implausible-rho");
    SplittableRandom rnd = new SplittableRandom(5);
    int n = 400;
    List<Row> losses = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      boolean wrong = i % 5 == 0; // 20% mislabeled
      boolean high = i % 10 < 7; // but 70% of the losses are high
      double log = high ? 1 + 0.2 * rnd.nextGaussian() : -3 + 0.2 * rnd.nextGaussian();
      losses.add(SyntheticLake.loss("fast", 0, i, wrong, Math.exp(log)));
    }
    SyntheticLake.runs(spark, lake, SyntheticLake.run("fast", n, n / 5, 8));
    SyntheticLake.write(spark, lake, Tables.SAMPLE_LOSSES, losses);
    Cleaning.Result r =
        Cleaning.run(spark, Cleaning.Options.builder().setLake(lake).optStep(0L).build());
    assertThat(r.summary()).hasSize(1);
    assertThat(r.warnings())
        .as("a warning naming the run, the step and the estimate")
        .anyMatch(
            w ->
                w.startsWith("Run fast step 0: the loss mixture estimates rho = 0.7")
                    && w.contains("--fraction F"));
  }
}
