"""Writes the end-to-end numeric reference of every example, test/fixtures/e2e/<example>.json.

For each model of examples/, its PyTorch twin (scripts/torch_twins.py) gets synthetic weights and
a synthetic input (scripts/synthetic.py, reproduced bit for bit by test/support/synthetic.ts), and
its outputs are recorded in inference (eval) mode and after one training-mode forward, together
with every running statistic after that forward. The weights are not stored: a consumer rebuilds
them from the parameter names and shapes (`syntheticWeights(model.params)`), and the input from
`syntheticInput(k, shape)`; the checksums in "tensors" prove that both sides agree.

The twin's state_dict pairs with nnc's parameter list by order (docs/codegen.md); the nnc names come from
the twin's own tags and are checked against test/fixtures/torch/<example>.json. The reference is
computed in float64 (the twin converted with .double(), weights and input being exact float32
values) and rounded to float32; "float32_error" is how far the same twin in float32 lands from it
(max abs difference over the scale), the noise floor any float32 implementation can expect.

Format (one JSON object per example):

    {"example": "resnet20",
     "model": "ResNet20",                       # the model's name in the .nn file
     "generator": "nnc-synthetic-v1",           # scripts/synthetic.py, rules 1–6
     "inputs": [{"name": "x", "synthetic": "input:0", "shape": [2, 3, 32, 32]}],
     "batch": 2,
     "tensors": [                               # every synthetic tensor: inputs first, then the
       {"name": "input:0", "shape": [...], "range": [lo, hi], "crc32": u32, "first": [v0..v3]},
       {"name": "stem.conv0.weight", ...},      # parameters and buffers in nnc declaration order
       ...],
     "eval": {"outputs": [{"shape": [2, 10], "data": [...]}],  # one per model output, row-major
              "scale": s,                       # max |output| over all outputs of the record
              "float32_error": e,               # see above, relative to scale
              "input_sensitivity": q},          # max |y(x) - y(0)| / scale: how much the input matters
     "train": {"outputs": [...], "scale": s, "float32_error": e,
               "dropout": "none" | "keep_all",
               "running": {"batch0.running_mean": [...], ...}}    # nnc name -> data, after the forward
              | null}

Numbers: every "data" value is a float32 written with 9 significant digits, which reads back as
the very same float32 (Math.fround(parse(text)) is the value). "range" holds float64 values exactly
(they are what the generator computes with). "first" holds the first min(4, n) float32 values of
the tensor. "crc32" is zlib's CRC-32 of the tensor's float32 little-endian bytes.

Train records: the forward runs with model.train() from the synthetic (eval) state, once, without
gradients; BatchNorm normalizes with batch statistics and updates running_mean/running_var (the
unbiased batch variance), batch renormalization updates running_mean/running_std, switchable
normalization running_mean/running_var (biased), as docs/operators.md says. `running` lists every buffer
of the model (all of them are running statistics), by nnc name. Dropout cannot be reproduced from
a random stream shared by two languages, so in the train record of a model with dropout (vgg,
mlp: "dropout": "keep_all") every dropout keeps every element and applies its inverted scaling,
y = x / (1 - p): this is what the runtime's dropout does with a RandomSource that never draws
below p (e.g. `() => 0.999999`; an element is kept when its draw is >= p). Every example has a
train record but efficientnet_b0 ("train": null): torchvision's EfficientNet applies stochastic
depth in training, random per sample, which the .nn file leaves out (it is the identity in eval).

Comparison the tests are meant to make (issue #3): |got - want| <= 1e-4 * scale for outputs, and
for a running statistic <= 1e-4 * max(1, max |want|).

Batch: 2, except resnet18 and the torchvision zoo (mobilenet_v2, mobilenet_v3_small,
efficientnet_b0, googlenet, shufflenet_v2, convnext_atto, resnet50, densenet121, regnetx_400mf: 1 at 224x224, to keep the TypeScript side fast) and mlp (8: with two
samples, BatchNorm1d in training maps every feature to about ±1 before γ and β, a degenerate check
that also loses float32 precision where the two samples nearly agree).

Usage: /usr/bin/python3 scripts/torch_e2e.py           # writes test/fixtures/e2e/*.json
"""
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

import synthetic  # noqa: E402
import torch_twins  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "test", "fixtures", "e2e")
GENERATOR = "nnc-synthetic-v1"

