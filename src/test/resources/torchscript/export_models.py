#!/usr/bin/python3
"""Writes the small TorchScript models the tests train (mlp.pt, cnn.pt, bn_cnn.pt).

How a user exports their own model for sgdlens is the same three lines (docs/models.md):
    model = MyNet()                       # any torch.nn.Module; its forward takes a float32
                                          # batch (N, *input_shape) and returns (N, classes)
    scripted = torch.jit.script(model)    # or torch.jit.trace(model, example_batch)
    scripted.save("mynet.pt")
sgdlens trains the parameters the module holds (their names, e.g. layer3.0.conv1.weight, go to
param_layout) starting from the values saved in the file.

Regenerate with Debian's PyTorch: apt-get install -y python3-torch; /usr/bin/python3 export_models.py
"""
import torch
import torch.nn as nn


class Mlp(nn.Module):
    """12-5-3 with ReLU: the built-in MLP of the tests' synthetic runs (TestRuns.synthetic)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(12, 5)
        self.fc2 = nn.Linear(5, 3)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x.flatten(1))))


class Cnn(nn.Module):
    """A smooth (tanh, average pooling) CNN for 1x28x28 images: finite differences work on it."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.fc1 = nn.Linear(4 * 7 * 7, 10)

    def forward(self, x):
        x = nn.functional.avg_pool2d(torch.tanh(self.conv1(x)), 4)
        return self.fc1(x.flatten(1))


class BnCnn(nn.Module):
    """A CNN with batch norm for 1x28x28 images (training-mode batch statistics in the probes)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.fc1 = nn.Linear(4 * 7 * 7, 10)

    def forward(self, x):
        x = nn.functional.avg_pool2d(torch.relu(self.bn1(self.conv1(x))), 4)
        return self.fc1(x.flatten(1))


if __name__ == "__main__":
    torch.manual_seed(7)
    for name, model in [("mlp", Mlp()), ("cnn", Cnn()), ("bn_cnn", BnCnn())]:
        torch.jit.script(model).save(name + ".pt")
        print(name + ".pt", sum(p.numel() for p in model.parameters()), "parameters")
