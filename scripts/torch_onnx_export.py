"""Exports the PyTorch twin of ResNet-20 with torch.onnx.export, for bench/onnx-latency.ts.

Usage: /usr/bin/python3 scripts/torch_onnx_export.py
Writes test/fixtures/onnx/resnet20.torch.onnx (committed): the twin of examples/resnet20.nn
(scripts/torch_twins.py) in eval mode with the synthetic weights of the end-to-end fixtures
(scripts/synthetic.py), exported the way a PyTorch user would: opset 17, constant folding on
(which folds each BatchNorm into its convolution), the batch axis dynamic. The benchmark compares
its latency and node count with nnc's own ONNX for the same model and weights, and checks that
both compute the same outputs.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import torch_e2e  # noqa: E402
import torch_twins  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "test", "fixtures", "onnx", "resnet20.torch.onnx")


def main():
    probe = torch_twins.ResNet20()
    tensors = dict(probe.named_parameters())
    tensors.update(dict(probe.named_buffers()))
    params = [(nnc, list(tensors[torch_name].shape)) for torch_name, nnc in torch_twins.nnc_names(probe)]
    model, _ = torch_e2e.build("resnet20", torch_twins.ResNet20, torch.float32, params)
    model.eval()
    x = torch.zeros(1, 3, 32, 32)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    torch.onnx.export(
        model, x, OUT,
        opset_version=17,
        do_constant_folding=True,
        input_names=["x"],
        output_names=["y"],
        dynamic_axes={"x": {0: "N"}, "y": {0: "N"}},
    )
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