# example -> (model name in the .nn file, input name); the builder and shape come from torch_twins.
MODELS = {
    "lenet": ("LeNet", "x"),
    "vgg": ("Vgg", "x"),
    "resnet20": ("ResNet20", "x"),
    "resnet18": ("ResNet18", "x"),
    "inception": ("InceptionNet", "x"),
    "mlp": ("Mlp", "x"),
    "nfnet": ("NFNet", "x"),
    "norm_zoo": ("NormZoo", "x"),
    "mobilenet_v2": ("MobileNetV2", "x"),
    "mobilenet_v3_small": ("MobileNetV3Small", "x"),
    "efficientnet_b0": ("EfficientNetB0", "x"),
    "googlenet": ("GoogLeNet", "x"),
    "shufflenet_v2": ("ShuffleNetV2", "x"),
    "convnext_atto": ("ConvNeXtAtto", "x"),
    "resnet50": ("ResNet50", "x"),
    "densenet121": ("DenseNet121", "x"),
    "regnetx_400mf": ("RegNetX400MF", "x"),
}
BATCH = {"resnet18": 1, "mlp": 8, "mobilenet_v2": 1, "mobilenet_v3_small": 1, "efficientnet_b0": 1, "googlenet": 1,
         "shufflenet_v2": 1, "convnext_atto": 1, "resnet50": 1, "densenet121": 1, "regnetx_400mf": 1}
# Examples without a train record: torchvision's EfficientNet drops each residual branch at random
# in training (stochastic depth), which efficientnet_b0.nn leaves out (the identity at inference).
EVAL_ONLY = {"efficientnet_b0"}


def f32(value):
    """A float32 as text with 9 significant digits (round-trips to the same float32)."""
    return float(f"{float(np.float32(value)):.9g}")


def data(t):
    return [f32(v) for v in t.detach().to(torch.float32).reshape(-1).tolist()]


def tensor_entry(name, shape, lo, hi, array):
    flat = array.reshape(-1)
    return {"name": name, "shape": list(shape), "range": [float(lo), float(hi)],
            "crc32": synthetic.checksum(array), "first": [float(v) for v in flat[:4]]}


def twin_state(model):
    """(torch name, nnc name, tensor) in state_dict order, without num_batches_tracked."""
    tensors = dict(model.named_parameters())
    tensors.update(dict(model.named_buffers()))
    return [(torch_name, nnc, tensors[torch_name]) for torch_name, nnc in torch_twins.nnc_names(model)]


def keep_all_dropout(model):
    """Replaces every nn.Dropout's training behaviour with 'keep every element, scale 1/(1-p)'."""
    found = False
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            found = True
            module.forward = (lambda p: (lambda x: x * (1.0 / (1.0 - p))))(module.p)
    return found


def build(example, builder, dtype, params):
    """The twin with the synthetic weights, in `dtype`."""
    model = builder().to(dtype)
    state = twin_state(model)
    names = [nnc for _, nnc, _ in state]
    assert names == [name for name, _ in params], f"{example}: twin names differ from the torch fixture"
    weights = synthetic.synthetic_weights(params)
    with torch.no_grad():
        for torch_name, nnc, t in state:
            w = torch.from_numpy(weights[nnc])
            assert list(t.shape) == list(w.shape), f"{example}: {torch_name} {list(t.shape)} vs {nnc} {list(w.shape)}"
            t.copy_(w.to(dtype))
    return model, state


def forward(model, x):
    y = model(x)
    return list(y) if isinstance(y, (tuple, list)) else [y]


def significant(value):
    """A diagnostic number, 3 significant digits."""
    return float(f"{value:.3g}")


def scale_of(outputs):
    return max(float(y.abs().max()) for y in outputs)


def rel_error(a, b, scale):
    return max(float((p.double() - q.double()).abs().max()) for p, q in zip(a, b)) / scale


