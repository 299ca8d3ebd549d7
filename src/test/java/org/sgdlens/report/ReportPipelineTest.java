package org.sgdlens.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.sgdlens.analysis.Cleaning;
import org.sgdlens.analysis.Landscape;
import org.sgdlens.analysis.LossSeparation;
import org.sgdlens.analysis.OrderParams;
import org.sgdlens.analysis.Phases;
import org.sgdlens.analysis.SparkTestBase;
import org.sgdlens.analysis.TrajectoryPca;
import org.sgdlens.analysis.VarianceFlatness;
import org.sgdlens.kernel.FlatnessSearch;
import org.sgdlens.record.RunConfig;
import org.sgdlens.record.RunModelOracleFactory;
import org.sgdlens.record.Schedule;
import org.sgdlens.record.TestRuns;
import org.sgdlens.record.TrainRun;

/**
 * A report from a real (tiny, synthetic-data) run: TrainRun records it, the analysis classes run as
 * in the quickstart, and the run report must have every section with data in every chart. About 75
 * s on 2 cores, so tagged slow: {@code mvn -B test -Dtest.groups.excluded=
 * -Dtest=ReportPipelineTest}.
 */
@Tag("slow")
class ReportPipelineTest extends SparkTestBase {

  @Test
  void everySectionOfARealRunHasData() throws Exception {
    Path lakeDir = tempDir.resolve("pipeline-lake");
    RunConfig config = TestRuns.synthetic("report-pipeline");
    config.name = "report-pipeline";
    config.sgd.steps = 400;
    config.record.sampleLosses = Schedule.every(20);
    config.record.gradients = Schedule.every(40);
    config.record.metrics = Schedule.every(20);
    config.checkpointEvery = 0;
    TrainRun.Outcome run = TestRuns.train(lakeDir, config);
    String lake = lakeDir.toUri().toString();
    List<String> runs = List.of(run.runId());

    OrderParams.run(spark, new OrderParams.Options(lake, runs));
    Phases.run(spark, Phases.Options.defaults(lake, runs));
    LossSeparation.run(spark, LossSeparation.Options.defaults(lake, runs));
    Cleaning.run(spark, Cleaning.Options.defaults(lake, runs));
    TrajectoryPca.run(
        spark,
        new TrajectoryPca.Options(
            lake, runs, null, null, 200L, TrajectoryPca.Method.AUTO, 5000, 8, 64L << 20, null));
    Landscape.run(
        spark,
        new Landscape.Options(
            lake,
            runs,
            Landscape.parseComponents("1-8"),
            new FlatnessSearch.Settings(Math.E, 0.01, 2, 100, 1e-4),
            0),
        (lakePath, runId) -> new RunModelOracleFactory(lakePath, runId, 0, 0));
    VarianceFlatness.run(spark, new VarianceFlatness.Options(lake, runs, 2, 0, 1, 2, 0, 0.95, 0.9));

    List<String> progress = new ArrayList<>();
    Report.Result r =
        Report.run(
            spark,
            new Report.Options(lake, run.runId(), null, false, tempDir.resolve("out").toString()),
            progress::add);
    String html = Files.readString(r.file());
    assertThat(progress).as("progress lines").hasSize(RunReport.SECTIONS.size());
    List<String> curvature =
        List.of(RunReport.CURVATURE, RunReport.NOISE_CURVATURE, RunReport.DUALITY);
    assertThat(r.rendered())
        .as("every section of a real run with label noise, ensembles and a PCA window")
        .containsExactlyElementsOf(
            RunReport.SECTIONS.stream().filter(s -> !curvature.contains(s)).toList());
    assertThat(r.omitted())
        .as("the curvature and duality jobs are not run here")
        .isEqualTo(curvature);
    Map<String, JsonNode> charts = ReportTest.charts(html);
    assertThat(charts).as("charts").hasSize(8);
    for (Map.Entry<String, JsonNode> c : charts.entrySet()) {
      int points = 0;
      for (JsonNode s : c.getValue().get("series")) {
        points += s.get("data").size();
      }
      assertThat(points).as("data points of %s", c.getKey()).isPositive();
    }
    assertThat(html).as("run name in the headline").contains("<td>report-pipeline</td>");
  }
}
