package org.sgdlens.record;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.basicmodelzoo.cv.classification.ResNetV1;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The networks sgdlens can train: its own MLP and small CNN, residual networks assembled from DJL's
 * model-zoo units ({@code ResNetV1.residualUnit}), and any TorchScript module exported from
 * PyTorch. docs/models.md describes each.
 */
final class Models {
  private Models() {}

  /** A model ready for {@link Network}: the block, the shape of one input, names of layers. */
  record Built(Block block, int[] inputShape, List<String> layerNames, Model owner) {}

  static Built build(RunConfig.ModelConfig model, int[] inputShape, int classes, Device device) {
    return switch (model.kind) {
      case "mlp", "cnn" -> {
        List<String> names = new ArrayList<>();
        // An MLP reads flat rows, so its batches are built as (count, features) and need no
        // flatten step (one engine call less per forward pass).
        int[] shape = model.kind.equals("mlp") ? new int[] {product(inputShape)} : inputShape;
        yield new Built(simple(model, shape, classes, names), shape.clone(), names, null);
      }
      case "resnet" ->
          new Built(resnet(model, inputShape, classes), inputShape.clone(), null, null);
      case "torchscript" -> torchScript(model, inputShape, device);
      default ->
          throw new IllegalArgumentException(
              "Unknown model.kind '" + model.kind + "'; use mlp, cnn, resnet or torchscript");
    };
  }

  private static Function<NDList, NDList> activation(String name) {
    return switch (name) {
      case "relu" -> Activation::relu;
      case "tanh" -> Activation::tanh;
      case "sigmoid" -> Activation::sigmoid;
      default ->
          throw new IllegalArgumentException(
              "Unknown model.activation '" + name + "'; use relu, tanh or sigmoid");
    };
  }

  private static Block simple(
      RunConfig.ModelConfig model, int[] inputShape, int classes, List<String> names) {
    Function<NDList, NDList> activation = activation(model.activation);
    SequentialBlock net = new SequentialBlock();
    int fc = 0;
    if (model.kind.equals("cnn")) {
      requireImage(model, inputShape);
      int conv = 0;
      for (int channels : model.channels) {
        net.add(
            Conv2d.builder()
                .setKernelShape(new Shape(3, 3))
                .optPadding(new Shape(1, 1))
                .setFilters(channels)
                .optBias(model.bias)
                .build());
        names.add("conv" + (++conv));
        net.add(activation);
        net.add(Pool.maxPool2dBlock(new Shape(2, 2)));
      }
      net.add(Blocks.batchFlattenBlock());
    }
    for (int width : model.hidden) {
      if (width <= 0) {
        throw new IllegalArgumentException(
            "model.hidden has width " + width + "; every hidden width must be positive");
      }
      net.add(Linear.builder().setUnits(width).optBias(model.bias).build());
      names.add("fc" + (++fc));
      net.add(activation);
    }
    net.add(Linear.builder().setUnits(classes).optBias(model.bias).build());
    names.add("fc" + (++fc));
    return net;
  }

  private static void requireImage(RunConfig.ModelConfig model, int[] inputShape) {
    if (inputShape.length != 3) {
      throw new IllegalArgumentException(
          "model.kind "
              + model.kind
              + " needs image input (channels x rows x cols); this dataset has "
              + inputShape.length
              + "-d samples, use model.kind mlp");
    }
  }

