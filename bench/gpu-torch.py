"""The PyTorch half of bench/gpu.ts: the emitted PyTorch module of each model on the CPU and, where
CUDA is available, on the GPU; and `torch.onnx.export` of that module, for onnxruntime's run.

For each `<dir>/<stem>.py` given, it loads `<stem>.safetensors`, runs the model in eval mode on
`<dir>/<stem>.input.safetensors` (tensor `x`), and writes `<dir>/<stem>.torch.safetensors` with
the CPU output `cpu` and the CUDA output `cuda` (when there is a GPU), `<dir>/<stem>.torch.onnx`,
and one JSON line per model on stdout: the median milliseconds per forward on each device.

Usage: /usr/bin/python3 bench/gpu-torch.py DIR STEM [STEM ...]
"""
import importlib.util
import json
import os
import statistics
import sys
import time

import torch


def median_ms(model, x, runs, cuda):
    with torch.no_grad():
        for _ in range(5):
            model(x)
        times = []
        for _ in range(runs):
            if cuda:
                torch.cuda.synchronize()
            start = time.perf_counter()
            model(x)
            if cuda:
                torch.cuda.synchronize()
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    directory, stems = sys.argv[1], sys.argv[2:]
    cuda = torch.cuda.is_available()
    torch.set_num_threads(1)
    for stem in stems:
        spec = importlib.util.spec_from_file_location(stem, os.path.join(directory, stem + ".py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        model = module.MODEL()
        module.load_weights(model, os.path.join(directory, stem + ".safetensors"))
        model.eval()
        x = module.load_safetensors(os.path.join(directory, stem + ".input.safetensors"))["x"]
        outputs = {}
        with torch.no_grad():
            outputs["cpu"] = model(x)
        row = {"model": stem, "torch_cpu_ms": median_ms(model, x, 20, False)}
        if cuda:
            gpu_model, gpu_x = model.cuda(), x.cuda()
            with torch.no_grad():
                outputs["cuda"] = gpu_model(gpu_x).cpu()
            row["torch_cuda_ms"] = median_ms(gpu_model, gpu_x, 100, True)
            row["device"] = torch.cuda.get_device_name(0)
            model = model.cpu()
        module.save_safetensors(outputs, os.path.join(directory, stem + ".torch.safetensors"))
        torch.onnx.export(model, x, os.path.join(directory, stem + ".torch.onnx"), opset_version=17,
                          input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
