package org.sgdlens.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Marker labels do not overprint each other or the phase spans' labels (issue 15: "label-free II"
 * and "t_sep" overprinted at step 800, "IV" collided with "label-free IV").
 */
class ChartMarksTest {
  private static final List<Chart.Span> PHASES =
      List.of(
          new Chart.Span("I", 0, 200),
          new Chart.Span("II", 400, 2000),
          new Chart.Span("III", 2200, 7200),
          new Chart.Span("IV", 7400, 8000));

  @Test
  void markersAtTheSameStepGetDifferentPlacesAndNoneSitsWithTheSpanLabels() {
    List<Chart.Marker> markers =
        List.of(
            new Chart.Marker("label-free II", 800),
            new Chart.Marker("label-free III", 2800),
            new Chart.Marker("label-free IV", 7800),
            new Chart.Marker("t_sep", 800));
    String[] at = Chart.markerLabelPositions(PHASES, markers);
    assertThat(at[0]).as("label-free II").isEqualTo("insideMiddleTop");
    assertThat(at[3]).as("t_sep on the same step moves away").isNotEqualTo(at[0]);
    assertThat(at[2])
        .as("label-free IV stays off the top, where the span label IV is")
        .isEqualTo("insideMiddleTop");
  }

  @Test
  void nearbyMarkersCycleThroughThreePlaces() {
    List<Chart.Marker> markers =
        List.of(
            new Chart.Marker("a", 1000),
            new Chart.Marker("b", 1100),
            new Chart.Marker("c", 1150),
            new Chart.Marker("d", 5000));
    assertThat(Chart.markerLabelPositions(PHASES, markers))
        .as("within 3%% of the range (240 steps) of earlier markers, alone far away")
        .containsExactly("insideMiddleTop", "insideStartTop", "insideEndTop", "insideMiddleTop");
  }
}
