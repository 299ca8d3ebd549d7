package org.sgdlens.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class DivergenceTest {
  static final Divergence.Rules RULES = new Divergence.Rules(5, 4, 0.02, 100);

  @Test
  void aNonFiniteLossIsDivergenceAtOnce() {
    Divergence.Monitor m = new Divergence.Monitor(RULES);
    assertThat(m.minibatchLoss(0, 2.3)).isFalse();
    assertThat(m.minibatchLoss(1, Double.NaN)).isTrue();
    assertThat(m.reason()).hasValueSatisfying(r -> assertThat(r).contains("step 1 is NaN"));
    assertThat(m.step()).isEqualTo(1);
    Divergence.Monitor inf = new Divergence.Monitor(RULES);
    assertThat(inf.minibatchLoss(0, Double.POSITIVE_INFINITY)).isTrue();
  }

  @Test
  void theWindowMeanAboveTheRatioIsDivergenceButASingleSpikeIsNot() {
    Divergence.Monitor m = new Divergence.Monitor(RULES);
    m.minibatchLoss(0, 2.0);
    assertThat(m.minibatchLoss(1, 30.0)).as("one spike: mean of a partial window").isFalse();
    for (int s = 2; s < 6; s++) {
      assertThat(m.minibatchLoss(s, 1.0)).isFalse();
    }
    // Window of 4 at 10.5 mean: 10.5 > 5 x 2.0.
    m.minibatchLoss(6, 10.0);
    m.minibatchLoss(7, 10.0);
    m.minibatchLoss(8, 10.0);
    assertThat(m.minibatchLoss(9, 12.0)).isTrue();
    assertThat(m.reason().get()).contains("steps 6-9").contains("10.5").contains("5.25 times");
  }

  @Test
  void theRuleAgreesWithABruteForceWindowOnRandomSequences() {
    Random random = new Random(7);
    for (int trial = 0; trial < 1000; trial++) {
      int w = 1 + random.nextInt(6);
      Divergence.Rules rules = new Divergence.Rules(1.5 + random.nextDouble() * 4, w, 0.02, 0);
      Divergence.Monitor m = new Divergence.Monitor(rules);
      double[] losses = new double[40];
      long expected = -1;
      for (int s = 0; s < losses.length; s++) {
        losses[s] = Math.exp(random.nextGaussian() * 1.2);
        if (expected < 0 && s >= w - 1) {
          double sum = 0;
          for (int i = s - w + 1; i <= s; i++) {
            sum += losses[i];
          }
          if (sum / w > rules.lossRatio() * losses[0]) {
            expected = s;
          }
        }
      }
      long seen = -1;
      for (int s = 0; s < losses.length && seen < 0; s++) {
        if (m.minibatchLoss(s, losses[s])) {
          seen = s;
        }
      }
      assertThat(seen).as("trial %d", trial).isEqualTo(expected);
    }
  }

  @Test
  void aRestoredMonitorReachesTheSameVerdictAtTheSameStep() {
    Random random = new Random(3);
    double[] losses = new double[60];
    for (int s = 0; s < losses.length; s++) {
      losses[s] = 1 + s * s * 0.01 + random.nextDouble();
    }
    Divergence.Monitor straight = new Divergence.Monitor(RULES);
    long at = -1;
    for (int s = 0; s < losses.length && at < 0; s++) {
      at = straight.minibatchLoss(s, losses[s]) ? s : -1;
    }
    assertThat(at).isPositive();
    for (int cut = 1; cut < at; cut++) {
      Divergence.Monitor before = new Divergence.Monitor(RULES);
      for (int s = 0; s < cut; s++) {
        before.minibatchLoss(s, losses[s]);
      }
      Divergence.Monitor resumed = new Divergence.Monitor(RULES);
      resumed.restore(before.state());
      long seen = -1;
      for (int s = cut; s < losses.length && seen < 0; s++) {
        seen = resumed.minibatchLoss(s, losses[s]) ? s : -1;
      }
      assertThat(seen).as("resumed at %d", cut).isEqualTo(at);
    }
  }

  @Test
  void chanceAccuracyAfterTheWarmupIsDivergence() {
    assertThat(Divergence.atChance(RULES, 1000, 0.105, 0.1)).isPresent();
    assertThat(Divergence.atChance(RULES, 1000, 0.13, 0.1)).isEmpty();
    assertThat(Divergence.atChance(RULES, 100, 0.1, 0.1)).as("within the warm-up").isEmpty();
    assertThat(Divergence.atChance(RULES, 1000, Double.NaN, 0.1)).isEmpty();
    assertThat(Divergence.atChance(RULES, 1000, 0.1, 0.1).get())
        .contains("0.1000")
        .contains("warm-up of 100 steps");
  }

  @Test
  void badRulesAreRefusedNamingTheKey() {
    assertThatThrownBy(() -> new Divergence.Rules(0.5, 4, 0.02, 0))
        .hasMessageContaining("divergence.loss_ratio is 0.5");
    assertThatThrownBy(() -> new Divergence.Rules(5, 0, 0.02, 0))
        .hasMessageContaining("divergence.loss_window is 0");
    assertThatThrownBy(() -> new Divergence.Rules(5, 4, -0.1, 0))
        .hasMessageContaining("divergence.chance_margin is -0.1");
  }
}