  /**
   * A residual network of DJL's basic units. Depth 6n+2: a 3x3 stem of the first width, three
   * stages of n units (stride 2 at the second and third), global average pooling, one linear layer
   * (He et al.'s CIFAR ResNets; ResNet-20 has 0.27M parameters at widths 16, 32, 64). Depth 18 or
   * 34: the ImageNet ResNet's four stages of [2, 2, 2, 2] or [3, 4, 6, 3] units at widths 64, 128,
   * 256, 512 with the 3x3 stem used for small images (ResNet-18: 11.2M parameters on 32x32x3).
   */
  static Block resnet(RunConfig.ModelConfig model, int[] inputShape, int classes) {
    requireImage(model, inputShape);
    int[] units;
    List<Integer> widths = model.widths;
    if (model.depth == 18 || model.depth == 34) {
      units = model.depth == 18 ? new int[] {2, 2, 2, 2} : new int[] {3, 4, 6, 3};
      widths = widths.isEmpty() ? List.of(64, 128, 256, 512) : widths;
    } else if (model.depth >= 8 && (model.depth - 2) % 6 == 0) {
      int n = (model.depth - 2) / 6;
      units = new int[] {n, n, n};
      widths = widths.isEmpty() ? List.of(16, 32, 64) : widths;
    } else {
      throw new IllegalArgumentException(
          "model.depth "
              + model.depth
              + " is not a ResNet depth sgdlens builds; use 6n+2 (8, 14, 20, 32, 44, 56, 110)"
              + " or 18 or 34");
    }
    if (widths.size() != units.length || widths.stream().anyMatch(w -> w <= 0)) {
      throw new IllegalArgumentException(
          "model.widths is "
              + widths
              + "; a depth-"
              + model.depth
              + " ResNet has "
              + units.length
              + " stages, give "
              + units.length
              + " positive widths or none");
    }
    float momentum = 0.9f;
    SequentialBlock net = new SequentialBlock();
    net.add(
            Conv2d.builder()
                .setKernelShape(new Shape(3, 3))
                .setFilters(widths.get(0))
                .optStride(new Shape(1, 1))
                .optPadding(new Shape(1, 1))
                .optBias(false)
                .build())
        .add(BatchNorm.builder().optEpsilon(1e-5f).optMomentum(momentum).build())
        .add(Activation.reluBlock());
    int previous = widths.get(0);
    for (int stage = 0; stage < units.length; stage++) {
      int width = widths.get(stage);
      Shape stride = stage == 0 ? new Shape(1, 1) : new Shape(2, 2);
      for (int u = 0; u < units[stage]; u++) {
        boolean first = u == 0;
        boolean same = !first || (stage == 0 && width == previous);
        net.add(
            ResNetV1.residualUnit(width, first ? stride : new Shape(1, 1), same, false, momentum));
      }
      previous = width;
    }
    return net.add(Pool.globalAvgPool2dBlock())
        .add(Blocks.batchFlattenBlock())
        .add(Linear.builder().setUnits(classes).build());
  }

  private static Built torchScript(RunConfig.ModelConfig model, int[] inputShape, Device device) {
    if (model.path.isBlank()) {
      throw new IllegalArgumentException(
          "model.kind torchscript needs model.path, the file torch.jit.save wrote (docs/models.md)");
    }
    Path file = Path.of(model.path).toAbsolutePath();
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(
          "model.path "
              + file
              + " does not exist; export the model with torch.jit.save (see"
              + " docs/models.md)");
    }
    Model m = Model.newInstance(file.getFileName().toString(), device, "PyTorch");
    try {
      // trainParam: load the parameters as trainable tensors (DJL loads TorchScript frozen, for
      // inference, by default).
      m.load(
          file.getParent(),
          file.getFileName().toString(),
          java.util.Map.of("trainParam", "true", "mapLocation", "true"));
    } catch (IOException | MalformedModelException | RuntimeException e) {
      m.close();
      throw new IllegalArgumentException(
          "model.path "
              + file
              + " is not a TorchScript file DJL's PyTorch engine can load ("
              + e.getMessage()
              + "); save it with torch.jit.save(torch.jit.script(model), path)",
          e);
    }
    return new Built(m.getBlock(), inputShape.clone(), null, m);
  }

  static int product(int[] shape) {
    int p = 1;
    for (int d : shape) {
      p *= d;
    }
    return p;
  }
}
