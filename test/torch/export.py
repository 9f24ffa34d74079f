"""The PyTorch half of test/torch/export.test.ts: traces, scripts and exports nnc's modules.

Usage: python3 -c "$(cat export.py)" NAMES.json, in the directory of the generated files.
For each name in NAMES.json the directory holds <name>.py (nnc compile --target torch),
<name>.weights.safetensors and <name>.data.safetensors with two inputs of different batch
sizes, "x.0" and "x.1". In eval mode, with the checkpoint loaded, this writes
<name>.onnx (torch.onnx.export at opset 17, the batch axis dynamic, traced on x.0) and
<name>.torch.safetensors with, for each input k:
  module.k, trace.k, script.k   the outputs of the module, of torch.jit.trace(module, x.0)
                                and of torch.jit.script(module)
and <name>.errors.json: {"script": message} where torch.jit.script failed (its output is then
missing), else {}.
"""
import importlib
import json
import sys
import warnings

import torch

torch.set_num_threads(1)
# The tracer warns about Python numbers it records as constants (a weight's fan-in); they are.
warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)


def run(name):
    module = importlib.import_module(name)
    model = module.MODEL()
    module.load_weights(model, f"{name}.weights.safetensors")
    model.eval()
    data = module.load_safetensors(f"{name}.data.safetensors")
    inputs = [data["x.0"], data["x.1"]]
    results, errors = {}, {}
    with torch.no_grad():
        traced = torch.jit.trace(model, (inputs[0],))
        try:
            scripted = torch.jit.script(model)
        except Exception as error:
            scripted = None
            errors["script"] = str(error)
        for k, x in enumerate(inputs):
            results[f"module.{k}"] = model(x)
            results[f"trace.{k}"] = traced(x)
            if scripted is not None:
                results[f"script.{k}"] = scripted(x)
        torch.onnx.export(
            model,
            (inputs[0],),
            f"{name}.onnx",
            opset_version=17,
            input_names=["x"],
            output_names=["y"],
            dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
        )
    module.save_safetensors(results, f"{name}.torch.safetensors")
    with open(f"{name}.errors.json", "w") as file:
        json.dump(errors, file)


def main():
    with open(sys.argv[1]) as file:
        names = json.load(file)
    for name in names:
        try:
            run(name)
        except Exception as error:
            raise RuntimeError(f"{name}: {error}") from error


main()
