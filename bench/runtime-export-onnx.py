"""Writes the benchmark models as ONNX files for onnxruntime-node (used by bench/runtime-speed.ts).

The models are the inference graphs of bench/runtime-models.ts, built with torch.nn and random
weights: ResNet-20 (CIFAR), LeNet-5 (MNIST) and ResNet-18 (ImageNet), each conv with a bias (the
batch norms already folded, as nnc and the other engines run them), exported with a dynamic batch
axis. Nothing is committed: the benchmark calls this script into a temporary directory.

Usage: /usr/bin/python3 bench/runtime-export-onnx.py OUT_DIR
"""
import os
import sys

import torch
from torch import nn


class Basic(nn.Module):
    def __init__(self, cin, c, stride):
        super().__init__()
        self.conv0 = nn.Conv2d(cin, c, 3, stride, 1)
        self.conv1 = nn.Conv2d(c, c, 3, 1, 1)
        self.project = None if stride == 1 and cin == c else nn.Conv2d(cin, c, 1, stride, 0)

    def forward(self, x):
        y = self.conv1(torch.relu(self.conv0(x)))
        s = x if self.project is None else self.project(x)
        return torch.relu(y + s)


def resnet(stem, stages, blocks, classes):
    layers = list(stem)
    cin = stages[0][0]
    for c, stride in stages:
        for i in range(blocks):
            layers.append(Basic(cin, c, stride if i == 0 else 1))
            cin = c
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes)]
    return nn.Sequential(*layers)


def resnet20():
    return resnet([nn.Conv2d(3, 16, 3, 1, 1), nn.ReLU()], [(16, 1), (32, 2), (64, 2)], 3, 10)


def resnet18():
    stem = [nn.Conv2d(3, 64, 7, 2, 3), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    return resnet(stem, [(64, 1), (128, 2), (256, 2), (512, 2)], 2, 1000)


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, 1, 2), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10),
        nn.LogSoftmax(1),
    )


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    for name, build, shape in [("resnet20", resnet20, (1, 3, 32, 32)), ("lenet", lenet, (1, 1, 28, 28)),
                               ("resnet18", resnet18, (1, 3, 224, 224))]:
        model = build().eval()
        torch.onnx.export(model, torch.randn(*shape), os.path.join(out, f"{name}.onnx"), input_names=["x"],
                          output_names=["y"], dynamic_axes={"x": {0: "n"}, "y": {0: "n"}}, opset_version=13)


if __name__ == "__main__":
    main()