def run(example, builder, input_shape):
    model_name, input_name = MODELS[example]
    twin_fixture = json.load(open(os.path.join(ROOT, "test", "fixtures", "torch", example + ".json")))
    params = [(nnc, p["shape"]) for nnc, p in zip(twin_fixture["nnc_names"], twin_fixture["params"])]
    shape = [BATCH.get(example, 2)] + list(input_shape[1:])
    x32 = torch.from_numpy(synthetic.synthetic_input(0, shape))

    tensors = [tensor_entry("input:0", shape, *synthetic.INPUT_RANGE, x32.numpy())]
    weights = synthetic.synthetic_weights(params)
    for name, pshape in params:
        tensors.append(tensor_entry(name, pshape, *synthetic.synthetic_range(name, pshape, params), weights[name]))

    records = {"train": None}
    for mode in ("eval",) if example in EVAL_ONLY else ("eval", "train"):
        results = {}
        for dtype in (torch.float64, torch.float32):
            model, state = build(example, builder, dtype, params)
            dropout = keep_all_dropout(model) if mode == "train" else False
            model.train(mode == "train")
            buffers = dict(model.named_buffers())
            with torch.no_grad():
                outputs = forward(model, x32.to(dtype))
                zero = forward(model, torch.zeros_like(x32, dtype=dtype)) if mode == "eval" else None
            running = {nnc: t.detach().clone() for torch_name, nnc, t in state if torch_name in buffers}
            results[dtype] = (outputs, running, dropout, zero)
        outputs, running, dropout, zero = results[torch.float64]
        outputs32, running32 = results[torch.float32][0], results[torch.float32][1]
        for y in outputs:
            assert torch.isfinite(y).all(), f"{example} {mode}: non-finite output"
        scale = scale_of(outputs)
        record = {"outputs": [{"shape": list(y.shape), "data": data(y)} for y in outputs],
                  "scale": f32(scale),
                  "float32_error": significant(rel_error(outputs, outputs32, scale))}
        if mode == "eval":
            record["input_sensitivity"] = significant(rel_error(outputs, zero, scale))
        else:
            record["dropout"] = "keep_all" if dropout else "none"
            record["running"] = {name: data(t) for name, t in running.items()}
            record["running_float32_error"] = significant(max(
                [0.0] + [float((t - running32[n].double()).abs().max()) / max(1.0, float(t.abs().max()))
                         for n, t in running.items()]))
        records[mode] = record

    return {
        "example": example,
        "model": model_name,
        "generator": GENERATOR,
        "inputs": [{"name": input_name, "synthetic": "input:0", "shape": shape}],
        "batch": shape[0],
        "tensors": tensors,
        "eval": records["eval"],
        "train": records["train"],
    }


def dumps(body):
    """JSON, one tensor entry or data array a line."""
    def compact(v):
        return json.dumps(v, separators=(",", ":"))

    lines = ["{"]
    keys = list(body)
    for i, key in enumerate(keys):
        comma = "," if i < len(keys) - 1 else ""
        value = body[key]
        if key == "tensors":
            inner = ",\n".join("    " + compact(v) for v in value)
            lines.append(f'  "{key}": [\n{inner}\n  ]{comma}')
        elif isinstance(value, dict):
            parts = []
            for k, v in value.items():
                if k == "running":
                    inner = ",\n".join(f"      {json.dumps(n)}: {compact(d)}" for n, d in v.items())
                    parts.append(f'    "running": {{\n{inner}\n    }}' if v else '    "running": {}')
                elif k == "outputs":
                    inner = ",\n".join("      " + compact(o) for o in v)
                    parts.append(f'    "outputs": [\n{inner}\n    ]')
                else:
                    parts.append(f"    {json.dumps(k)}: {compact(v)}")
            lines.append(f'  "{key}": {{\n' + ",\n".join(parts) + f"\n  }}{comma}")
        else:
            lines.append(f'  "{key}": {compact(value)}{comma}')
    lines.append("}")
    return "\n".join(lines) + "\n"


def main():
    torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
    os.makedirs(OUT, exist_ok=True)
    only = set(sys.argv[1:])
    print(f"{'example':<18} {'batch':>5} {'eval scale':>11} {'f32 err':>9} {'sens':>6} "
          f"{'train scale':>11} {'f32 err':>9} {'running':>7}  dropout  size")
    for example, builder, input_shape, _ in torch_twins.EXAMPLES:
        if only and example not in only:
            continue
        body = run(example, builder, input_shape)
        text = dumps(body)
        json.loads(text)
        path = os.path.join(OUT, example + ".json")
        with open(path, "w") as f:
            f.write(text)
        e, t = body["eval"], body["train"]
        train = (f"{t['scale']:>11.4g} {t['float32_error']:>9.2g} {len(t['running']):>7}  {t['dropout']:<8}"
                 if t else f"{'-':>11} {'-':>9} {'-':>7}  {'-':<8}")
        print(f"{example:<18} {body['batch']:>5} {e['scale']:>11.4g} {e['float32_error']:>9.2g} "
              f"{e['input_sensitivity']:>6.3f} {train} {len(text) // 1024} KB")


if __name__ == "__main__":
    main()
