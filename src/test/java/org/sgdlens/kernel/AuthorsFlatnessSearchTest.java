package org.sgdlens.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The authors' search ({@link FlatnessSearch.Search#AUTHORS}): linear outward steps, bisection from
 * 0 to an absolute width, the midpoint. Oracles are closed-form crossings of synthetic profiles and
 * the authors' evaluation sequence written out by hand.
 */
class AuthorsFlatnessSearchTest {
  /** The preset's numbers: steps of 100 up to 1,000, width 0.01, factor e. */
  private static final FlatnessSearch.Settings AUTHORS =
      new FlatnessSearch.Settings(Math.E, 100, 2, 1000, 0.01, FlatnessSearch.Search.AUTHORS);

  @Test
  void quadraticProfilesGiveTheClosedFormWidthToTheAbsoluteTolerance() {
    // L(θ) = L0 (1 + (θ/a)²) on the right, L0 (1 + (θ/b)²) on the left: crossings at a·sqrt(e−1)
    // and −b·sqrt(e−1). Widths from 0.05 to 600 cover crossings inside the first step and beyond.
    SplittableRandom random = new SplittableRandom(7);
    for (int trial = 0; trial < 300; trial++) {
      double l0 = Math.exp(random.nextDouble(-10, 0));
      double a = Math.exp(random.nextDouble(Math.log(0.03), Math.log(400)));
      double b = Math.exp(random.nextDouble(Math.log(0.03), Math.log(400)));
      FlatnessSearch.Profile p =
          FlatnessSearch.search(t -> l0 * (1 + Math.pow(t / (t > 0 ? a : b), 2)), l0, AUTHORS);
      double right = a * Math.sqrt(Math.E - 1);
      double left = -b * Math.sqrt(Math.E - 1);
      assertThat(p.censored()).as("a=%g b=%g", a, b).isFalse();
      // The midpoint of a bracket narrower than 0.01 is within 0.005 of the crossing.
      assertThat(p.thetaRight()).as("θ_r for a=%g", a).isCloseTo(right, within(0.005));
      assertThat(p.thetaLeft()).as("θ_l for b=%g", b).isCloseTo(left, within(0.005));
      assertThat(p.flatness()).as("F").isCloseTo(right - left, within(0.01));
    }
  }

  @Test
  void theEvaluationsAreTheAuthorsSequence() {
    // A crossing at θ = 250: steps 100, 200, 300 (above), then bisection of [0, 300]:
    // 150 below, 225 below, 262.5 above, ... (the lower end starts at 0, not at 200).
    double l0 = 1e-4;
    List<Double> seen = new ArrayList<>();
    FlatnessSearch.search(
        t -> {
          seen.add(t);
          return Math.abs(t) < 250 ? l0 : 10 * l0;
        },
        l0,
        AUTHORS);
    List<Double> expected = new ArrayList<>(List.of(0.0, 100.0, 200.0, 300.0));
    double below = 0;
    double above = 300;
    while (above - below >= 0.01) {
      double mid = (below + above) / 2;
      expected.add(mid);
      if (mid < 250) {
        below = mid;
      } else {
        above = mid;
      }
    }
    // search() evaluates L0 itself through the profile only for θ ≠ 0; the first sample is L0.
    List<Double> right = seen.subList(0, expected.size() - 1);
    assertThat(right)
        .as("right side: linear steps, then bisection from 0")
        .containsExactlyElementsOf(expected.subList(1, expected.size()));
    assertThat(seen.get(expected.size() - 1)).as("left side starts at -100").isEqualTo(-100.0);
  }

  @Test
  void aSideBelowTheThresholdAtTheRangeIsCensoredAfterTenSteps() {
    double l0 = 1.0;
    FlatnessSearch.Profile p =
        FlatnessSearch.search(t -> t > 0 ? l0 * (1 + t * t) : l0 * 1.5, l0, AUTHORS);
    assertThat(p.censoredLeft()).isTrue();
    assertThat(p.censoredRight()).isFalse();
    assertThat(p.flatness()).as("not the authors' cap of 1100").isNaN();
    long leftSteps = java.util.Arrays.stream(p.thetas()).filter(t -> t < 0).count();
    assertThat(leftSteps).as("-100 ... -1000").isEqualTo(10);
  }

  @Test
  void itDiffersFromTheGeometricSearchWhereTheAuthorsToleranceIsCoarse() {
    // A narrow valley (crossings at ±0.02): the authors' absolute 0.01 leaves up to 25% error per
    // side, the geometric search's relative 1e-4 does not. A search that ignored the mode would
    // give the same answer twice.
    double l0 = 1e-3;
    double a = 0.02 / Math.sqrt(Math.E - 1);
    FlatnessSearch.Profile authors =
        FlatnessSearch.search(t -> l0 * (1 + (t / a) * (t / a)), l0, AUTHORS);
    FlatnessSearch.Profile geometric =
        FlatnessSearch.search(
            t -> l0 * (1 + (t / a) * (t / a)), l0, FlatnessSearch.Settings.defaults());
    assertThat(geometric.flatness()).isCloseTo(0.04, within(1e-5));
    assertThat(authors.flatness()).isCloseTo(0.04, within(0.01));
    assertThat(authors.flatness()).isNotCloseTo(0.04, within(1e-5));
    assertThat(authors.evaluations()).isLessThan(geometric.evaluations() + 40);
  }

  @Test
  void theAbsoluteToleranceMustFitTheRange() {
    assertThatThrownBy(
            () ->
                new FlatnessSearch.Settings(Math.E, 100, 2, 1000, 0, FlatnessSearch.Search.AUTHORS))
        .hasMessageContaining("tolerance is 0.0")
        .hasMessageContaining("absolute");
    assertThat(FlatnessSearch.Search.parse("Authors")).isEqualTo(FlatnessSearch.Search.AUTHORS);
    assertThatThrownBy(() -> FlatnessSearch.Search.parse("linear"))
        .hasMessageContaining("'linear'")
        .hasMessageContaining("geometric");
  }
}
