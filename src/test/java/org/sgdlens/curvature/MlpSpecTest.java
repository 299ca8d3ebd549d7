package org.sgdlens.curvature;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sgdlens.record.Network;
import org.sgdlens.record.RunConfig;

/** The spec's flat layout is the one the project's Network records. */
class MlpSpecTest {
  @Test
  void layoutIsTheNetworksWithAndWithoutBiases() {
    for (boolean bias : new boolean[] {true, false}) {
      RunConfig.ModelConfig model = new RunConfig.ModelConfig();
      model.hidden = new ArrayList<>(List.of(7, 5));
      model.bias = bias;
      model.activation = "sigmoid";
      MlpSpec spec = MlpSpec.of(model, new int[] {2, 3}, 4);
      try (Network net = new Network(model, new int[] {2, 3}, 4, Device.cpu())) {
        spec.requireSameLayout(net.layout());
        assertThat((long) spec.size()).as("P, bias=%s", bias).isEqualTo(net.size());
      }
      assertThat(spec.toString())
          .isEqualTo(bias ? "mlp:6-7-5-4,sigmoid" : "mlp:6-7-5-4,nobias,sigmoid");
    }
  }

  @Test
  void aDifferentNetworkIsRefusedNamingTheFirstDifference() {
    RunConfig.ModelConfig model = new RunConfig.ModelConfig();
    model.hidden = new ArrayList<>(List.of(7));
    MlpSpec spec =
        MlpSpec.of(6, List.of(8), 4, MlpSpec.Activation.RELU, true, Network.Objective.MSE);
    try (Network net = new Network(model, new int[] {6}, 4, Device.cpu())) {
      assertThatThrownBy(() -> spec.requireSameLayout(net.layout()))
          .hasMessageContaining("fc1.weight[7, 6]")
          .hasMessageContaining("fc1.weight[8, 6]");
    }
  }

  @Test
  void selectionTakesLayerAndParameterNamesInFlatOrder() {
    MlpSpec spec =
        MlpSpec.of(
            3, List.of(4), 2, MlpSpec.Activation.TANH, true, Network.Objective.CROSS_ENTROPY);
    assertThat(spec.select(List.of("fc2", "fc1.bias")).stream().map(MlpSpec.Param::name))
        .containsExactly("fc1.bias", "fc2.weight", "fc2.bias");
    assertThat(spec.select(List.of())).hasSize(4);
    assertThatThrownBy(() -> spec.select(List.of("conv1")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'conv1'")
        .hasMessageContaining("[fc1.weight, fc1.bias, fc2.weight, fc2.bias]");
  }

  @Test
  void onlyTheBuiltInMlpIsAccepted() {
    for (String kind : List.of("cnn", "resnet", "torchscript")) {
      RunConfig.ModelConfig model = new RunConfig.ModelConfig();
      model.kind = kind;
      assertThatThrownBy(() -> MlpSpec.of(model, new int[] {1, 8, 8}, 10))
          .as(kind)
          .hasMessageContaining("model.kind '" + kind + "' is not supported")
          .hasMessageContaining("model.kind mlp");
    }
  }
}
