package org.sgdlens.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FlatnessSearchTest {
  private static final FlatnessSearch.Settings SETTINGS = FlatnessSearch.Settings.defaults();

  @Test
  void quadraticProfilesGiveTheClosedFormWidth() {
    // L(θ) = L0 + h θ²/2 reaches factor·L0 at |θ| = sqrt(2 (factor − 1) L0 / h).
    SplittableRandom random = new SplittableRandom(5);
    for (int trial = 0; trial < 200; trial++) {
      double l0 = Math.exp(random.nextDouble(-5, 1));
      double h = Math.exp(random.nextDouble(-6, 8));
      double factor = random.nextBoolean() ? Math.E : 1 + random.nextDouble(0.1, 5);
      FlatnessSearch.Settings settings = new FlatnessSearch.Settings(factor, 1e-3, 2, 1e4, 1e-6);
      FlatnessSearch.Profile profile =
          FlatnessSearch.search(theta -> l0 + h * theta * theta / 2, l0, settings);
      double expected = 2 * Math.sqrt(2 * (factor - 1) * l0 / h);
      assertThat(profile.censored()).as("censored for h=%g", h).isFalse();
      assertThat(profile.flatness())
          .as("F for L0=%g h=%g factor=%g", l0, h, factor)
          .isCloseTo(expected, within(1e-6 * expected));
      assertThat(profile.thetaLeft()).as("θ_l").isCloseTo(-expected / 2, within(1e-6 * expected));
    }
  }

  @Test
  void asymmetricProfileFindsEachSideSeparately() {
    // Right side quadratic, left side quartic.
    double l0 = 0.2;
    FlatnessSearch.Profile profile =
        FlatnessSearch.search(
            theta -> theta > 0 ? l0 + 3 * theta * theta : l0 + 50 * Math.pow(theta, 4),
            l0,
            SETTINGS);
    double right = Math.sqrt((Math.E - 1) * l0 / 3);
    double left = -Math.pow((Math.E - 1) * l0 / 50, 0.25);
    assertThat(profile.thetaRight()).as("θ_r").isCloseTo(right, within(1e-4 * right));
    assertThat(profile.thetaLeft()).as("θ_l").isCloseTo(left, within(1e-4 * -left));
    assertThat(profile.thetas()[0]).as("first sample is θ=0").isZero();
    assertThat(profile.losses()[0]).as("first sample is L0").isEqualTo(l0);
    assertThat(profile.evaluations()).as("evaluations").isEqualTo(profile.thetas().length);
  }

  @Test
  void aSideThatStaysBelowTheThresholdIsCensoredNotCapped() {
    double l0 = 1.0;
    // Flat to the left (saturates at 1.5 L0 < e L0), quadratic to the right.
    FlatnessSearch.Profile profile =
        FlatnessSearch.search(
            theta -> theta > 0 ? l0 + theta * theta : l0 + 0.5 * (1 - Math.exp(theta)),
            l0,
            SETTINGS);
    assertThat(profile.censoredLeft()).as("left censored").isTrue();
    assertThat(profile.censoredRight()).as("right censored").isFalse();
    assertThat(profile.censoredSide()).isEqualTo("left");
    assertThat(profile.thetaLeft()).as("θ_l unknown, not the range").isNaN();
    assertThat(profile.flatness()).as("F unknown").isNaN();
    double leftmost = 0;
    for (double theta : profile.thetas()) {
      leftmost = Math.min(leftmost, theta);
    }
    assertThat(leftmost).as("searched to the range").isEqualTo(-SETTINGS.maxTheta());
  }

  @Test
  void aDivergedLossCountsAsAboveTheThreshold() {
    double l0 = 0.5;
    FlatnessSearch.Profile profile =
        FlatnessSearch.search(theta -> Math.abs(theta) > 0.3 ? Double.NaN : l0, l0, SETTINGS);
    assertThat(profile.thetaRight()).as("θ_r at the divergence").isCloseTo(0.3, within(1e-4));
    assertThat(profile.thetaLeft()).as("θ_l at the divergence").isCloseTo(-0.3, within(1e-4));
  }

  @Test
  void badSettingsAndLossesNameTheValue() {
    assertThatThrownBy(() -> new FlatnessSearch.Settings(1.0, 0.01, 2, 100, 1e-4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("factor is 1.0");
    assertThatThrownBy(() -> FlatnessSearch.search(t -> 1, 0.0, SETTINGS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("L0 = 0.0");
  }

  @Test
  void alongAnOracleMovesFromTheOriginAlongTheDirection() {
    float[] origin = {1f, 2f, 3f};
    float[] direction = {0f, 1f, 0f};
    LossOracle oracle =
        new LossOracle() {
          @Override
          public float[] origin() {
            return origin;
          }

          @Override
          public double loss(float[] w) {
            return w[1];
          }
        };
    assertThat(FlatnessSearch.along(oracle, origin, direction).applyAsDouble(0.5))
        .as("L(w0 + 0.5 p) reads w[1] = 2.5")
        .isEqualTo(2.5);
  }
}
